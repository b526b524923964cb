"""use_per_bucket: closed forms for counters that rise, wrap and reset."""

from __future__ import annotations

import math

import pandas as pd

from analytics.buckets import use_per_bucket


def _lasts(values: list[float]) -> pd.Series:
    return pd.Series(
        values, index=pd.date_range("2026-01-01", periods=len(values), freq="h", tz="UTC")
    )


def test_use_is_the_difference_of_consecutive_lasts_and_sums_to_the_range() -> None:
    use = use_per_bucket(_lasts([1059.0, 1119.0, 1200.5]), before=999.0)
    assert use.tolist() == [60.0, 60.0, 81.5]
    assert use.sum() == 1200.5 - 999.0
    assert math.isnan(use_per_bucket(_lasts([5.0, 6.0])).iloc[0])  # nothing before the first bucket


def test_a_plausible_wrap_counts_and_a_reset_is_unknown_never_negative() -> None:
    wrap = use_per_bucket(_lasts([99_990.0, 5.0, 15.0]), before=99_980.0, rollover=100_000.0)
    assert wrap.tolist() == [10.0, 15.0, 10.0]
    reset = use_per_bucket(_lasts([500.0, 3.0, 13.0]), before=490.0, rollover=100_000.0)
    assert reset.iloc[0] == 10.0 and math.isnan(reset.iloc[1]) and reset.iloc[2] == 10.0
    assert math.isnan(
        use_per_bucket(_lasts([500.0, 3.0]), before=490.0).iloc[1]
    )  # no rollover given


def test_a_reset_inside_a_bucket_is_seen_through_the_bucket_min() -> None:
    lasts = _lasts([100.0, 150.0, 160.0])  # the counter fell to 0 inside bucket 2, then rose to 150
    mins = _lasts([90.0, 0.0, 150.0])
    use = use_per_bucket(lasts, before=90.0, minimum=mins)
    assert use.iloc[0] == 10.0 and math.isnan(use.iloc[1]) and use.iloc[2] == 10.0
    wrapped = use_per_bucket(
        _lasts([99_990.0, 5.0]), before=99_980.0, minimum=_lasts([99_980.0, 1.0]), rollover=1e5
    )
    assert wrapped.tolist() == [10.0, 15.0]  # a wrap explains a low min
