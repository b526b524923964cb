"""Format a ``LoanReport`` into a ``Document`` (text, tables, chart series): no arithmetic
beyond choosing what to show; every figure comes from the report."""

from __future__ import annotations

import logging

import pandas as pd

from .document import Chart, Document, Section, Series, Table, fmt, fmt_band, jsonable
from .flagstatus import flag_lines
from .loan import LoanReport, MonthRow
from .verify import Verification

__all__ = ["expected_text", "loan_document", "verification_rows"]

logger = logging.getLogger(__name__)


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x:.0%}"


def verification_rows(vs: list[Verification], currency: str) -> Table:
    rows = []
    for x in vs:
        unit = next(iter(x.savings), "")
        rows.append(
            [
                x.option,
                x.window.label,
                f"{x.status} (extrapolated)" if x.extrapolated else x.status,
                fmt_band(x.savings.get(unit), x.band_90.get(unit), 0, unit)
                if x.has_number
                else "—",
                fmt_band(x.cost, x.cost_band_90, 0, currency) if x.has_number else "—",
                fmt((x.co2_kg or 0) / 1000, 2, "t")
                if x.has_number and x.co2_kg is not None
                else "—",
                _pct(x.completeness),
                "—" if x.g14_pass is None else ("pass" if x.g14_pass else "FAIL"),
            ]
        )
    return Table(
        [
            "option",
            "period",
            "status",
            "verified savings (90 %)",
            "cost savings",
            "CO2e",
            "data",
            "G14",
        ],
        rows,
        "Verified savings by period",
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
            f"{d['data']['driver']} outside the baseline range in "
            f"{d['data']['share_outside']:.0%} of reporting {d['data']['interval_unit']} "
            f"({ms.meter})"
            for x in r.verifications
            if x.window.kind == kind and x.extrapolated
            for ms in x.meters
            for d in ms.driver_range
            if d["data"]["extrapolated"]
        }
    )
    return "; ".join(parts) or "drivers outside the baseline's range"


def _summary(r: LoanReport, cur: str) -> str:
    last = r.rows[-1] if r.rows else None
    if last is None or last.verified is None:
        comp = _pct(last.completeness) if last else "—"
        return (
            f"{r.month}: insufficient data to verify the savings of loan {r.loan['id']} "
            f"(data completeness {comp}); no savings figure is given."
        )
    s = (
        f"{r.month}: verified savings of USD-equivalent {fmt(last.verified, 0)} ± "
        f"{fmt(last.band_90, 0)} {cur}"
    ).replace("USD-equivalent ", "")
    if last.debt_service:
        s += f" cover {_pct(last.coverage)} of this month's repayment of {fmt(last.debt_service, 2)} {cur}"
    else:
        s += " (no repayment due this month)"
    if last.extrapolated:
        s += f" (EXTRAPOLATED: {_why(r, 'month')})"
    s += (
        f"; since implementation {fmt(last.cum_verified, 0)} ± {fmt(last.cum_band_90, 0)} {cur} "
        f"verified against {fmt(last.cum_promised, 0)} {cur} promised ({last.status})"
    )
    if last.cum_extrapolated and not last.extrapolated:
        s += f" (EXTRAPOLATED: {_why(r, 'since')})"
    open_ = [c for c in r.covenants if c.result == "not determinable"]
    if open_:
        s += f"; {len(open_)} of {len(r.covenants)} covenants not determinable on extrapolated figures"
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
        return Chart("Cumulative verified cost savings vs cumulative debt service", [], [], cur)
    first = pd.Timestamp(r.rows[0].month + "-01")
    x = [first] + [pd.Timestamp(m.month + "-01") + pd.offsets.MonthBegin(1) for m in r.rows]

    def run(vals: list[float | None]) -> list[float | None]:
        return [0.0, *vals]

    rows = r.rows
    return Chart(
        "Cumulative verified cost savings vs cumulative debt service (totals at month end)",
        x,
        [
            Series(
                "verified savings",
                run([0.0 if m.status == "not implemented" else m.cum_verified for m in rows]),
                "line",
                (
                    [0.0, *(_edge(m, -1) for m in rows)],
                    [0.0, *(_edge(m, 1) for m in rows)],
                ),
            ),
            Series("promised savings", run([m.cum_promised for m in rows]), "dashed"),
            Series("debt service", run([m.cum_debt_service for m in rows]), "line"),
        ],
        cur,
        lines,
    )


def loan_document(r: LoanReport, meta: list[str], currency: str) -> Document:
    ln, cur = r.loan, currency
    opts = Table(
        ["option", "title", "level", "status", "implemented", "investment", "expected / year"],
        [
            [
                o["id"],
                o["title"],
                o["level"],
                o["status"],
                o["implemented"] or "—",
                fmt(o["investment"], 0, cur),
                expected_text(o["expected_annual"], cur),
            ]
            for o in r.options
        ],
        "Financed options",
    )
    terms = (
        f"Lender {ln['lender']}; borrower {ln['borrower']}; principal {fmt(ln['principal'], 0)} "
        f"{ln['currency']} at {ln['annual_rate']:.2%} a year over {ln['term_months']} months, "
        f"{ln['schedule']} repayment, disbursed {ln['disbursement']}; promised savings "
        f"{fmt(ln['promised_annual_savings'], 0)} {cur} a year."
    )
    monthly = Table(
        [
            "month",
            "promised",
            "verified (90 %)",
            "status",
            "data",
            "debt service",
            "coverage",
            "cum. promised",
            "cum. verified (90 %)",
            "cum. debt service",
            "cum. coverage",
        ],
        [
            [
                m.month,
                fmt(m.promised, 0),
                fmt_band(m.verified, m.band_90, 0),
                f"{m.status} (extrapolated)" if m.extrapolated else m.status,
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
        f"Promised vs verified cost savings ({cur})",
    )
    f = r.financials
    fin = Table(
        ["basis", "annual savings", "simple payback", "NPV", "IRR"],
        [
            [
                k,
                fmt(f[f"annual_{k}_savings"], 0, cur)
                + (" *" if k == "verified" and f.get("annualised_note") else ""),
                "—" if f[f"payback_years_{k}"] is None else f"{f[f'payback_years_{k}']:.1f} years",
                fmt(f[f"npv_{k}"], 0, cur),
                _pct(f[f"irr_{k}"]),
            ]
            for k in ("verified", "promised")
        ],
        f"Investment {fmt(f['investment'], 0, cur)}, {f['lifetime_years']:g} years, discount rate "
        f"{f['discount_rate']:.0%}"
        + (f"; * {f['annualised_note']}" if f.get("annualised_note") else ""),
    )
    covs = Table(
        ["covenant", "basis", "result", "evidence"],
        [[c.description or c.type, c.basis, c.result.upper(), c.evidence] for c in r.covenants],
        "Performance covenants (90 % interval against the threshold)",
    )
    quality = Table(
        ["option", "meter", "measurement", "model", "R²", "CV(RMSE)", "NMBE", "G14", "data"],
        [
            [
                q["option"],
                q["meter"],
                q["measurement"],
                q["type"],
                f"{q['r2']:.3f}",
                f"{q['cvrmse']:.1%}",
                f"{q['nmbe']:.2%}",
                "pass" if q["g14_pass"] else "FAIL",
                _pct(q["completeness"]),
            ]
            for q in r.quality
        ],
        "Baseline models (fitted on the baseline period)",
    )
    anomalies = flag_lines(
        [
            f"{a['start'][:16]} – {a['end'][:16]} {a['meter']} {a['kind']} ({a['severity']}): "
            f"{a['reason']}"
            for a in r.anomalies[:15]
        ],
        r.flags_computed,
        "No anomaly flags on the option meters in this month",
    )
    caveats = sorted({c for x in r.verifications for c in x.caveats})
    lines = [(pd.Timestamp(d), f"{o} implemented") for o, d in r.implemented.items()]
    charts = [_cumulative_chart(r, cur, lines)]
    units = {ms.meter: ms.unit for x in r.verifications for ms in x.meters}
    for meter, t in r.traces.items():
        monthly_t = t[["observed", "adjusted_baseline"]].resample("MS").sum(min_count=1)
        unit = units.get(meter, "")
        charts.append(
            Chart(
                f"{meter}: adjusted baseline vs actual, per month",
                list(monthly_t.index.tz_localize(None)),
                [
                    Series("adjusted baseline", list(monthly_t["adjusted_baseline"]), "dashed"),
                    Series("actual", list(monthly_t["observed"])),
                ],
                f"{unit} per month",
                lines,
            )
        )
        charts.append(
            Chart(
                f"{meter}: CUSUM of savings (adjusted baseline − actual)",
                list(t.index.tz_localize(None)),
                [Series("cumulative savings", list(t["cumulative_savings"]))],
                f"cumulative savings, {unit}",
                lines,
            )
        )
    sections = [
        Section("Loan and options", [terms], [opts]),
        Section(
            "Promised vs verified savings",
            [
                "Verified savings = adjusted baseline − actual use on the options' meters, valued at the "
                "plan's tariffs; ± is the 90 % interval (ASHRAE Guideline 14 fractional savings "
                "uncertainty). A month with too little data shows no figure, only its completeness. "
                "Promised savings are pro rata by day from implementation.",
                *caveats,
                *(f"Drivers outside the baseline's range — {n}" for n in r.extrapolation),
            ],
            [monthly, verification_rows(r.verifications, cur)],
            charts[:1],
        ),
        Section(
            "Covenants",
            [
                "MET / NOT MET: the whole 90 % interval clears / misses the threshold; "
                "INCONCLUSIVE: the interval straddles it; NOT YET DETERMINABLE: no verified "
                "figure yet; NOT DETERMINABLE: the figure is extrapolated."
            ],
            [covs],
        ),
        Section(
            "Return on verified savings",
            [
                f"GHG avoided: {fmt(r.ghg['month_kg'] / 1000, 2)} t CO2e in {r.month}, "
                f"{fmt(r.ghg['since_kg'] / 1000, 2)} t since implementation.",
                *(
                    [f"Verified annual savings are {f['annualised_note']}."]
                    if f.get("annualised_note")
                    else []
                ),
                *(
                    [
                        "The verified figures are EXTRAPOLATED (drivers outside the baseline's range)."
                    ]
                    if f.get("extrapolated")
                    else []
                ),
            ],
            [fin],
        ),
        Section("Data quality and anomalies", anomalies, [quality]),
        Section("Evidence", [], [], charts[1:]),
    ]
    return Document(
        f"Loan monitoring report — {ln['id']} — {r.month}",
        _summary(r, cur),
        meta,
        sections,
        jsonable({"report": "loan", **r.to_dict()}),
    )
