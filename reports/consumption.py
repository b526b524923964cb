"""Consumption report for the plant manager (a week or a month).

Per consumption meter: use, the adjusted baseline for the same conditions, cost at the plan's
tariffs (hour by hour), specific consumption per 1,000 units produced (EnPI, ISO 50006
style) against the baseline's, and the period's anomaly flags, costliest first, with whether
flags were computed for each meter at all ("no flags" is not "flags never computed").

Site totals come from the top-level meters only (a meter whose ``parent`` is not another
consumption meter of the site): a sub-meter's use is already inside its parent's, so it is
shown as a share of the parent, next to the parent's unmetered rest. A meter with less than
the plan's ``min_completeness`` of complete days in the period is *insufficient data*: its
completeness is given, never a use, cost or comparison, and no total that needs it.
"""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd

from plantmeter.errors import AnalyticsError, DataSufficiencyError
from plantmeter.i18n import N_
from plantmeter.text import Text

from .common import ReportContext
from .data import hourly_prices, local_ts
from .flagstatus import flag_entries, flag_status
from .plan import UNITS
from .verify import Window

__all__ = ["consumption_meters", "consumption_report"]

logger = logging.getLogger(__name__)
INSUFFICIENT = "insufficient data"


def consumption_meters(ctx: ReportContext) -> list[str]:
    """The site's consumption meters (electricity, water, gas, thermal), in site order."""
    return [m.id for m in ctx.loaded.site.meters if m.kind in UNITS]


def _completeness(ctx: ReportContext, meter: str, w: Window) -> float:
    """Share of the period's local days on which the meter has >= 90 % of its hours."""
    tz = ctx.data.tz
    days = pd.date_range(local_ts(w.start, tz), local_ts(w.end, tz), freq="D", inclusive="left")
    try:
        cover = ctx.data.daily_coverage([meter], None)
    except DataSufficiencyError as exc:
        logger.warning("consumption: %s", exc)
        return 0.0
    return float(cover.reindex(days).fillna(0.0).sum()) / len(days) if len(days) else 0.0


def _meter_row(ctx: ReportContext, mid: str, w: Window, parents: dict[str, str]) -> dict[str, Any]:
    plan, v, tz = ctx.plan, ctx.verifier, ctx.data.tz
    meter = ctx.loaded.site.meter(mid)
    t0, t1 = local_ts(w.start, tz), local_ts(w.end, tz)
    completeness = _completeness(ctx, mid, w)
    ok = completeness >= plan.min_completeness
    row: dict[str, Any] = {
        "meter": mid,
        "area": meter.area or "",
        "kind": meter.kind,
        "unit": UNITS[meter.kind],
        "parent": parents.get(mid),
        "status": "ok" if ok else INSUFFICIENT,
        "completeness": completeness,
        "use": None,
        "expected": None,
        "difference": None,
        "cost": None,
        "share_of_parent": None,
        "production": None,
        "enpi": None,
        "enpi_expected": None,
        "enpi_baseline_year": None,
        "model": None,
        "expectation_note": "",
        "extrapolated": False,  # the expectation rests on drivers outside the baseline's range
        "adjustments": [],  # plan adjustments included in the expectation, with their effect
        "daily": None,
    }
    if not ok:
        return row
    h = ctx.data.hourly(mid)
    h = h[(h.index >= t0) & (h.index < t1)]
    row["use"] = float(h.sum())
    tariff = plan.tariffs.get(meter.kind)  # type: ignore[arg-type]
    if tariff is not None:
        row["cost"] = float((h * hourly_prices(pd.DatetimeIndex(h.index), tariff)).sum())
    b = plan.baselines.get(mid)
    if b is None:
        row["expectation_note"] = Text(N_("no baseline in the M&V plan"))
        return row
    if b.production:
        p = ctx.data.hourly(b.production)
        row["production"] = float(p[(p.index >= t0) & (p.index < t1)].sum())
    try:
        r = v.result(mid, w.start, w.end)
        row["expected"], row["model"] = r.adjusted_baseline, r.model.type
        row["adjustments"] = v.adjustments(mid, w.start, w.end)
        row["difference"] = row["use"] - r.adjusted_baseline
        row["extrapolated"] = r.extrapolated
        if r.extrapolated:
            row["expectation_note"] = "; ".join(w.shown() for w in r.driver_range)
        row["daily"] = r.frame[["observed", "adjusted_baseline"]].resample("D").sum(min_count=1)
    except AnalyticsError as exc:
        logger.warning("consumption: no baseline for %s: %s", mid, exc)
        row["expectation_note"] = str(exc)
    prod = row["production"]
    if prod:
        row["enpi"] = row["use"] / prod * 1000
        if row["expected"] is not None:
            row["enpi_expected"] = row["expected"] / prod * 1000
    if b.production:
        bu = v.usage(mid)
        bp = ctx.data.hourly(b.production)
        b0, b1 = local_ts(plan.baseline.start, tz), local_ts(plan.baseline.end, tz)
        sel = bu.notna() & (bu.index >= b0) & (bu.index < b1)
        denom = float(bp.reindex(bu.index)[sel].sum())
        row["enpi_baseline_year"] = float(bu[sel].sum()) / denom * 1000 if denom else None
    return row


def _rests(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per parent: its use not measured by its sub-meters (None when any side lacks data)."""
    by_id = {r["meter"]: r for r in rows}
    out = []
    for parent in by_id.values():
        children = [r for r in rows if r["parent"] == parent["meter"]]
        if not children:
            continue
        uses = [parent["use"], *(c["use"] for c in children)]
        rest = None if any(u is None for u in uses) else uses[0] - sum(uses[1:])
        total = parent["use"]
        for c in children:
            if c["use"] is not None and total:
                c["share_of_parent"] = c["use"] / total
        out.append(
            {
                "parent": parent["meter"],
                "unit": parent["unit"],
                "sub_meters": [c["meter"] for c in children],
                "rest": rest,
                "share": rest / total if rest is not None and total else None,
                "missing": [r["meter"] for r in (parent, *children) if r["use"] is None],
            }
        )
    return out


def _totals(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Site use and cost per kind, from the top-level meters only."""
    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        if r["parent"] is not None:
            continue
        t = out.setdefault(
            r["kind"],
            {"unit": r["unit"], "meters": [], "use": 0.0, "cost": 0.0, "missing": []},
        )
        t["meters"].append(r["meter"])
        if r["use"] is None:
            t["missing"].append(r["meter"])
            continue
        t["use"] += r["use"]
        t["cost"] = None if r["cost"] is None or t["cost"] is None else t["cost"] + r["cost"]
    for t in out.values():
        if t["missing"]:
            t["use"] = t["cost"] = None
    return out


def consumption_report(ctx: ReportContext, w: Window) -> dict[str, Any]:
    """Every number of the consumption report for ``w``, JSON-ready apart from ``daily``."""
    tz = ctx.data.tz
    t0, t1 = local_ts(w.start, tz), local_ts(w.end, tz)
    ids = consumption_meters(ctx)
    parents = {m.id: m.parent for m in ctx.loaded.site.meters if m.id in ids and m.parent in ids}
    rows = [_meter_row(ctx, mid, w, parents) for mid in ids]
    daily = {r["meter"]: r.pop("daily") for r in rows}
    totals = _totals(rows)
    costs = [t["cost"] for t in totals.values()]
    flags = ctx.data.flags(ids, t0, t1)
    anomalies = flag_entries(flags, tz)[:10]
    flags_computed = flag_status(ctx.data.flag_coverage(ids, t0, t1))
    sufficient = [r for r in rows if r["status"] == "ok"]
    return {
        "period": w.label,
        "start": w.start,
        "end": w.end,
        "status": "ok" if sufficient else INSUFFICIENT,
        "min_completeness": ctx.plan.min_completeness,
        "meters": rows,
        "totals": totals,
        "cost_total": None if not costs or None in costs else sum(costs),
        "unmetered": _rests(rows),
        "anomalies": anomalies,
        "flags_computed": flags_computed,
        "daily": {m: d for m, d in daily.items() if d is not None and d["observed"].notna().any()},
    }
