"""A meter's use beside what its M&V baseline expected, interval by interval, with the savings'
running sum (the CUSUM of savings a monitoring-and-targeting chart draws).

Uses the reports' verifier (``reports.verify.Verifier.result``: the pinned model of an approved
plan, non-routine adjustments included), so the chart shows the very figures the reports sum.
Intervals are the baseline's granularity: local days (daily models) or hours (hourly models);
an interval without valid use or drivers has ``None`` for expected and savings and does not add
to the running sum.

**Band** (per interval, 90 %): ``t(0.95, n - p) x RMSE``, the spread of one interval's use about
the model (RMSE = CV(RMSE) of the fit x the baseline period's mean use per interval, holidays
left out). It is the band a single day or hour should fall in; the uncertainty of a sum over
many intervals is the savings interval the reports state (``option_savings``' ``band_90``),
which is not the sum of these bands.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pandas as pd
from scipy import stats as sstats

from plantmeter.errors import ConfigError
from plantmeter.store import SeriesStore
from reports.load import LoadedPlan
from reports.plan import UNITS
from reports.verify import Verifier

from .mv import context

__all__ = ["BaselinePoint", "BaselineTrace", "baseline_trace"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class BaselinePoint:
    """One interval: metered use, the baseline's expectation and the savings' running sum."""

    start: datetime  # tz-aware, the site's local time
    observed: float | None
    expected: float | None  # adjusted baseline (with non-routine adjustments)
    savings: float | None
    cumulative: float | None  # savings summed from the trace's start


@dataclass(frozen=True, slots=True)
class BaselineTrace:
    """A meter's baseline comparison over [start, end) at its baseline's granularity."""

    meter: str
    unit: str
    granularity: str  # daily | hourly
    model: str  # model type (3PC, towt, ...)
    approved: bool
    band_90: float | None  # per interval, +/- (see the module note)
    points: tuple[BaselinePoint, ...]

    @property
    def observed(self) -> float:
        """Metered use summed over the intervals with an expectation."""
        return float(sum(p.observed or 0.0 for p in self.points if p.savings is not None))

    @property
    def expected(self) -> float:
        """Expected use summed over the intervals with metered use."""
        return float(sum(p.expected or 0.0 for p in self.points if p.savings is not None))


def _opt(x: object) -> float | None:
    try:
        f = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def baseline_trace(
    loaded: LoadedPlan, store: SeriesStore, meter: str, start: date, end: date
) -> BaselineTrace:
    """Observed vs expected use of ``meter`` over the local days [start, end), as the reports
    compute it (plan version in force on the last day)."""
    if end <= start:
        raise ConfigError(f"baseline of {meter}: end {end} is not after start {start}")
    with context(loaded, store, end - timedelta(days=1)) as ctx:
        plan = ctx.plan
        if meter not in plan.baselines:
            raise ConfigError(
                f"meter {meter!r} has no baseline in plan {plan.id}; baselines: "
                f"{', '.join(plan.baselines)}"
            )
        lo, hi = plan.baseline.start, plan.reporting.end
        if start < lo or end > hi:
            raise ConfigError(
                f"baseline of {meter}: {start} to {end} lies outside the plan's data window "
                f"{lo} to {hi}; ask for days inside it"
            )
        v = ctx.verifier
        result = v.result(meter, start, end)
        frame = result.frame
        band = None
        mean = _baseline_mean(v, meter, result.granularity, plan.baseline.start, plan.baseline.end)
        m = result.model
        p = int(m.params.get("p", 1) or 1)
        if math.isfinite(mean) and math.isfinite(m.cvrmse) and m.n > p:
            band = float(sstats.t.ppf(0.95, m.n - p)) * m.cvrmse * mean
        unit = UNITS.get(ctx.data.kind(meter), "")
        points = tuple(
            BaselinePoint(
                pd.Timestamp(t).to_pydatetime(),
                _opt(row.observed),
                _opt(row.adjusted_baseline),
                _opt(row.savings),
                _opt(row.cumulative_savings),
            )
            for t, row in zip(frame.index, frame.itertuples(index=False), strict=True)
        )
        return BaselineTrace(meter, unit, result.granularity, m.type, ctx.approved, band, points)


def _baseline_mean(v: Verifier, meter: str, granularity: str, start: date, end: date) -> float:
    """The baseline period's mean use per interval (what CV(RMSE) is relative to)."""
    hourly = v.usage(meter)
    tz = hourly.index.tz
    inside = hourly[
        (hourly.index >= pd.Timestamp(start).tz_localize(tz))
        & (hourly.index < pd.Timestamp(end).tz_localize(tz))
    ]
    per = inside.resample("D").sum(min_count=22) if granularity == "daily" else inside
    return float(per.dropna().mean()) if per.notna().any() else math.nan
