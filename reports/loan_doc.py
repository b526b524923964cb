"""Format a ``LoanReport`` into a ``Document`` (text, tables, chart series): no arithmetic
beyond choosing what to show; every figure comes from the report."""

from __future__ import annotations

import logging

import pandas as pd

from plantmeter.i18n import _, current_locale, format_date
from plantmeter.text import render

from .document import Chart, Document, Section, Series, Table, fmt, fmt_band, jsonable, pct
from .flagstatus import flag_line, flag_lines
from .loan import LoanReport, MonthRow
from .verify import Verification, Window
from .words import term

__all__ = ["expected_text", "loan_document", "status_text", "verification_rows", "window_label"]

logger = logging.getLogger(__name__)


def _pct(x: float | None) -> str:
    return pct(x)


def window_label(w: Window) -> str:
    """A verified period as the reader's locale says it: '2025-11', 'Q4 2025 to date'."""
    return render(w.text())


def status_text(status: str, extrapolated: bool) -> str:
    """A verification status in the report's language, '(extrapolated)' when it is."""
    if extrapolated:
        return _("{status} (extrapolated)").format(status=term(status))
    return term(status)


def _g14(ok: bool | None) -> str:
    return "—" if ok is None else (_("pass") if ok else _("FAIL"))


def verification_rows(vs: list[Verification], currency: str) -> Table:
    rows = []
    for x in vs:
        unit = next(iter(x.savings), "")
        rows.append(
            [
                x.option,
                window_label(x.window),
                status_text(x.status, x.extrapolated),
                fmt_band(x.savings.get(unit), x.band_90.get(unit), 0, unit)
                if x.has_number
                else "—",
                fmt_band(x.cost, x.cost_band_90, 0, currency) if x.has_number else "—",
                fmt((x.co2_kg or 0) / 1000, 2, "t")
                if x.has_number and x.co2_kg is not None
                else "—",
                _pct(x.completeness),
                _g14(x.g14_pass),
            ]
        )
    return Table(
        [
            _("option"),
            _("period"),
            _("status"),
            _("verified savings (90 %)"),
            _("cost savings"),
            "CO2e",
            _("data"),
            "G14",
        ],
        rows,
        _("Verified savings by period"),
    )


def expected_text(expected: dict[str, float | None], currency: str) -> str:
    """The plan's expected savings with units: '95,000 kWh, 11,500 USD'."""
    units = {"kwh": "kWh", "m3": "m3", "cost": currency}
    return ", ".join(fmt(v, 0, units.get(k, k)) for k, v in expected.items() if v)


def _why(r: LoanReport, kind: str) -> str:
    """Short reason for the headline: 'temperature outside the baseline range in 100 % of
    reporting days (refrigeration)'."""
    parts = sorted(
        {
            _(
                "{driver} outside the baseline range in {share} of reporting {intervals} ({meter})"
            ).format(
                driver=d["data"]["driver"],
                share=pct(d["data"]["share_outside"]),
                intervals=term(d["data"]["interval_unit"]),
                meter=ms.meter,
            )
            for x in r.verifications
            if x.window.kind == kind and x.extrapolated
            for ms in x.meters
            for d in ms.driver_range
            if d["data"]["extrapolated"]
        }
    )
    return "; ".join(parts) or _("drivers outside the baseline's range")


def _summary(r: LoanReport, cur: str) -> str:
    last = r.rows[-1] if r.rows else None
    month = r.month  # the period as --period takes it (YYYY-MM reads the same in every locale)
    if last is None or last.verified is None:
        comp = _pct(last.completeness) if last else "—"
        return _(
            "{month}: insufficient data to verify the savings of loan {loan} "
            "(data completeness {completeness}); no savings figure is given."
        ).format(month=month, loan=r.loan["id"], completeness=comp)
    s = _("{month}: verified savings of {amount} ± {band} {currency}").format(
        month=month, amount=fmt(last.verified, 0), band=fmt(last.band_90, 0), currency=cur
    )
    if last.debt_service:
        s += _(" cover {coverage} of this month's repayment of {amount} {currency}").format(
            coverage=_pct(last.coverage), amount=fmt(last.debt_service, 2), currency=cur
        )
    else:
        s += _(" (no repayment due this month)")
    if last.extrapolated:
        s += _(" (EXTRAPOLATED: {why})").format(why=_why(r, "month"))
    s += _(
        "; since implementation {amount} ± {band} {currency} verified against {promised} "
        "{currency} promised ({status})"
    ).format(
        amount=fmt(last.cum_verified, 0),
        band=fmt(last.cum_band_90, 0),
        currency=cur,
        promised=fmt(last.cum_promised, 0),
        status=term(last.status),
    )
    if last.cum_extrapolated and not last.extrapolated:
        s += _(" (EXTRAPOLATED: {why})").format(why=_why(r, "since"))
    open_ = [c for c in r.covenants if c.result == "not determinable"]
    if open_:
        s += _("; {n} of {total} covenants not determinable on extrapolated figures").format(
            n=len(open_), total=len(r.covenants)
        )
    return s + "."


def _edge(m: MonthRow, sign: int) -> float:
    """One edge of the cumulative 90 % band; NaN (a gap) where there is no verified figure."""
    if m.status == "not implemented":
        return 0.0
    if m.cum_verified is None:
        return float("nan")
    return m.cum_verified + sign * (m.cum_band_90 or 0.0)


def _cumulative_chart(r: LoanReport, cur: str, lines: list[tuple[object, str]]) -> Chart:
    """Running totals drawn where they are true: at each month's end (the first point is
    zero at the start of the first month), so no saving appears before commissioning."""
    if not r.rows:
        return Chart(_("Cumulative verified cost savings vs cumulative debt service"), [], [], cur)
    first = pd.Timestamp(r.rows[0].month + "-01")
    x = [first] + [pd.Timestamp(m.month + "-01") + pd.offsets.MonthBegin(1) for m in r.rows]

    def run(vals: list[float | None]) -> list[float | None]:
        return [0.0, *vals]

    rows = r.rows
    return Chart(
        _("Cumulative verified cost savings vs cumulative debt service (totals at month end)"),
        x,
        [
            Series(
                _("verified savings"),
                run([0.0 if m.status == "not implemented" else m.cum_verified for m in rows]),
                "line",
                (
                    [0.0, *(_edge(m, -1) for m in rows)],
                    [0.0, *(_edge(m, 1) for m in rows)],
                ),
            ),
            Series(_("promised savings"), run([m.cum_promised for m in rows]), "dashed"),
            Series(_("debt service"), run([m.cum_debt_service for m in rows]), "line"),
        ],
        cur,
        lines,
    )


def loan_document(r: LoanReport, meta: list[str], currency: str) -> Document:
    ln, cur = r.loan, currency
    opts = Table(
        [
            _("option"),
            _("title"),
            _("level"),
            _("status"),
            _("implemented"),
            _("investment"),
            _("expected / year"),
        ],
        [
            [
                o["id"],
                o["title"],
                term(o["level"]),
                term(o["status"]),
                format_date(o["implemented"]) if o["implemented"] else "—",
                fmt(o["investment"], 0, cur),
                expected_text(o["expected_annual"], cur),
            ]
            for o in r.options
        ],
        _("Financed options"),
    )
    terms = _(
        "Lender {lender}; borrower {borrower}; principal {principal} {currency} at {rate} a year "
        "over {months} months, {schedule} repayment, disbursed {disbursed}; promised savings "
        "{promised} {currency} a year."
    ).format(
        lender=ln["lender"],
        borrower=ln["borrower"],
        principal=fmt(ln["principal"], 0),
        currency=ln["currency"],
        rate=pct(ln["annual_rate"], 2),
        months=ln["term_months"],
        schedule=term(ln["schedule"]),
        disbursed=format_date(ln["disbursement"]),
        promised=fmt(ln["promised_annual_savings"], 0),
    )
    monthly = Table(
        [
            _("month"),
            _("promised"),
            _("verified (90 %)"),
            _("status"),
            _("data"),
            _("debt service"),
            _("coverage"),
            _("cum. promised"),
            _("cum. verified (90 %)"),
            _("cum. debt service"),
            _("cum. coverage"),
        ],
        [
            [
                m.month,
                fmt(m.promised, 0),
                fmt_band(m.verified, m.band_90, 0),
                status_text(m.status, m.extrapolated),
                _pct(m.completeness),
                fmt(m.debt_service, 2),
                _pct(m.coverage),
                fmt(m.cum_promised, 0),
                fmt_band(m.cum_verified, m.cum_band_90, 0),
                fmt(m.cum_debt_service, 2),
                _pct(m.cum_coverage),
            ]
            for m in r.rows
        ],
        _("Promised vs verified cost savings ({currency})").format(currency=cur),
    )
    f = r.financials
    fin = Table(
        [_("basis"), _("annual savings"), _("simple payback"), _("NPV"), _("IRR")],
        [
            [
                term(k),
                fmt(f[f"annual_{k}_savings"], 0, cur)
                + (" *" if k == "verified" and f.get("annualised_note") else ""),
                "—"
                if f[f"payback_years_{k}"] is None
                else _("{years} years").format(years=fmt(f[f"payback_years_{k}"], 1)),
                fmt(f[f"npv_{k}"], 0, cur),
                _pct(f[f"irr_{k}"]),
            ]
            for k in ("verified", "promised")
        ],
        _("Investment {investment}, {years} years, discount rate {rate}").format(
            investment=fmt(f["investment"], 0, cur),
            years=fmt(f["lifetime_years"], 0 if float(f["lifetime_years"]).is_integer() else 1),
            rate=pct(f["discount_rate"]),
        )
        + (f"; * {f['annualised_note']}" if f.get("annualised_note") else ""),
    )
    covs = Table(
        [_("covenant"), _("basis"), _("result"), _("evidence")],
        [
            [c.description or c.type, term(c.basis), term(c.result).upper(), str(c.evidence)]
            for c in r.covenants
        ],
        _("Performance covenants (90 % interval against the threshold)"),
    )
    quality = Table(
        [
            _("option"),
            _("meter"),
            _("measurement"),
            _("model"),
            "R²",
            "CV(RMSE)",
            "NMBE",
            "G14",
            _("data"),
        ],
        [
            [
                q["option"],
                q["meter"],
                term(q["measurement"]),
                q["type"],
                fmt(q["r2"], 3),
                pct(q["cvrmse"], 1),
                pct(q["nmbe"], 2),
                _g14(q["g14_pass"]),
                _pct(q["completeness"]),
            ]
            for q in r.quality
        ],
        _("Baseline models (fitted on the baseline period)"),
    )
    anomalies = flag_lines(
        [flag_line(a) for a in r.anomalies[:15]],
        r.flags_computed,
        _("No anomaly flags on the option meters in this month"),
    )
    caveats = [render(c) for c in sorted({c for x in r.verifications for c in x.caveats})]
    lines = [
        (pd.Timestamp(d), _("{option} implemented").format(option=o))
        for o, d in r.implemented.items()
    ]
    charts = [_cumulative_chart(r, cur, lines)]
    units = {ms.meter: ms.unit for x in r.verifications for ms in x.meters}
    for meter, t in r.traces.items():
        monthly_t = t[["observed", "adjusted_baseline"]].resample("MS").sum(min_count=1)
        unit = units.get(meter, "")
        charts.append(
            Chart(
                _("{meter}: adjusted baseline vs actual, per month").format(meter=meter),
                list(monthly_t.index.tz_localize(None)),
                [
                    Series(_("adjusted baseline"), list(monthly_t["adjusted_baseline"]), "dashed"),
                    Series(_("actual"), list(monthly_t["observed"])),
                ],
                _("{unit} per month").format(unit=unit),
                lines,
            )
        )
        charts.append(
            Chart(
                _("{meter}: CUSUM of savings (adjusted baseline − actual)").format(meter=meter),
                list(t.index.tz_localize(None)),
                [Series(_("cumulative savings"), list(t["cumulative_savings"]))],
                _("cumulative savings, {unit}").format(unit=unit),
                lines,
            )
        )
    sections = [
        Section(_("Loan and options"), [terms], [opts]),
        Section(
            _("Promised vs verified savings"),
            [
                _(
                    "Verified savings = adjusted baseline − actual use on the options' meters, "
                    "valued at the plan's tariffs; ± is the 90 % interval (ASHRAE Guideline 14 "
                    "fractional savings uncertainty). A month with too little data shows no "
                    "figure, only its completeness. Promised savings are pro rata by day from "
                    "implementation."
                ),
                *caveats,
                *(
                    _("Drivers outside the baseline's range — {note}").format(note=n)
                    for n in map(render, r.extrapolation)
                ),
            ],
            [monthly, verification_rows(r.verifications, cur)],
            charts[:1],
        ),
        Section(
            _("Covenants"),
            [
                _(
                    "MET / NOT MET: the whole 90 % interval clears / misses the threshold; "
                    "INCONCLUSIVE: the interval straddles it; NOT YET DETERMINABLE: no verified "
                    "figure yet; NOT DETERMINABLE: the figure is extrapolated."
                )
            ],
            [covs],
        ),
        Section(
            _("Return on verified savings"),
            [
                _(
                    "GHG avoided: {month_t} t CO2e in {month}, {since_t} t since implementation."
                ).format(
                    month_t=fmt(r.ghg["month_kg"] / 1000, 2),
                    month=r.month,
                    since_t=fmt(r.ghg["since_kg"] / 1000, 2),
                ),
                *(
                    [_("Verified annual savings are {note}.").format(note=f["annualised_note"])]
                    if f.get("annualised_note")
                    else []
                ),
                *(
                    [
                        _(
                            "The verified figures are EXTRAPOLATED (drivers outside the baseline's "
                            "range)."
                        )
                    ]
                    if f.get("extrapolated")
                    else []
                ),
            ],
            [fin],
        ),
        Section(_("Data quality and anomalies"), anomalies, [quality]),
        Section(_("Evidence"), [], [], charts[1:]),
    ]
    return Document(
        _("Loan monitoring report — {loan} — {month}").format(loan=ln["id"], month=r.month),
        _summary(r, cur),
        meta,
        sections,
        jsonable({"report": "loan", **r.to_dict()}),
        current_locale(),
    )
