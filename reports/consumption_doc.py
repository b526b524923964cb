"""Format a consumption report (``consumption.consumption_report``) into a ``Document``."""

from __future__ import annotations

import logging
from typing import Any

from .document import Chart, Document, Section, Series, Table, fmt, jsonable
from .flagstatus import flag_lines

__all__ = ["consumption_document", "consumption_summary"]

logger = logging.getLogger(__name__)


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x:.0%}"


def _data(m: dict[str, Any]) -> str:
    c = _pct(m["completeness"])
    return c if m["status"] == "ok" else f"insufficient data ({c})"


def consumption_summary(r: dict[str, Any], currency: str) -> str:
    """The headline: site totals from top-level meters, then what stands out, never good news
    made of missing data."""
    rows = r["meters"]
    if r["status"] != "ok":
        comp = ", ".join(f"{m['meter']} {_pct(m['completeness'])}" for m in rows) or "no meters"
        return (
            f"{r['period']}: insufficient data — no meter has {r['min_completeness']:.0%} of "
            f"the period's days complete (data completeness: {comp}); no use, cost or "
            "comparison is given."
        )
    parts = []
    for kind, t in r["totals"].items():
        if t["use"] is None:
            parts.append(f"{kind}: insufficient data on {', '.join(t['missing'])}")
        else:
            parts.append(f"{kind} {fmt(t['use'], 0, t['unit'])}")
    cost = r["cost_total"]
    s = f"{r['period']}: site use {', '.join(parts)}"
    s += f"; metered cost {fmt(cost, 0, currency)}" if cost is not None else "; cost incomplete"
    s += " (top-level meters; sub-meters are inside their parent)"
    over = [m for m in rows if (m["difference"] or 0) > 0]
    compared = [m for m in rows if m["difference"] is not None]
    short = [m for m in rows if m["status"] != "ok"]
    unexpected = [m for m in rows if m["status"] == "ok" and m["difference"] is None]
    extra = [m["meter"] for m in rows if m["extrapolated"]]
    notes = []
    if over:
        notes.append(
            "above the baseline's expectation on "
            + ", ".join(f"{m['meter']} (+{fmt(m['difference'], 0, m['unit'])})" for m in over)
        )
    elif compared and not short and not unexpected and not extra:
        notes.append("every meter at or below its baseline expectation")
    elif compared:
        notes.append(
            "at or below the baseline's expectation on " + ", ".join(m["meter"] for m in compared)
        )
    if unexpected:
        notes.append("no expectation for " + ", ".join(m["meter"] for m in unexpected))
    if extra:
        notes.append(
            "EXTRAPOLATED expectation (drivers outside the baseline's range) on " + ", ".join(extra)
        )
    if short:
        notes.append(
            "insufficient data on "
            + ", ".join(f"{m['meter']} ({_pct(m['completeness'])})" for m in short)
        )
    return s + "; " + "; ".join(notes) + "." if notes else s + "."


def consumption_document(r: dict[str, Any], meta: list[str], currency: str, site: str) -> Document:
    rest = {u["parent"]: u for u in r["unmetered"]}
    rows: list[list[str]] = []

    def add(m: dict[str, Any], depth: int) -> None:
        pad = "  " * depth
        share = (
            f"{_pct(m['share_of_parent'])} of {m['parent']}"
            if m["share_of_parent"] is not None
            else ""
        )
        rows.append(
            [
                pad + m["meter"],
                m["area"],
                fmt(m["use"], 0, m["unit"]),
                share,
                fmt(m["expected"], 0, m["unit"]) + (" (extrapolated)" if m["extrapolated"] else ""),
                fmt(m["difference"], 0, m["unit"]),
                fmt(m["cost"], 0, currency),
                _data(m),
                m["model"] or "—",
            ]
        )
        for c in r["meters"]:
            if c["parent"] == m["meter"]:
                add(c, depth + 1)
        if (u := rest.get(m["meter"])) is not None:
            share = f"{_pct(u['share'])} of {u['parent']}" if u["share"] is not None else ""
            rows.append(
                [
                    f"{pad}  rest of {u['parent']}",
                    "not sub-metered",
                    fmt(u["rest"], 0, u["unit"]),
                    share,
                ]
                + [""] * 5
            )

    for m in r["meters"]:
        if m["parent"] is None:
            add(m, 0)
    use = Table(
        [
            "meter",
            "area",
            "use",
            "share",
            "expected (baseline)",
            "difference",
            "cost",
            "data",
            "model",
        ],
        rows,
        "Use per meter and area (indented: sub-meters, inside their parent)",
    )
    totals = Table(
        ["kind", "top-level meters", "use", "cost"],
        [
            [
                kind,
                ", ".join(t["meters"]),
                fmt(t["use"], 0, t["unit"])
                if t["use"] is not None
                else f"insufficient data on {', '.join(t['missing'])}",
                fmt(t["cost"], 0, currency),
            ]
            for kind, t in r["totals"].items()
        ],
        "Site totals (top-level meters only)",
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
    anomalies = flag_lines(
        [
            f"{a['start'][:16]} {a['meter']} {a['kind']} ({a['severity']}): {a['reason']}"
            for a in r["anomalies"]
        ],
        r.get("flags_computed", {}),
        "No anomaly flags in this period",
    )
    units = {m["meter"]: m["unit"] for m in r["meters"]}
    charts = [
        Chart(
            f"{mid}: daily use vs adjusted baseline",
            list(d.index.tz_localize(None)),
            [
                Series("actual", list(d["observed"]), "bar"),
                Series("adjusted baseline", list(d["adjusted_baseline"]), "dashed"),
            ],
            f"{units[mid]} per day",
        )
        for mid, d in r["daily"].items()
    ]
    notes = [
        "Expected = the meter's baseline model under this period's weather and production. Cost "
        "at the plan's tariffs, hour by hour. Site totals add the top-level meters only: a "
        "sub-meter's use is already inside its parent's, so it is shown as a share of it, with "
        "the parent's unmetered rest.",
        f"A meter with fewer than {r['min_completeness']:.0%} of the period's days complete "
        "(>= 90 % of each day's hours) shows its completeness and no figure.",
    ]
    notes += [
        f"{m['meter']}: "
        + ("expectation extrapolated — " if m["extrapolated"] else "no expectation — ")
        + m["expectation_note"]
        for m in r["meters"]
        if m["status"] == "ok" and m["expectation_note"]
    ]
    notes += [
        f"Expected for {m['meter']} includes the {a['kind']} adjustment "
        f"{a['id']}: {a['effect']:+,.0f} {a['unit']} ({a['rule']}) — {a['reason']}"
        for m in r["meters"]
        for a in m["adjustments"]
    ]
    data = {"report": "consumption", **{k: x for k, x in r.items() if k != "daily"}}
    return Document(
        f"Consumption report — {site} — {r['period']}",
        consumption_summary(r, currency),
        meta,
        [
            Section("Use, cost and expectation", notes, [totals, use, enpi]),
            Section("Top anomalies", anomalies),
            Section("Daily use", [] if charts else ["No daily data in this period."], [], charts),
        ],
        jsonable(data),
    )
