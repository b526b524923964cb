"""The analytics kernels on random inputs: no crash, and the invariants a report relies on.

* interval use is never negative except where a reading is flagged (a reset: use unknown, NaN);
* a counter that only wraps (register = true total mod rollover) loses no energy: the hourly use
  adds up to the true total, whatever the wraps and the reading times;
* bucket use from bucket lasts is >= 0 or unknown;
* spreading intervals over bins conserves their amounts and covers each bin 0..1;
* savings = adjusted baseline (+ non-routine adjustments) - actual, exactly, per interval;
* CUSUM sums are >= 0 (NaN carries them).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from hypothesis import assume, given
from hypothesis import strategies as st

from analytics.buckets import use_per_bucket
from analytics.engine import counter_to_hourly
from analytics.kernels import (
    DUPLICATE,
    FIRST,
    GAP,
    MISSING,
    OK,
    RESET,
    ROLLOVER,
    bin_intervals,
    counter_deltas,
    cusum,
)
from analytics.savings import NonRoutineAdjustment, avoided_energy

from .budget import fuzz

T0 = 1_735_689_600_000  # 2025-01-01T00:00Z
FLOATS = st.floats(-1e9, 1e9, allow_nan=False) | st.just(math.nan)


@st.composite
def counter_series(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    n = draw(st.integers(0, 60))
    steps = draw(st.lists(st.integers(0, 3_600_000), min_size=n, max_size=n))  # 0: a duplicate time
    ts = T0 + np.cumsum(np.array(steps, dtype=np.int64))
    values = np.array(draw(st.lists(FLOATS, min_size=n, max_size=n)), dtype=np.float64)
    return ts.astype(np.int64), values


@given(
    series=counter_series(),
    rollover=st.sampled_from([0.0, 65536.0, 1e6, 4294967296.0]),
    max_gap_ms=st.sampled_from([0, 900_000, 3_600_000]),
    max_rate=st.sampled_from([0.0, 10.0, 1e4]),
)
@fuzz(200)
def test_interval_use_is_never_negative_and_every_unknown_is_flagged(
    series: tuple[np.ndarray, np.ndarray], rollover: float, max_gap_ms: int, max_rate: float
) -> None:
    ts, values = series
    delta, start, status = counter_deltas(ts, values, rollover, max_gap_ms, max_rate)
    assert delta.shape == start.shape == status.shape == values.shape
    known = np.isin(status, [OK, ROLLOVER, GAP])
    assert (delta[known] >= 0).all()
    assert np.isnan(delta[~known]).all()
    assert np.isin(status, [OK, ROLLOVER, RESET, GAP, MISSING, FIRST, DUPLICATE]).all()
    assert ((status == MISSING) == np.isnan(values)).all()
    assert (status == FIRST).sum() == (1 if (~np.isnan(values)).any() else 0)
    assert (start[known] < ts[known]).all()
    if rollover == 0.0:
        assert not (status == ROLLOVER).any()


@st.composite
def wrapping_counter(draw: st.DrawFn) -> tuple[pd.Series, float, float]:
    """A register that wraps at ``rollover``: the true total mod rollover, read at random times."""
    rollover = draw(st.sampled_from([1000.0, 65536.0, 4294967296.0]))
    n = draw(st.integers(2, 80))
    gaps = draw(st.lists(st.integers(1_000, 900_000), min_size=n, max_size=n))
    ts = T0 + np.cumsum(np.array(gaps, dtype=np.int64))
    # each step under 10 % of the register's range: a drop is then always a plausible wrap
    use = np.array(draw(st.lists(st.floats(0, 0.099 * rollover), min_size=n, max_size=n)))
    use = np.round(use, 3)
    total = np.cumsum(use) + draw(st.floats(0, rollover - 1))
    register = np.mod(total, rollover)
    index = pd.DatetimeIndex(pd.to_datetime(ts, unit="ms", utc=True))
    return pd.Series(register, index=index), rollover, float(total[-1] - total[0])


@given(case=wrapping_counter())
@fuzz(150)
def test_a_wrapping_counter_loses_no_energy_and_never_goes_negative(
    case: tuple[pd.Series, float, float],
) -> None:
    register, rollover, true_use = case
    hourly, status = counter_to_hourly(register, rollover=rollover)
    assert not (status == RESET).any()
    usage = hourly["usage"].to_numpy()
    assert (usage[~np.isnan(usage)] >= 0).all()
    assert math.isclose(np.nansum(usage), true_use, rel_tol=1e-9, abs_tol=1e-6 * rollover)
    assert ((hourly["coverage"] >= 0) & (hourly["coverage"] <= 1)).all()


@given(
    lasts=st.lists(FLOATS, max_size=40),
    rollover=st.sampled_from([0.0, 1000.0, 65536.0]),
    before=st.none() | st.floats(0, 1e6),
)
@fuzz(200)
def test_bucket_use_is_never_negative(
    lasts: list[float], rollover: float, before: float | None
) -> None:
    use = use_per_bucket(pd.Series(lasts, dtype=float), before=before, rollover=rollover)
    values = use.to_numpy()
    assert (values[~np.isnan(values)] >= 0).all()


@st.composite
def intervals(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    n = draw(st.integers(0, 30))
    starts = np.array(
        draw(st.lists(st.integers(0, 86_400_000 - 1), min_size=n, max_size=n)), dtype=np.int64
    )
    lengths = np.array(
        draw(st.lists(st.integers(1, 7_200_000), min_size=n, max_size=n)), dtype=np.int64
    )
    ends = np.minimum(starts + lengths, 86_400_000)
    amounts = np.array(draw(st.lists(st.floats(0, 1e6), min_size=n, max_size=n)), dtype=np.float64)
    cover = np.array(draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)), dtype=np.int64)
    return T0 + starts, T0 + ends, amounts, cover


@given(case=intervals(), bin_ms=st.sampled_from([900_000, 3_600_000, 86_400_000]))
@fuzz(150)
def test_binning_conserves_amounts_and_coverage_stays_within_0_and_1(
    case: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray], bin_ms: int
) -> None:
    start, end, amount, cover = case
    nbins = 86_400_000 // bin_ms
    sums, coverage = bin_intervals(start, end, amount, cover, T0, bin_ms, nbins)
    assert math.isclose(np.nansum(sums), amount[end > start].sum(), rel_tol=1e-9, abs_tol=1e-6)
    assert ((coverage >= 0) & (coverage <= 1)).all()


@given(
    data=st.lists(st.tuples(FLOATS, FLOATS), min_size=1, max_size=48),
    offsets=st.lists(st.tuples(st.integers(0, 47), st.floats(-1e4, 1e4)), max_size=3),
    tariff=st.none() | st.floats(0, 10),
    factor=st.none() | st.floats(0, 2),
)
@fuzz(150)
def test_savings_are_adjusted_baseline_minus_actual(
    data: list[tuple[float, float]],
    offsets: list[tuple[int, float]],
    tariff: float | None,
    factor: float | None,
) -> None:
    index = pd.date_range("2025-06-01", periods=len(data), freq="h", tz="UTC")
    observed = pd.Series([d[0] for d in data], index=index)
    baseline = pd.Series([d[1] for d in data], index=index)
    adjustments = [
        NonRoutineAdjustment(
            start=index[min(at, len(index) - 1)], offset_per_day=per_day, description=f"nra {i}"
        )
        for i, (at, per_day) in enumerate(offsets)
    ]
    frame = avoided_energy(observed, baseline, pd.Timedelta(hours=1), adjustments, tariff, factor)
    nra = np.zeros(len(index))
    for a in adjustments:
        nra[index >= a.start] += a.offset_per_day / 24
    expected = baseline.to_numpy() + nra - observed.to_numpy()
    np.testing.assert_allclose(frame["non_routine_adjustment"], nra, rtol=1e-12)
    np.testing.assert_allclose(frame["adjusted_baseline"], baseline.to_numpy() + nra, rtol=1e-12)
    np.testing.assert_allclose(frame["savings"], expected, rtol=1e-12, atol=1e-9)
    running = np.nancumsum(expected)
    np.testing.assert_allclose(
        frame["cumulative_savings"],
        np.where(np.isnan(expected), np.nan, running),
        rtol=1e-9,
        atol=1e-6,
    )
    if tariff is not None:
        np.testing.assert_allclose(frame["cost_savings"], expected * tariff, rtol=1e-12, atol=1e-9)
    if factor is not None:
        np.testing.assert_allclose(frame["co2_savings"], expected * factor, rtol=1e-12, atol=1e-9)


@given(
    x=st.lists(FLOATS, max_size=50),
    target=st.floats(-1e6, 1e6),
    k=st.floats(0, 1e3),
)
@fuzz(150)
def test_cusum_sums_are_never_negative(x: list[float], target: float, k: float) -> None:
    values = np.array(x, dtype=np.float64)
    assume(values.size == 0 or np.nanmax(np.abs(values), initial=0.0) < 1e12)
    s_pos, s_neg = cusum(values, target, k)
    assert (s_pos >= 0).all() and (s_neg >= 0).all()
