"""Consumption report for the plant manager (a week or a month).

Per metered meter: use, the adjusted baseline for the same conditions, cost at the plan's
tariffs (hour by hour), specific consumption per 1,000 units produced (EnPI, ISO 50006
style) against the baseline's, and the period's anomaly flags, most severe first.
"""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd

from plantmeter.errors import AnalyticsError

from .common import ReportContext
from .data import hourly_prices, local_ts
from .document import Chart, Document, Section, Series, Table, fmt, jsonable
from .plan import UNITS
from .verify import Window

__all__ = ["consumption_document", "consumption_report"]

logger = logging.getLogger(__name__)
SEVERITY = {"critical": 0, "warning": 1, "info": 2}


def consumption_report(ctx: ReportContext, w: Window) -> dict[str, Any]:
    plan, v, tz = ctx.plan, ctx.verifier, ctx.data.tz
    t0, t1 = local_ts(w.start, tz), local_ts(w.end, tz)
    rows, daily = [], {}
    for mid, b in plan.baselines.items():
        meter = ctx.loaded.site.meter(mid)
        h = ctx.data.hourly(mid)
        h = h[(h.index >= t0) & (h.index < t1)]
        completeness, _ = v.completeness([mid], w.start, w.end)
        use = float(h.sum()) if len(h) else None
        tariff = plan.tariffs.get(meter.kind)  # type: ignore[call-overload]
        cost = (
            float((h * hourly_prices(pd.DatetimeIndex(h.index), tariff)).sum())
            if tariff and len(h)
            else None
        )
        prod = None
        if b.production:
            p = ctx.data.hourly(b.production)
            prod = float(p[(p.index >= t0) & (p.index < t1)].sum())
        expected, base_enpi, model = None, None, None
        try:
            r = v.result(mid, w.start, w.end)
            expected, model = r.adjusted_baseline, r.model.type
            daily[mid] = r.frame[["observed", "adjusted_baseline"]].resample("D").sum(min_count=1)
        except AnalyticsError as exc:
            logger.warning("consumption: no baseline for %s: %s", mid, exc)
        if b.production:
            bu = v.usage(mid)
            bp = ctx.data.hourly(b.production)
            b0, b1 = local_ts(plan.baseline.start, tz), local_ts(plan.baseline.end, tz)
            sel = bu.notna() & (bu.index >= b0) & (bu.index < b1)
            base_enpi = float(bu[sel].sum()) / float(bp.reindex(bu.index)[sel].sum()) * 1000
        rows.append(
            {
                "meter": mid,
                "area": meter.area or "",
                "kind": meter.kind,
                "unit": UNITS[meter.kind],
                "use": use,
                "expected": expected,
                "difference": None if use is None or expected is None else use - expected,
                "cost": cost,
                "completeness": completeness,
                "production": prod,
                "enpi": use / prod * 1000 if use is not None and prod else None,
                "enpi_expected": expected / prod * 1000 if expected is not None and prod else None,
                "enpi_baseline_year": base_enpi,
                "model": model,
            }
        )
    flags = ctx.data.flags(list(plan.baselines), t0, t1)
    flags.sort(key=lambda f: (SEVERITY.get(f.severity, 3), f.start_ms))
    anomalies = [
        {
            "meter": f.meter,
            "kind": f.kind,
            "severity": f.severity,
            "reason": f.reason,
            "start": pd.Timestamp(f.start_ms, unit="ms", tz="UTC").tz_convert(tz).isoformat(),
        }
        for f in flags[:10]
    ]
    return {
        "period": w.label,
        "start": w.start,
        "end": w.end,
        "meters": rows,
        "anomalies": anomalies,
        "daily": daily,
    }


def consumption_document(r: dict[str, Any], meta: list[str], currency: str, site: str) -> Document:
    use = Table(
        ["meter", "area", "use", "expected (baseline)", "difference", "cost", "data", "model"],
        [
            [
                m["meter"],
                m["area"],
                fmt(m["use"], 0, m["unit"]),
                fmt(m["expected"], 0, m["unit"]),
                fmt(m["difference"], 0, m["unit"]),
                fmt(m["cost"], 0, currency),
                f"{m['completeness']:.0%}",
                m["model"] or "—",
            ]
            for m in r["meters"]
        ],
        "Use per meter and area",
    )
    enpi = Table(
        ["meter", "production", "per 1,000 units", "expected for this period", "baseline year"],
        [
            [
                m["meter"],
                fmt(m["production"], 0),
                fmt(m["enpi"], 2, m["unit"]),
                fmt(m["enpi_expected"], 2, m["unit"]),
                fmt(m["enpi_baseline_year"], 2, m["unit"]),
            ]
            for m in r["meters"]
            if m["production"] is not None
        ],
        "Specific consumption (EnPI) per 1,000 units produced",
    )
    anomalies = [
        f"{a['start'][:16]} {a['meter']} {a['kind']} ({a['severity']}): {a['reason']}"
        for a in r["anomalies"]
    ] or ["No anomaly flags in this period."]
    charts = [
        Chart(
            f"{mid}: daily use vs adjusted baseline",
            list(d.index.tz_localize(None)),
            [
                Series("actual", list(d["observed"]), "bar"),
                Series("adjusted baseline", list(d["adjusted_baseline"]), "dashed"),
            ],
            "use per day",
        )
        for mid, d in r["daily"].items()
    ]
    total_cost = sum(m["cost"] or 0 for m in r["meters"])
    over = [m["meter"] for m in r["meters"] if (m["difference"] or 0) > 0]
    summary = f"{r['period']}: metered cost {fmt(total_cost, 0, currency)}; " + (
        f"above the baseline's expectation on {', '.join(over)}."
        if over
        else "every meter at or below its baseline expectation."
    )
    data = {"report": "consumption", **{k: x for k, x in r.items() if k != "daily"}}
    return Document(
        f"Consumption report — {site} — {r['period']}",
        summary,
        meta,
        [
            Section(
                "Use, cost and expectation",
                [
                    "Expected = the meter's baseline model under this period's weather and "
                    "production. Cost at the plan's tariffs, hour by hour."
                ],
                [use, enpi],
            ),
            Section("Top anomalies", anomalies),
            Section("Daily use", [], [], charts),
        ],
        jsonable(data),
    )
