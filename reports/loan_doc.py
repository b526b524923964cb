"""Format a ``LoanReport`` into a ``Document`` (text, tables, chart series): no arithmetic
beyond choosing what to show; every figure comes from the report."""

from __future__ import annotations

import logging

import pandas as pd

from .document import Chart, Document, Section, Series, Table, fmt, fmt_band, jsonable
from .loan import LoanReport
from .verify import Verification

__all__ = ["loan_document", "verification_rows"]

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
                x.status,
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
    s += (
        f"; since implementation {fmt(last.cum_verified, 0)} ± {fmt(last.cum_band_90, 0)} {cur} "
        f"verified against {fmt(last.cum_promised, 0)} {cur} promised ({last.status})."
    )
    return s


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
                ", ".join(f"{fmt(v, 0)} {k}" for k, v in o["expected_annual"].items() if v),
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
                m.status,
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
                fmt(f[f"annual_{k}_savings"], 0, cur),
                "—" if f[f"payback_years_{k}"] is None else f"{f[f'payback_years_{k}']:.1f} years",
                fmt(f[f"npv_{k}"], 0, cur),
                _pct(f[f"irr_{k}"]),
            ]
            for k in ("verified", "promised")
        ],
        f"Investment {fmt(f['investment'], 0, cur)}, {f['lifetime_years']:g} years, discount rate "
        f"{f['discount_rate']:.0%}",
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
    anomalies = [
        f"{a['start'][:16]} – {a['end'][:16]} {a['meter']} {a['kind']} ({a['severity']}): "
        f"{a['reason']}"
        for a in r.anomalies[:15]
    ] or ["No anomaly flags on the option meters in this month."]
    caveats = sorted({c for x in r.verifications for c in x.caveats})
    charts = [
        Chart(
            "Cumulative verified cost savings vs cumulative debt service",
            [pd.Timestamp(m.month + "-01") for m in r.rows],
            [
                Series(
                    "verified savings",
                    [m.cum_verified for m in r.rows],
                    "line",
                    (
                        [(m.cum_verified or 0) - (m.cum_band_90 or 0) for m in r.rows],
                        [(m.cum_verified or 0) + (m.cum_band_90 or 0) for m in r.rows],
                    ),
                ),
                Series("promised savings", [m.cum_promised for m in r.rows], "dashed"),
                Series("debt service", [m.cum_debt_service for m in r.rows], "step"),
            ],
            cur,
        ),
    ]
    for meter, t in r.traces.items():
        monthly_t = t[["observed", "adjusted_baseline"]].resample("MS").sum(min_count=1)
        lines = [(pd.Timestamp(d), f"{o} implemented") for o, d in r.implemented.items()]
        charts.append(
            Chart(
                f"{meter}: adjusted baseline vs actual, per month",
                list(monthly_t.index.tz_localize(None)),
                [
                    Series("adjusted baseline", list(monthly_t["adjusted_baseline"]), "dashed"),
                    Series("actual", list(monthly_t["observed"])),
                ],
                "use per month",
                lines,
            )
        )
        charts.append(
            Chart(
                f"{meter}: CUSUM of savings (adjusted baseline − actual)",
                list(t.index.tz_localize(None)),
                [Series("cumulative savings", list(t["cumulative_savings"]))],
                "cumulative savings",
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
            ],
            [monthly, verification_rows(r.verifications, cur)],
            charts[:1],
        ),
        Section("Covenants", [], [covs]),
        Section(
            "Return on verified savings",
            [
                f"GHG avoided: {fmt(r.ghg['month_kg'] / 1000, 2)} t CO2e in {r.month}, "
                f"{fmt(r.ghg['since_kg'] / 1000, 2)} t since implementation."
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
