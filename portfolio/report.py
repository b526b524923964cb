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

from analytics.flagkinds import flag_title
from plantmeter.i18n import DEFAULT_LOCALE, N_, _, format_month, use_locale
from reports.document import Document, Section, Table, fmt, jsonable, pct

from .config import LoadedPortfolio
from .task import UNITS, SiteResult

__all__ = ["PortfolioSummary", "portfolio_document", "portfolio_summary"]

CARRIERS = {
    "electricity": N_("electricity"),
    "water": N_("water"),
    "gas": N_("gas"),
    "thermal": N_("thermal energy"),
}
COVENANTS = {
    "min_verified_savings": N_("minimum verified savings"),
    "reduction_threshold": N_("reduction threshold"),
    "min_coverage": N_("minimum debt-service coverage"),
}
CARRIER_SAVED = {
    "electricity": N_("electricity saved"),
    "water": N_("water saved"),
    "gas": N_("gas saved"),
    "thermal": N_("thermal energy saved"),
}


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
    co2_basis: dict[str, str]  # carrier -> where its factor came from (English, for the JSON)
    co2_factors: dict[str, tuple[float, str] | None] = field(default_factory=dict)
    """carrier -> the portfolio file's (kg CO2e per unit, source), or None: each plan's own"""
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
    used: dict[str, tuple[float, str] | None] = {}
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
                used[carrier] = (factors[carrier].value, factors[carrier].source)
            elif carrier in r.plan_factors:
                co2 += value * r.plan_factors[carrier]
                co2_any = True
                basis.setdefault(carrier, "each site's M&V plan emission_factors")
                used.setdefault(carrier, None)
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
        used,
        [r for r in results if r.error is not None],
    )


def _money(x: float | None, currency: str) -> str:
    return fmt(x, 0, currency)


def _flags(counts: dict[str, int]) -> str:
    listed = [f"{flag_title(k)} {v}" for k, v in sorted(counts.items())]
    return ", ".join(listed) or _("none")


def _factor_line(carrier: str, factor: tuple[float, str] | None) -> str:
    if factor is None:
        return _("Emission factor, {carrier}: each site's M&V plan (emission_factors)").format(
            carrier=_(CARRIERS[carrier])
        )
    value, source = factor
    return _("Emission factor, {carrier}: {value} kg CO2e/{unit} ({source})").format(
        carrier=_(CARRIERS[carrier]),
        value=fmt(value, 2 if value >= 0.1 else 4),
        unit=UNITS[carrier],
        source=source,
    )


def _status(r: SiteResult) -> str:
    if r.error is not None:
        return r.error
    return _("approved") if r.approved else _("UNAPPROVED baseline")


def portfolio_document(summary: PortfolioSummary, locale: str = DEFAULT_LOCALE) -> Document:
    """The report as a ``Document`` (PDF, HTML or JSON through ``services.write``), its texts and
    figures in ``locale`` (the JSON keeps English keys and raw numbers)."""
    with use_locale(locale):
        return _document(summary, locale)


def _document(summary: PortfolioSummary, locale: str) -> Document:
    rows = []
    for i, r in enumerate(summary.ranked, start=1):
        rows.append(
            [
                str(i),
                r.site,
                r.name,
                _money(r.promised_cost, r.currency) if r.error is None else "—",
                _money(r.verified_cost, r.currency),
                _money(r.verified_cost_band_90, r.currency) if r.verified_cost is not None else "—",
                pct(r.completeness),
                _money(r.shortfall, r.currency),
                _flags(r.flags),
                _status(r),
            ]
        )
    ranking = Section(
        _("Sites ranked by savings shortfall"),
        [
            _(
                "Shortfall = the month's promised cost savings (pro rata) minus the verified "
                "ones; sites without a verified figure (insufficient data) come last. ± 90 % is "
                "the verified savings' 90 % band (ASHRAE Guideline 14); complete is the share "
                "of the month's days with complete data, for the least complete option. "
                "{failed} site(s) could not be computed."
            ).format(failed=len(summary.failed))
        ],
        [
            Table(
                [
                    "#",
                    _("site"),
                    _("name"),
                    _("promised"),
                    _("verified"),
                    "± 90 %",
                    _("complete"),
                    _("shortfall"),
                    _("flags"),
                    _("status"),
                ],
                rows,
            )
        ],
    )
    loans = Section(
        _("Loans at risk"),
        [
            _("A loan is at risk when a covenant is not met in the month's loan status.")
            if summary.at_risk
            else _("No covenant is unmet this month.")
        ],
        [
            Table(
                [
                    _("site"),
                    _("loan"),
                    _("lender"),
                    _("principal"),
                    _("verified / year"),
                    _("promised / year"),
                    _("covenants not met"),
                ],
                [
                    [
                        a["site"],
                        a["id"],
                        a["lender"],
                        _money(a["principal"], a["currency"]),
                        _money(a["annual_verified_savings"], a["currency"]),
                        _money(a["annual_promised_savings"], a["currency"]),
                        ", ".join(
                            c.get("description") or _(COVENANTS.get(c["type"], c["type"]))
                            for c in a["covenants"]
                            if c["result"] == "not met"
                        ),
                    ]
                    for a in summary.at_risk
                ],
            )
        ]
        if summary.at_risk
        else [],
    )
    totals_rows = [
        [_("verified savings ({currency})").format(currency=c), _money(v, c)]
        for c, v in summary.verified_cost.items()
    ]
    totals_rows += [
        [_("promised savings ({currency})").format(currency=c), _money(v, c)]
        for c, v in summary.promised_cost.items()
    ]
    totals_rows += [
        [_(CARRIER_SAVED[c]), fmt(v, 0, UNITS[c])] for c, v in summary.savings_by_carrier.items()
    ]
    totals_rows.append(
        [
            _("avoided CO2e"),
            fmt(summary.co2_kg / 1000 if summary.co2_kg is not None else None, 2, "t"),
        ]
    )
    totals = Section(
        _("Portfolio totals"),
        [_factor_line(c, f) for c, f in sorted(summary.co2_factors.items())]
        or [_("No emission factor given (portfolio file or plans): avoided CO2e not stated.")],
        [Table([_("figure"), _("value")], totals_rows)],
    )
    verified = ", ".join(_money(v, c) for c, v in summary.verified_cost.items()) or "—"
    return Document(
        _("Portfolio report — {name}, {month}").format(
            name=summary.name, month=format_month(summary.month)
        ),
        _("{sites} sites; verified savings {verified}; {loans} loan(s) at risk.").format(
            sites=len(summary.ranked), verified=verified, loans=len(summary.at_risk)
        ),
        [
            _("Reporting month {month}").format(month=format_month(summary.month)),
            _(
                "Figures per site from its M&V plan (IPMVP); verified savings with their 90 % "
                "band and completeness"
            ),
        ],
        [ranking, loans, totals],
        jsonable(summary.to_dict()),
        locale,
    )
