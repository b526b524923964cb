"""The flag detectors' references from the M&V plan: its baseline period, drivers and tariffs.

``plantmeter flags --plan PLAN.yaml`` judges each meter against what the plan agreed: the
detectors learn what is normal from the plan's baseline period, the daily expectation uses
the meter's own driver meters (``baselines``), and excess use is valued at the tariff of the
meter's kind (time-of-use as hour-of-week prices).
"""

from __future__ import annotations

import logging

import pandas as pd

from analytics.flagref import Costing, MeterReference
from plantmeter.config import SiteConfig

from .data import hourly_prices, local_ts
from .plan import MVPlan

__all__ = ["flag_references", "week_prices"]

logger = logging.getLogger(__name__)

_MONDAY = pd.Timestamp("2024-01-01")  # a Monday: any week gives the same hour-of-week prices


def week_prices(plan: MVPlan, kind: str, tz: str) -> tuple[float, ...]:
    """168 local hour-of-week prices of the plan's tariff for ``kind`` (empty when none)."""
    tariff = plan.tariffs.get(kind)  # type: ignore[call-overload]
    if tariff is None:
        return ()
    week = pd.date_range(_MONDAY.tz_localize(tz), periods=168, freq="h")
    return tuple(float(p) for p in hourly_prices(week, tariff).to_numpy())


def flag_references(
    plan: MVPlan, site: SiteConfig
) -> tuple[dict[str, MeterReference], dict[str, Costing]]:
    """Per meter of the site: the plan's baseline period as its reference (with the drivers of
    its ``baselines`` entry; meters without one are judged with no drivers), and its costing."""
    tz = site.site.timezone
    t0, t1 = local_ts(plan.baseline.start, tz), local_ts(plan.baseline.end, tz)
    refs: dict[str, MeterReference] = {}
    costs: dict[str, Costing] = {}
    for meter in site.meters:
        spec = plan.baselines.get(meter.id)
        refs[meter.id] = MeterReference(
            t0,
            t1,
            temperature=spec.temperature if spec is not None else None,
            production=spec.production if spec is not None else None,
        )
        costs[meter.id] = Costing.for_kind(
            meter.kind, week_prices(plan, meter.kind, tz), plan.currency
        )
    return refs, costs
