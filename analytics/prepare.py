"""Input validation and binning for the typed API (pandas in, checked arrays out)."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from plantmeter.errors import AnalyticsError, DataSufficiencyError

__all__ = ["FREQ", "bin_drivers", "bin_usage", "parse_period", "validate_series"]

logger = logging.getLogger(__name__)

FREQ = {"daily": "D", "hourly": "h"}


def validate_series(
    s: pd.Series | None, name: str, allow_negative: bool = False
) -> pd.Series | None:
    """Check a time series: tz-aware sorted unique DatetimeIndex, numeric, not empty/all-NaN."""
    if s is None:
        return None
    if isinstance(s, pd.DataFrame):
        if s.shape[1] != 1:
            raise AnalyticsError(f"{name}: expected one value column, got {list(s.columns)}")
        s = s.iloc[:, 0]
    if not isinstance(s, pd.Series):
        raise AnalyticsError(f"{name}: expected a pandas Series, got {type(s).__name__}")
    if len(s) == 0:
        raise DataSufficiencyError(f"{name}: the series is empty; load data for the periods asked")
    if not isinstance(s.index, pd.DatetimeIndex):
        raise AnalyticsError(
            f"{name}: index is {type(s.index).__name__}, not a DatetimeIndex; timestamps with "
            "mixed UTC offsets/time zones end up like this: parse them with "
            "pd.to_datetime(..., utc=True) and convert to the site's time zone"
        )
    if s.index.tz is None:
        raise AnalyticsError(
            f"{name}: timestamps have no time zone; localize them "
            "(s.tz_localize('UTC') or the site's zone) so days and hours of week are unambiguous"
        )
    if s.index.has_duplicates:
        dup = s.index[s.index.duplicated()]
        raise AnalyticsError(
            f"{name}: {len(dup)} duplicate timestamps (first {dup[0]}); de-duplicate "
            "(s[~s.index.duplicated(keep='last')]) before computing"
        )
    if not s.index.is_monotonic_increasing:
        raise AnalyticsError(f"{name}: timestamps are not sorted; call s.sort_index() first")
    try:
        v = s.astype(float)
    except (TypeError, ValueError) as exc:
        raise AnalyticsError(f"{name}: values are not numeric ({exc})") from exc
    if not np.isfinite(v.to_numpy()).any():
        raise DataSufficiencyError(f"{name}: every value is NaN; there is nothing to compute on")
    if not allow_negative:
        neg = v[v < 0]
        if len(neg):
            raise DataSufficiencyError(
                f"{name}: {len(neg)} negative values (first {neg.index[0]}: {neg.iloc[0]:g}); "
                "usage cannot be negative: derive interval use from counters with "
                "rollover/reset handling (analytics.kernels.counter_deltas) or drop those values"
            )
    return v


def parse_period(
    period: tuple[object, object], tz: object, name: str
) -> tuple[pd.Timestamp, pd.Timestamp]:
    """(start, end) as tz-aware Timestamps in the data's zone; naive values are read as local."""
    try:
        start, end = (pd.Timestamp(p) for p in period)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise AnalyticsError(f"{name} period {period!r}: not two timestamps ({exc})") from exc
    start = start.tz_localize(tz) if start.tzinfo is None else start.tz_convert(tz)
    end = end.tz_localize(tz) if end.tzinfo is None else end.tz_convert(tz)
    if end <= start:
        raise AnalyticsError(f"{name} period: end {end} is not after start {start}")
    return start, end


def _expected_per_bin(index: pd.DatetimeIndex, freq: str) -> float:
    step = pd.Series(index).diff().median()
    if pd.isna(step) or step <= pd.Timedelta(0):
        return 1.0
    return max(pd.Timedelta(1, unit=freq.lower() if freq == "h" else "D") / step, 1.0)


def bin_usage(usage: pd.Series, granularity: str) -> pd.DataFrame:
    """Sum interval usage per bin (value at t = use in [t, t + step)); coverage by count."""
    freq = FREQ[granularity]
    exp = _expected_per_bin(pd.DatetimeIndex(usage.index), freq)
    r = usage.resample(freq)
    out = pd.DataFrame({"usage": r.sum(min_count=1), "coverage": (r.count() / exp).clip(upper=1.0)})
    return out


def bin_drivers(
    index: pd.DatetimeIndex,
    granularity: str,
    temperature: pd.Series | None,
    production: pd.Series | None,
) -> pd.DataFrame:
    """Temperature as bin means (daily = mean of hourly means), production as bin sums."""
    freq = FREQ[granularity]
    out = pd.DataFrame(index=index)
    if temperature is not None:
        t = temperature.tz_convert(index.tz)
        hourly = t.resample("h").mean()
        out["temperature"] = (hourly if freq == "h" else hourly.resample("D").mean()).reindex(index)
    if production is not None:
        p = production.tz_convert(index.tz)
        out["production"] = p.resample(freq).sum(min_count=1).reindex(index)
    return out
