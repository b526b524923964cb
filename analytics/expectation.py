"""What a meter's daily use should have been: the reference the residual detectors compare with.

With drivers (the site's production counter, its outdoor temperature) the expectation is a
baseline model fitted on the reference weeks — production explains weekends, holidays and the
milk season, temperature the cooling load — so CUSUM/EWMA react to a change in how the plant
uses energy, not to a change in how much it produces. Without drivers it falls back to the
reference weeks' day-of-week means.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import numpy as np
import pandas as pd

from plantmeter.counters import CounterSpec, stored_counter
from plantmeter.errors import AnalyticsError

__all__ = ["DRIVER_KINDS", "daily_expectation", "site_drivers"]

logger = logging.getLogger(__name__)

DRIVER_KINDS = ("production", "temperature")


def site_drivers(
    meters: Iterable[tuple[str, pd.DataFrame] | tuple[str, pd.DataFrame, CounterSpec | None]],
) -> pd.DataFrame | None:
    """Hourly driver columns (``production`` use per hour, ``temperature`` mean) from driver meters.

    ``meters`` are (kind, raw frame) pairs, or (kind, raw frame, counter) with the meter's
    ``plantmeter.counters.CounterSpec`` (its wrap modulus and rate bound); meters of other
    kinds are ignored. Without a counter it is picked from the stored columns.
    """
    from .engine import counter_to_hourly

    columns: dict[str, pd.Series] = {}
    for item in meters:
        kind, frame = item[0], item[1]
        spec = item[2] if len(item) > 2 else None
        if frame.empty or kind not in DRIVER_KINDS or kind in columns:
            continue
        if kind == "temperature" and "temperature" in frame.columns:
            columns[kind] = frame["temperature"].dropna().resample("h").mean()
        elif kind == "production":
            counter = stored_counter(spec, kind, list(frame.columns))
            if counter is not None and frame[counter.quantity].notna().sum() > 2:
                hourly, _ = counter_to_hourly(
                    frame[counter.quantity], counter.rollover, counter.max_rate_per_h
                )
                columns[kind] = hourly["usage"].where(hourly["coverage"] > 0)
    return pd.DataFrame(columns) if columns else None


def daily_expectation(
    daily: pd.Series,
    drivers: pd.DataFrame | None,
    ref_days: int = 28,
    reference: slice | None = None,
) -> tuple[pd.Series, float] | None:
    """(expected daily use, residual sigma on the reference days), or None if it cannot be set.

    The reference days are the positions ``reference`` of ``daily`` (the M&V plan's baseline
    period), else its first ``ref_days``.
    """
    ref = reference if reference is not None else slice(0, ref_days)
    reference_days = daily.iloc[ref]
    if reference_days.notna().sum() < 14 or not reference_days.std() > 0:
        return None
    if drivers is not None:
        fitted = _driver_model(daily, drivers, ref)
        if fitted is not None:
            return fitted
    dow = daily.index.day_of_week
    means = reference_days.groupby(reference_days.index.day_of_week).mean()
    expected = pd.Series(means.reindex(dow).to_numpy(), index=daily.index)
    n = int(reference_days.notna().sum())
    # n days minus 7 fitted day-of-week means
    sigma = float((reference_days - expected.iloc[ref]).std()) * float(
        np.sqrt((n - 1) / max(n - 7, 1))
    )
    return (expected, sigma) if sigma > 0 else None


def _driver_model(
    daily: pd.Series, drivers: pd.DataFrame, ref: slice
) -> tuple[pd.Series, float] | None:
    from .models import select_daily

    tz = daily.index.tz
    days = pd.DataFrame({"usage": daily})
    extras: list[str] = []
    if "production" in drivers:
        days["production"] = drivers["production"].tz_convert(tz).resample("D").sum(min_count=20)
        extras.append("production")
    if "temperature" in drivers:
        days["temperature"] = drivers["temperature"].tz_convert(tz).resample("D").mean()
        candidates: tuple[str, ...] = ("1P", "3PC", "3PH")
    else:
        days["temperature"] = 0.0
        candidates = ("1P",)
    days = days.reindex(daily.index)
    reference = days.iloc[ref].dropna()
    if len(reference) < 14:
        return None
    try:
        selection = select_daily(
            reference, extras=extras, temperature_unit="C", candidates=candidates
        )
    except AnalyticsError as exc:
        logger.debug("driver model not fitted (%s); using day-of-week means", exc)
        return None
    model = selection.model
    expected = model.predict(days.fillna({"temperature": days["temperature"].mean()}))
    residuals = reference["usage"] - model.predict(reference)
    p = int(model.coef.size) if model.coef is not None else 1 + len(extras)
    n = len(reference)
    sigma = float(np.sqrt(np.sum(residuals.to_numpy() ** 2) / max(n - p, 1)))
    return (pd.Series(expected.to_numpy(), index=daily.index), sigma) if sigma > 0 else None
