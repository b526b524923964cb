"""Format a consumption report (``consumption.consumption_report``) into a ``Document``."""

from __future__ import annotations

import logging
from typing import Any

from plantmeter.i18n import _, current_locale

from .document import Chart, Document, Section, Series, Table, fmt, jsonable, pct
from .flagstatus import flag_line, flag_lines
from .words import term

__all__ = ["consumption_document", "consumption_summary"]

logger = logging.getLogger(__name__)


def _pct(x: float | None) -> str:
    return pct(x)


def _data(m: dict[str, Any]) -> str:
    c = _pct(m["completeness"])
    return (
        c if m["status"] == "ok" else _("insufficient data ({completeness})").format(completeness=c)
    )


def consumption_summary(r: dict[str, Any], currency: str) -> str:
    """The headline: site totals from top-level meters, then what stands out, never good news
    made of missing data."""
    rows = r["meters"]
    if r["status"] != "ok":
        comp = ", ".join(f"{m['meter']} {_pct(m['completeness'])}" for m in rows) or _("no meters")
        return _(
            "{period}: insufficient data — no meter has {share} of the period's days complete "
            "(data completeness: {completeness}); no use, cost or comparison is given."
        ).format(period=r["period"], share=pct(r["min_completeness"]), completeness=comp)
    parts = []
    for kind, t in r["totals"].items():
        if t["use"] is None:
            parts.append(
                _("{kind}: insufficient data on {meters}").format(
                    kind=term(kind), meters=", ".join(t["missing"])
                )
            )
        else:
            parts.append(f"{term(kind)} {fmt(t['use'], 0, t['unit'])}")
    cost = r["cost_total"]
    s = _("{period}: site use {parts}").format(period=r["period"], parts=", ".join(parts))
    s += (
        _("; metered cost {cost}").format(cost=fmt(cost, 0, currency))
        if cost is not None
        else _("; cost incomplete")
    )
    s += _(" (top-level meters; sub-meters are inside their parent)")
    over = [m for m in rows if (m["difference"] or 0) > 0]
    compared = [m for m in rows if m["difference"] is not None]
    short = [m for m in rows if m["status"] != "ok"]
    unexpected = [m for m in rows if m["status"] == "ok" and m["difference"] is None]
    extra = [m["meter"] for m in rows if m["extrapolated"]]
    notes = []
    if over:
        notes.append(
            _("above the baseline's expectation on {meters}").format(
                meters=", ".join(
                    f"{m['meter']} (+{fmt(m['difference'], 0, m['unit'])})" for m in over
                )
            )
        )
    elif compared and not short and not unexpected and not extra:
        notes.append(_("every meter at or below its baseline expectation"))
    elif compared:
        notes.append(
            _("at or below the baseline's expectation on {meters}").format(
                meters=", ".join(m["meter"] for m in compared)
            )
        )
    if unexpected:
        notes.append(
            _("no expectation for {meters}").format(
                meters=", ".join(m["meter"] for m in unexpected)
            )
        )
    if extra:
        notes.append(
            _("EXTRAPOLATED expectation (drivers outside the baseline's range) on {meters}").format(
                meters=", ".join(extra)
            )
        )
    if short:
        notes.append(
            _("insufficient data on {meters}").format(
                meters=", ".join(f"{m['meter']} ({_pct(m['completeness'])})" for m in short)
            )
        )
    return s + "; " + "; ".join(notes) + "." if notes else s + "."


def consumption_document(r: dict[str, Any], meta: list[str], currency: str, site: str) -> Document:
    rest = {u["parent"]: u for u in r["unmetered"]}
    rows: list[list[str]] = []

    def add(m: dict[str, Any], depth: int) -> None:
        pad = "  " * depth
        share = (
            _("{share} of {parent}").format(share=_pct(m["share_of_parent"]), parent=m["parent"])
            if m["share_of_parent"] is not None
            else ""
        )
        rows.append(
            [
                pad + m["meter"],
                m["area"],
                fmt(m["use"], 0, m["unit"]),
                share,
                fmt(m["expected"], 0, m["unit"])
                + (_(" (extrapolated)") if m["extrapolated"] else ""),
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
            share = (
                _("{share} of {parent}").format(share=_pct(u["share"]), parent=u["parent"])
                if u["share"] is not None
                else ""
            )
            rows.append(
                [
                    pad + "  " + _("rest of {parent}").format(parent=u["parent"]),
                    _("not sub-metered"),
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
            _("meter"),
            _("area"),
            _("use"),
            _("share"),
            _("expected (baseline)"),
            _("difference"),
            _("cost"),
            _("data"),
            _("model"),
        ],
        rows,
        _("Use per meter and area (indented: sub-meters, inside their parent)"),
    )
    totals = Table(
        [_("kind"), _("top-level meters"), _("use"), _("cost")],
        [
            [
                term(kind),
                ", ".join(t["meters"]),
                fmt(t["use"], 0, t["unit"])
                if t["use"] is not None
                else _("insufficient data on {meters}").format(meters=", ".join(t["missing"])),
                fmt(t["cost"], 0, currency),
            ]
            for kind, t in r["totals"].items()
        ],
        _("Site totals (top-level meters only)"),
    )
    enpi = Table(
        [
            _("meter"),
            _("production"),
            _("per {n} units").format(n=fmt(1000)),
            _("expected for this period"),
            _("baseline year"),
        ],
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
        _("Specific consumption (EnPI) per {n} units produced").format(n=fmt(1000)),
    )
    anomalies = flag_lines(
        [flag_line(a, until=False) for a in r["anomalies"]],
        r.get("flags_computed", {}),
        _("No anomaly flags in this period"),
    )
    units = {m["meter"]: m["unit"] for m in r["meters"]}
    charts = [
        Chart(
            _("{meter}: daily use vs adjusted baseline").format(meter=mid),
            list(d.index.tz_localize(None)),
            [
                Series(_("actual"), list(d["observed"]), "bar"),
                Series(_("adjusted baseline"), list(d["adjusted_baseline"]), "dashed"),
            ],
            _("{unit} per day").format(unit=units[mid]),
        )
        for mid, d in r["daily"].items()
    ]
    notes = [
        _(
            "Expected = the meter's baseline model under this period's weather and production. "
            "Cost at the plan's tariffs, hour by hour. Site totals add the top-level meters only: "
            "a sub-meter's use is already inside its parent's, so it is shown as a share of it, "
            "with the parent's unmetered rest."
        ),
        _(
            "A meter with fewer than {share} of the period's days complete (>= {hours} of each "
            "day's hours) shows its completeness and no figure."
        ).format(share=pct(r["min_completeness"]), hours=pct(0.9)),
    ]
    notes += [
        f"{m['meter']}: "
        + (_("expectation extrapolated — ") if m["extrapolated"] else _("no expectation — "))
        + str(m["expectation_note"])
        for m in r["meters"]
        if m["status"] == "ok" and m["expectation_note"]
    ]
    notes += [
        _(
            "Expected for {meter} includes the {kind} adjustment {id}: {effect} {unit} ({rule}) "
            "— {reason}"
        ).format(
            meter=m["meter"],
            kind=_("routine") if a["kind"] == "routine" else _("non-routine"),
            id=a["id"],
            effect=("+" if a["effect"] > 0 else "") + fmt(a["effect"], 0),
            unit=a["unit"],
            rule=a["rule"],
            reason=a["reason"],
        )
        for m in r["meters"]
        for a in m["adjustments"]
    ]
    data = {"report": "consumption", **{k: x for k, x in r.items() if k != "daily"}}
    return Document(
        _("Consumption report — {site} — {period}").format(site=site, period=r["period"]),
        consumption_summary(r, currency),
        meta,
        [
            Section(_("Use, cost and expectation"), notes, [totals, use, enpi]),
            Section(_("Top anomalies"), anomalies),
            Section(
                _("Daily use"), [] if charts else [_("No daily data in this period.")], [], charts
            ),
        ],
        jsonable(data),
        current_locale(),
    )
