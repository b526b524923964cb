"""Savings of one stored meter between a baseline and a reporting period, outside any M&V plan.

``meter_savings(store, site, meter, baseline, reporting)`` is what ``plantmeter savings --site``
computes, for any front end (a dashboard's "what did this meter save since the change" view):
the meter's hourly use from its stored counter (``analytics.savings_input.usage_from_store``,
the wrap modulus from its profile), the drivers from their own meters (temperature in °C, the
profiles' unit; production as use of its counter), one baseline fitted on ``baseline`` and the
avoided use over ``reporting`` (``analytics.api.compute_savings``, ASHRAE Guideline 14
uncertainty). Verified savings per option of an agreed plan are ``option_savings``' job.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from analytics.api import SavingsResult, compute_savings
from analytics.savings_input import check_temperature, store_temperature, usage_from_store
from plantmeter.config import SiteConfig
from plantmeter.counters import meter_counter
from plantmeter.errors import InputError
from plantmeter.store import SeriesStore

from .meters import site_meter

__all__ = ["meter_savings"]

logger = logging.getLogger(__name__)

Period = tuple[pd.Timestamp, pd.Timestamp]


def meter_savings(
    store: SeriesStore,
    site: SiteConfig,
    meter: str,
    baseline: Period,
    reporting: Period,
    *,
    temperature_meter: str | None = None,
    production_meter: str | None = None,
    granularity: str = "daily",
    model: str = "auto",
    allow_disqualified: bool = False,
    force: bool = False,
    base_dir: Path | None = None,
) -> SavingsResult:
    """Savings of ``meter`` over ``reporting`` against a baseline fitted on ``baseline``
    (each [start, end), tz-aware), read through ``store`` (left open).

    Unknown meters raise ``ConfigError`` listing the site's; implausible temperatures (°F stored
    as °C) raise ``InputError`` unless ``force``; data the sufficiency checks disqualify is
    refused unless ``allow_disqualified``. ``base_dir``: the site file's folder (profiles).
    """
    if granularity not in ("daily", "hourly"):
        raise InputError(f"granularity {granularity!r}: choose daily or hourly")
    tz = site.site.timezone
    start, end = min(baseline[0], reporting[0]), max(baseline[1], reporting[1])

    def use_of(meter_id: str) -> pd.Series:
        m = site_meter(site, meter_id)
        spec = meter_counter(m, site.profile_for(m, base_dir))
        return usage_from_store(store, site.site.id, m.id, m.kind, spec, start, end, tz)

    usage = use_of(meter)
    temperature = None
    if temperature_meter is not None:
        site_meter(site, temperature_meter)
        temperature = store_temperature(store, site.site.id, temperature_meter, start, end, tz)
        if not force:
            check_temperature(temperature, "C", f"temperature meter {temperature_meter!r}")
    production = use_of(production_meter) if production_meter is not None else None
    return compute_savings(
        usage,
        baseline,
        reporting,
        temperature=temperature,
        production=production,
        granularity="hourly" if granularity == "hourly" else "daily",
        model=model,
        temperature_unit="C",  # the profiles' unit (degC)
        allow_disqualified=allow_disqualified,
    )
