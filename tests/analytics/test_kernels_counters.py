"""Counter -> interval and binning kernels against plain-numpy references."""

from __future__ import annotations

import numpy as np
import pytest

from analytics.kernels import (
    DUPLICATE,
    FIRST,
    GAP,
    MISSING,
    OK,
    RESET,
    ROLLOVER,
    bin_intervals,
    bin_mean,
    counter_deltas,
)

H = 3_600_000


def test_deltas_match_numpy_diff_on_monotone_counter() -> None:
    rng = np.random.default_rng(1)
    ts = np.cumsum(rng.integers(1, 600_000, 500)).astype(np.int64)
    v = np.cumsum(rng.random(500) * 3)
    d, start, st = counter_deltas(ts, v, 0.0, 0, 0.0)
    assert st[0] == FIRST and np.isnan(d[0])
    np.testing.assert_allclose(d[1:], np.diff(v), rtol=1e-12)
    np.testing.assert_array_equal(start[1:], ts[:-1])
    assert (st[1:] == OK).all()


def test_rollover_is_positive_delta() -> None:
    ts = np.arange(4, dtype=np.int64) * H
    v = np.array([99_990.0, 99_998.0, 3.0, 10.0])
    d, _, st = counter_deltas(ts, v, 100_000.0, 0, 50.0)
    np.testing.assert_allclose(d[1:], [8.0, 5.0, 7.0])
    assert list(st) == [FIRST, OK, ROLLOVER, OK]


def test_drop_that_is_not_a_rollover_is_a_reset_not_negative() -> None:
    ts = np.arange(5, dtype=np.int64) * H
    v = np.array([5000.0, 5010.0, 2.0, 6.0, 9.0])
    d, _, st = counter_deltas(ts, v, 100_000.0, 0, 50.0)
    assert st[2] == RESET and np.isnan(d[2])
    np.testing.assert_allclose(d[3:], [4.0, 3.0])
    assert np.nanmin(d) >= 0


def test_no_rollover_configured_means_any_drop_is_reset() -> None:
    ts = np.arange(3, dtype=np.int64) * H
    d, _, st = counter_deltas(ts, np.array([10.0, 11.0, 10.5]), 0.0, 0, 0.0)
    assert st[2] == RESET and np.isnan(d[2])


def test_gap_keeps_energy_and_is_marked() -> None:
    ts = np.array([0, H, 10 * H, 11 * H], dtype=np.int64)
    v = np.array([0.0, 1.0, 20.0, 21.0])
    d, start, st = counter_deltas(ts, v, 0.0, 2 * H, 0.0)
    assert st[2] == GAP and d[2] == 19.0 and start[2] == H
    assert np.nansum(d) == 21.0


def test_missing_and_duplicate_readings() -> None:
    ts = np.array([0, H, 2 * H, 2 * H, 3 * H], dtype=np.int64)
    v = np.array([1.0, np.nan, 3.0, 3.0, 4.0])
    d, start, st = counter_deltas(ts, v, 0.0, 0, 0.0)
    assert list(st) == [FIRST, MISSING, OK, DUPLICATE, OK]
    assert d[2] == 2.0 and start[2] == 0
    assert d[4] == 1.0


def _ref_bin(start: np.ndarray, end: np.ndarray, amt: np.ndarray, t0: int, b: int, nb: int):
    sums = np.zeros(nb)
    cover = np.zeros(nb)
    hit = np.zeros(nb, bool)
    for s, e, a in zip(start, end, amt, strict=True):
        for k in range(nb):
            lo, hi = max(s, t0 + k * b), min(e, t0 + (k + 1) * b)
            if hi > lo:
                sums[k] += a * (hi - lo) / (e - s)
                cover[k] += (hi - lo) / b
                hit[k] = True
    sums[~hit] = np.nan
    return sums, np.minimum(cover, 1.0)


def test_bin_intervals_matches_reference_and_conserves_energy() -> None:
    rng = np.random.default_rng(2)
    ends = np.cumsum(rng.integers(60_000, 3 * H, 300)).astype(np.int64)
    starts = np.concatenate([[0], ends[:-1]]).astype(np.int64)
    amt = rng.random(300) * 5
    nb = int(ends[-1] // H) + 1
    sums, cov = bin_intervals(starts, ends, amt, np.ones(300, np.int64), 0, H, nb)
    rs, rc = _ref_bin(starts, ends, amt, 0, H, nb)
    np.testing.assert_allclose(sums, rs, rtol=1e-10)
    np.testing.assert_allclose(cov, rc, rtol=1e-10)
    assert np.nansum(sums) == pytest.approx(amt.sum(), rel=1e-12)


def test_bin_intervals_coverage_excludes_gap_intervals() -> None:
    starts = np.array([0, H], dtype=np.int64)
    ends = np.array([H, 5 * H], dtype=np.int64)
    sums, cov = bin_intervals(starts, ends, np.array([1.0, 8.0]), np.array([1, 0]), 0, H, 6)
    np.testing.assert_allclose(sums[:5], [1, 2, 2, 2, 2])
    np.testing.assert_allclose(cov, [1, 0, 0, 0, 0, 0])
    assert np.isnan(sums[5])


def test_bin_mean_matches_numpy() -> None:
    rng = np.random.default_rng(3)
    ts = np.sort(rng.integers(0, 48 * H, 1000)).astype(np.int64)
    v = rng.normal(20, 5, 1000)
    v[::17] = np.nan
    mean, cnt = bin_mean(ts, v, 0, H, 48)
    k = ts // H
    for b in range(48):
        sel = (k == b) & ~np.isnan(v)
        assert cnt[b] == sel.sum()
        if sel.any():
            assert mean[b] == pytest.approx(v[sel].mean(), rel=1e-12)
        else:
            assert np.isnan(mean[b])


def test_empty_inputs() -> None:
    e = np.zeros(0, dtype=np.int64)
    d, s, st = counter_deltas(e, np.zeros(0), 0.0, 0, 0.0)
    assert d.size == 0 and st.size == 0
    sums, cov = bin_intervals(e, e, np.zeros(0), e, 0, H, 3)
    assert np.isnan(sums).all() and (cov == 0).all()
