"""One site's portfolio task: flags, savings, baselines and loan status, read from its store.

``run_site(site, month, opener)`` is what a Dask worker runs: it loads the site's M&V plan from
its path, opens the store from the URL with ``opener`` (the application's
``plantmeter_app.runtime.existing_store``: the layers below never open a URL themselves), and
calls the service layer: ``services.compute_flags`` (flags written back to the store),
``services.option_savings`` (per option the month and since implementation) and
``services.loan_status`` per loan. Only the small ``SiteResult`` travels back; readings never go
through the scheduler.

A site that cannot be computed (its store is missing, its plan's periods do not cover the month)
comes back as a ``SiteResult`` with ``error`` set, so one bad site does not stop a portfolio.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any

from plantmeter.errors import PlantMeterError
from plantmeter.store import SeriesStore

from .config import SitePlan

__all__ = ["UNITS", "MeterFigures", "Opener", "SiteResult", "run_site"]

logger = logging.getLogger(__name__)

Opener = Callable[[str], AbstractContextManager[SeriesStore]]
"""Opens the store at a URL for writing (flags), closing it when the block ends."""

UNITS = {"electricity": "kWh", "water": "m3", "gas": "m3", "thermal": "kWh"}
"""The unit savings of a carrier are stated in (the reports' units)."""


@dataclass
class MeterFigures:
    """One baseline meter over the month: metered use, adjusted baseline, savings, 90 % band
    (sums over the options on it, by their shares) and its flags."""

    meter: str
    unit: str
    observed: float | None
    adjusted_baseline: float | None
    savings: float | None
    band_90: float | None
    flags: int = 0


@dataclass
class SiteResult:
    """A site's figures for the month, plain data (JSON-ready, small)."""

    site: str
    name: str
    plan: str
    month: str
    currency: str = "USD"
    approved: bool = False
    verified_cost: float | None = None  # month, all implemented options
    verified_cost_band_90: float | None = None
    completeness: float | None = None  # the least complete implemented option's month
    promised_cost: float = 0.0  # month, pro rata
    savings_by_carrier: dict[str, float] = field(default_factory=dict)  # month: kWh or m3 saved
    plan_factors: dict[str, float] = field(default_factory=dict)  # the plan's kg CO2e per unit
    options: list[dict[str, Any]] = field(default_factory=list)
    meters: list[MeterFigures] = field(default_factory=list)
    flags: dict[str, int] = field(default_factory=dict)  # kind -> count (from the month on)
    loans: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None

    @property
    def shortfall(self) -> float | None:
        """Promised minus verified cost savings of the month (positive: short of the promise)."""
        if self.verified_cost is None:
            return None
        return self.promised_cost - self.verified_cost

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["shortfall"] = self.shortfall
        return d


def _loan(report: Any) -> dict[str, Any]:
    loan = report.loan
    covs = [
        {
            "type": c.type,
            "description": c.description,
            "result": c.result,
            "value": c.value,
            "threshold": c.threshold,
        }
        for c in report.covenants
    ]
    fin = report.financials
    return {
        "id": loan["id"],
        "lender": loan["lender"],
        "principal": loan["principal"],
        "currency": loan.get("currency", "USD"),
        "annual_verified_savings": fin.get("annual_verified_savings"),
        "annual_promised_savings": fin.get("annual_promised_savings"),
        "covenants": covs,
        "at_risk": any(c["result"] == "not met" for c in covs),
    }


def run_site(site: SitePlan, month: str, opener: Opener) -> SiteResult:
    """The month's figures of one site (see the module docstring); flags are written back."""
    import pandas as pd

    from reports.load import load_plan
    from services import compute_flags, loan_status, month_of, option_savings

    try:
        loaded = load_plan(site.plan, environ={"PLANTMETER_STORE_URL": site.store_url})
    except PlantMeterError as exc:
        return SiteResult(site.site_id, "", str(site.plan), month, error=str(exc))
    plan = loaded.as_of(None)[0]
    result = SiteResult(
        site.site_id,
        loaded.site.site.name,
        str(site.plan),
        month,
        plan.currency,
        loaded.approved,
    )
    window = month_of(month)
    tz = loaded.site.site.timezone
    try:
        with opener(site.store_url) as store:
            since = pd.Timestamp(window.start).tz_localize(tz)
            now = pd.Timestamp(window.end).tz_localize(tz)  # runs stamped at the month's end
            flags = compute_flags(store, loaded.site, since=since, plan=loaded, now=now)
            figures = option_savings(loaded, store, month)
            loans = [loan_status(loaded, store, loan.id, month) for loan in plan.loans]
    except PlantMeterError as exc:
        logger.error("portfolio: site %s: %s", site.site_id, exc)
        result.error = str(exc)
        return result
    month_figs = [f for f in figures if f.period_kind == "month"]
    live = [f for f in month_figs if f.status != "not implemented"]
    result.promised_cost = sum(f.promised.get("cost", 0.0) for f in live)
    if live and all(f.cost is not None for f in live):
        result.verified_cost = sum(f.cost or 0.0 for f in live)
        result.verified_cost_band_90 = sum((f.cost_band_90 or 0.0) ** 2 for f in live) ** 0.5
    known_completeness = [f.completeness for f in live if f.completeness is not None]
    if known_completeness:
        result.completeness = min(known_completeness)
    kinds = {m.id: m.kind for m in loaded.site.meters}
    for f in live:
        carriers = {kinds[m] for m in plan.option(f.option).meters}
        for unit, value in f.savings.items():
            carrier = next((c for c in carriers if UNITS.get(c) == unit), None)
            if carrier is not None:
                result.savings_by_carrier[carrier] = (
                    result.savings_by_carrier.get(carrier, 0.0) + value
                )
    result.plan_factors = {str(k): float(v) for k, v in plan.emission_factors.items()}
    result.options = [
        {
            "option": f.option,
            "title": f.title,
            "period": f.period,
            "period_kind": f.period_kind,
            "status": f.status,
            "cost": f.cost,
            "promised_cost": f.promised.get("cost"),
            "savings": dict(f.savings),
            "band_90": dict(f.band_90),
            "completeness": f.completeness,
        }
        for f in figures
        if f.period_kind in ("month", "since")
    ]
    by_meter: dict[str, int] = {}
    for flag in flags:
        result.flags[flag.kind] = result.flags.get(flag.kind, 0) + 1
        by_meter[flag.meter] = by_meter.get(flag.meter, 0) + 1
    for meter_id in plan.baselines:
        unit = UNITS.get(kinds[meter_id], "")
        on_meter = [f for f in live if meter_id in plan.option(f.option).meters]
        known = [f for f in on_meter if unit in f.observed]
        result.meters.append(
            MeterFigures(
                meter_id,
                unit,
                sum(f.observed[unit] for f in known) if known else None,
                sum(f.adjusted_baseline[unit] for f in known) if known else None,
                sum(f.savings.get(unit, 0.0) for f in known) if known else None,
                sum(f.band_90.get(unit, 0.0) ** 2 for f in known) ** 0.5 if known else None,
                by_meter.get(meter_id, 0),
            )
        )
    result.loans = [_loan(r) for r in loans]
    logger.debug("portfolio: site %s done (%s)", site.site_id, window.end - timedelta(days=1))
    return result
