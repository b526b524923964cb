"""Avoided energy use, normalized savings, cost and CO2, non-routine adjustments."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pandas as pd

from plantmeter.errors import AnalyticsError

__all__ = [
    "NonRoutineAdjustment",
    "Predictor",
    "Tariff",
    "adjustment_series",
    "avoided_energy",
    "normalized_savings",
]

logger = logging.getLogger(__name__)

Tariff = float | Callable[[pd.Series], pd.Series]
"""Price per usage unit, or a callable mapping a usage series to a cost series (time of use)."""


class Predictor(Protocol):
    def predict(self, data: pd.DataFrame) -> pd.Series: ...


@dataclass(frozen=True)
class NonRoutineAdjustment:
    """A documented change to the adjusted baseline from ``start`` (until ``end``, if set).

    ``offset_per_day`` is in usage units per day (positive: the baseline would have used
    more, e.g. a production line added after the baseline).
    """

    start: pd.Timestamp
    offset_per_day: float
    description: str
    end: pd.Timestamp | None = None


def adjustment_series(
    index: pd.DatetimeIndex, interval: pd.Timedelta, adjustments: list[NonRoutineAdjustment]
) -> pd.Series:
    """Total non-routine adjustment per interval of ``index``."""
    out = np.zeros(len(index))
    per = interval / pd.Timedelta(days=1)
    for a in adjustments:
        start = pd.Timestamp(a.start)
        if start.tzinfo is None and index.tz is not None:
            raise AnalyticsError(
                f"non-routine adjustment {a.description!r}: start {a.start} has no time zone; "
                f"give it one (the data are in {index.tz})"
            )
        sel = index >= start
        if a.end is not None:
            sel &= index < pd.Timestamp(a.end)
        out[sel] += a.offset_per_day * per
    return pd.Series(out, index=index, name="non_routine_adjustment")


def _cost(series: pd.Series, tariff: Tariff | None) -> pd.Series | None:
    if tariff is None:
        return None
    if callable(tariff):
        cost = tariff(series)
        if not isinstance(cost, pd.Series) or not cost.index.equals(series.index):
            raise AnalyticsError("tariff callable must return a Series on the same index")
        return cost
    return series * float(tariff)


def avoided_energy(
    observed: pd.Series,
    adjusted_baseline: pd.Series,
    interval: pd.Timedelta,
    adjustments: list[NonRoutineAdjustment] | None = None,
    tariff: Tariff | None = None,
    emission_factor: float | None = None,
) -> pd.DataFrame:
    """Per-interval avoided energy use = adjusted baseline (+ adjustments) - observed.

    Columns: observed, adjusted_baseline (incl. non-routine adjustments),
    non_routine_adjustment, savings, cumulative_savings, and cost_savings /
    co2_savings when a tariff / emission factor (mass per usage unit) is given.
    Intervals missing either side have NaN savings and do not add to the cumulative.
    """
    idx = pd.DatetimeIndex(observed.index)
    nra = adjustment_series(idx, interval, adjustments or [])
    base = adjusted_baseline.reindex(idx) + nra
    sav = base - observed
    frame = pd.DataFrame(
        {
            "observed": observed,
            "adjusted_baseline": base,
            "non_routine_adjustment": nra,
            "savings": sav,
            "cumulative_savings": sav.fillna(0.0).cumsum().where(sav.notna()),
        }
    )
    cost = _cost(sav, tariff)
    if cost is not None:
        frame["cost_savings"] = cost
    if emission_factor is not None:
        frame["co2_savings"] = sav * float(emission_factor)
    return frame


def normalized_savings(
    baseline_model: Predictor, reporting_model: Predictor, conditions: pd.DataFrame
) -> dict[str, float]:
    """Savings under a fixed set of conditions (e.g. a normal weather year, typical production).

    Both models predict ``conditions``; returns the two totals and their difference.
    """
    b = float(baseline_model.predict(conditions).sum(min_count=1))
    r = float(reporting_model.predict(conditions).sum(min_count=1))
    return {"baseline_normalized": b, "reporting_normalized": r, "normalized_savings": b - r}
