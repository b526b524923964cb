"""The portfolio report: sites ranked by savings shortfall, loans at risk, verified totals, CO2e.

``portfolio_summary(results, portfolio)`` computes every figure (a pure function of the site
results and the portfolio file); ``portfolio_document`` lays it out as a ``reports.document``
``Document``, which ``services.write`` renders as PDF, HTML or JSON like every other report.

* **Shortfall** of a site: the month's promised cost savings (the plan's expected annual
  savings, pro rata) minus the verified ones; sites are ranked largest shortfall first, then
  those without a figure (insufficient data, errors) — a site that cannot show its savings is
  not on track.
* **Loans at risk**: a covenant ``not met`` in the month's loan status.
* **Totals**: verified cost savings (each site in its plan's currency; a mixed-currency
  portfolio gets one total per currency), savings per carrier (kWh, m3) and avoided CO2e: per
  carrier the portfolio file's factor when it gives one, else the plan's own (``co2_kg`` of the
  plan), else not stated.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from reports.document import Document, Section, Table, fmt, jsonable

from .config import LoadedPortfolio
from .task import UNITS, SiteResult

__all__ = ["PortfolioSummary", "portfolio_document", "portfolio_summary"]


@dataclass
class PortfolioSummary:
    """Every figure of the portfolio report, unformatted."""

    name: str
    month: str
    ranked: list[SiteResult]
    at_risk: list[dict[str, Any]]  # loan figures plus its site
    verified_cost: dict[str, float]  # currency -> total verified savings of the month
    promised_cost: dict[str, float]
    savings_by_carrier: dict[str, float]  # carrier -> kWh or m3
    co2_kg: float | None
    co2_basis: dict[str, str]  # carrier -> where its factor came from
    failed: list[SiteResult] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "month": self.month,
            "sites": [r.to_dict() for r in self.ranked],
            "loans_at_risk": self.at_risk,
            "totals": {
                "verified_cost": self.verified_cost,
                "promised_cost": self.promised_cost,
                "savings": {
                    c: {"value": v, "unit": UNITS[c]} for c, v in self.savings_by_carrier.items()
                },
                "avoided_co2e_kg": self.co2_kg,
                "emission_factor_basis": self.co2_basis,
            },
            "failed_sites": [r.site for r in self.failed],
        }


def _rank_key(r: SiteResult) -> tuple[int, float, str]:
    s = r.shortfall
    if r.error is not None:
        return (1, 0.0, r.site)
    if s is None or not math.isfinite(s):
        return (1, -r.promised_cost, r.site)
    return (0, -s, r.site)


def portfolio_summary(
    results: Sequence[SiteResult], portfolio: LoadedPortfolio
) -> PortfolioSummary:
    """The report's figures (see the module docstring)."""
    ranked = sorted(results, key=_rank_key)
    factors = portfolio.spec.emission_factors
    verified: dict[str, float] = {}
    promised: dict[str, float] = {}
    by_carrier: dict[str, float] = {}
    co2 = 0.0
    co2_any = False
    basis: dict[str, str] = {}
    at_risk = []
    for r in ranked:
        if r.error is not None:
            continue
        promised[r.currency] = promised.get(r.currency, 0.0) + r.promised_cost
        if r.verified_cost is not None:
            verified[r.currency] = verified.get(r.currency, 0.0) + r.verified_cost
        for carrier, value in r.savings_by_carrier.items():
            by_carrier[carrier] = by_carrier.get(carrier, 0.0) + value
            if carrier in factors:
                co2 += value * factors[carrier].value
                co2_any = True
                basis[carrier] = (
                    f"{factors[carrier].value:g} kg CO2e/{UNITS[carrier]}: {factors[carrier].source}"
                )
            elif carrier in r.plan_factors:
                co2 += value * r.plan_factors[carrier]
                co2_any = True
                basis.setdefault(carrier, "each site's M&V plan emission_factors")
        for loan in r.loans:
            if loan["at_risk"]:
                at_risk.append({"site": r.site, **loan})
    return PortfolioSummary(
        portfolio.spec.name or portfolio.path.stem,
        portfolio.month,
        ranked,
        at_risk,
        verified,
        promised,
        by_carrier,
        co2 if co2_any else None,
        basis,
        [r for r in results if r.error is not None],
    )


def _money(x: float | None, currency: str) -> str:
    return fmt(x, 0, currency)


def portfolio_document(summary: PortfolioSummary) -> Document:
    """The report as a ``Document`` (PDF, HTML or JSON through ``services.write``)."""
    rows = []
    for i, r in enumerate(summary.ranked, start=1):
        rows.append(
            [
                str(i),
                r.site,
                r.name,
                _money(r.promised_cost, r.currency) if r.error is None else "—",
                _money(r.verified_cost, r.currency),
                _money(r.shortfall, r.currency),
                ", ".join(f"{k} {v}" for k, v in sorted(r.flags.items())) or "none",
                r.error or ("approved" if r.approved else "UNAPPROVED baseline"),
            ]
        )
    ranking = Section(
        "Sites ranked by savings shortfall",
        [
            f"Shortfall = the month's promised cost savings (pro rata) minus the verified ones; sites "
            f"without a verified figure come last. {len(summary.failed)} site(s) could not be computed."
        ],
        [
            Table(
                ["#", "site", "name", "promised", "verified", "shortfall", "flags", "status"], rows
            )
        ],
    )
    loans = Section(
        "Loans at risk",
        [
            "A loan is at risk when a covenant is not met in the month's loan status."
            if summary.at_risk
            else "No covenant is unmet this month."
        ],
        [
            Table(
                [
                    "site",
                    "loan",
                    "lender",
                    "principal",
                    "verified / year",
                    "promised / year",
                    "covenants not met",
                ],
                [
                    [
                        a["site"],
                        a["id"],
                        a["lender"],
                        _money(a["principal"], a["currency"]),
                        _money(a["annual_verified_savings"], a["currency"]),
                        _money(a["annual_promised_savings"], a["currency"]),
                        ", ".join(c["type"] for c in a["covenants"] if c["result"] == "not met"),
                    ]
                    for a in summary.at_risk
                ],
            )
        ]
        if summary.at_risk
        else [],
    )
    totals_rows = [
        [f"verified savings ({c})", _money(v, c)] for c, v in summary.verified_cost.items()
    ]
    totals_rows += [
        [f"promised savings ({c})", _money(v, c)] for c, v in summary.promised_cost.items()
    ]
    totals_rows += [
        [f"{c} saved", fmt(v, 0, UNITS[c])] for c, v in summary.savings_by_carrier.items()
    ]
    totals_rows.append(
        ["avoided CO2e", fmt(summary.co2_kg / 1000 if summary.co2_kg is not None else None, 2, "t")]
    )
    totals = Section(
        "Portfolio totals",
        [f"Emission factors: {c}: {b}" for c, b in sorted(summary.co2_basis.items())]
        or ["No emission factor given (portfolio file or plans): avoided CO2e not stated."],
        [Table(["figure", "value"], totals_rows)],
    )
    verified = ", ".join(_money(v, c) for c, v in summary.verified_cost.items()) or "—"
    return Document(
        f"Portfolio report — {summary.name}, {summary.month}",
        f"{len(summary.ranked)} sites; verified savings {verified}; {len(summary.at_risk)} loan(s) "
        "at risk.",
        [
            f"Reporting month {summary.month}",
            "Figures per site from its M&V plan (IPMVP), "
            "verified savings with their 90 % bands in the JSON output",
        ],
        [ranking, loans, totals],
        jsonable(summary.to_dict()),
    )
