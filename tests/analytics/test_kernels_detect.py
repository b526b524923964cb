"""Detection kernels against plain-Python/pandas references."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.kernels import (
    cusum_episodes,
    equal_runs,
    ewma_excursions,
    night_minimum,
    spike_mask,
    threshold_runs,
)


def _ref_cusum(z: np.ndarray, k: float, h: float):
    out = []
    for side in (1, -1):
        s, st, al = 0.0, -1, -1
        for i, v in enumerate(z):
            new = max(0.0, s + side * v - k)
            if s == 0 and new > 0:
                st, al = i, -1
            s = new
            if s > h and al < 0:
                al = i
            if s == 0 and st >= 0:
                if al >= 0:
                    out.append((st, al, i, side))
                st = al = -1
        if st >= 0 and al >= 0:
            out.append((st, al, len(z), side))
    return out


def test_cusum_episodes_reference() -> None:
    rng = np.random.default_rng(0)
    z = rng.normal(0, 1, 2000)
    z[500:560] += 1.5
    z[1200:1250] -= 2.0
    got = list(zip(*(a.tolist() for a in cusum_episodes(z, 0.5, 4.0)), strict=True))
    assert got == _ref_cusum(z, 0.5, 4.0)
    assert any(s <= 510 and a < 560 and d == 1 for s, a, e, d in got)


def test_ewma_excursions_reference() -> None:
    rng = np.random.default_rng(1)
    z = rng.normal(0, 1, 1000)
    z[600:] += 3
    st, en = ewma_excursions(z, 0.2, 3.0, 3)
    e = pd.Series(z).ewm(alpha=0.2, adjust=False).mean().to_numpy()
    # kernel starts from 0, pandas from z[0]: compare after burn-in
    lim = 3.0 * np.sqrt(0.2 / 1.8)
    mask = np.abs(e) > lim
    assert mask[st[-1] + 50 : en[-1]].all()
    assert st[-1] <= 605


def test_equal_and_threshold_runs() -> None:
    x = np.array([1.0, 2, 2, 2, 0, 0, 0, 0, 3, 3])
    s, e = equal_runs(x, 3, 0.0)
    assert s.tolist() == [1] and e.tolist() == [4]
    s, e = threshold_runs(np.array([1.0, -1, -2, 5, np.nan, 9]), 0.0, 4.0, 1)
    assert s.tolist() == [1, 5] and e.tolist() == [4, 6]


def test_night_minimum_matches_pandas() -> None:
    rng = np.random.default_rng(2)
    idx = pd.date_range("2024-01-01", periods=24 * 30, freq="h")
    v = rng.random(len(idx))
    day = ((idx.normalize() - idx[0].normalize()).days).to_numpy().astype(np.int64)
    got = night_minimum(v, idx.hour.to_numpy().astype(np.int64), day, 1, 5, 30)
    s = pd.Series(v, index=idx)
    ref = s[(s.index.hour >= 1) & (s.index.hour < 5)].resample("D").min().to_numpy()
    np.testing.assert_allclose(got, ref)


def test_spike_mask_flags_only_the_spike() -> None:
    x = np.tile(np.r_[np.full(12, 4.0), np.full(12, 10.0)], 30) + np.linspace(0, 0.01, 720)
    x[400] = 60.0
    m = spike_mask(x, 168, 8.0, 0.5)  # steps give r = 3 < 8 * 0.5
    assert np.flatnonzero(m).tolist() == [400]


def _ref_excess_cusum(r: np.ndarray, sigma: float, k: float, h: float, w: int):
    """Plain-Python reading of the kernel's docstring."""
    n = len(r)
    usable = [np.nan] * n
    level = np.zeros(n)
    out = []
    s, st, al = 0.0, -1, -1
    for i in range(n):
        past = [u for u in usable[max(0, i - 2 * w) : max(0, i - w)] if not np.isnan(u)]
        if len(past) >= max(w // 2, 1):
            level[i] = min(0.0, float(np.median(past)))
        elif i > 0:
            level[i] = level[i - 1]
        if np.isnan(r[i]):
            continue
        new = min(max(0.0, s + (r[i] - level[i]) / sigma - k), h + 1e-9)
        if s == 0 and new > 0:
            st, al = i, -1
        s = new
        if s > h and al < 0:
            al = i
        if al < 0 or i - al >= w:
            usable[i] = r[i]
        if s == 0 and st >= 0:
            if al >= 0:
                out.append((st, al, i))
            st = al = -1
    if st >= 0 and al >= 0:
        out.append((st, al, n))
    return out, level


def test_excess_cusum_reference_and_savings() -> None:
    from analytics.kernels import excess_cusum

    rng = np.random.default_rng(3)
    r = rng.normal(0, 1, 800)
    r[100:500] -= 3.0  # a saving: not an episode, and the level learns it
    r[330:350] += 2.0  # an excess during the saving, smaller than the saving: still found
    r[620:630] = np.nan
    st, al, en, level = excess_cusum(r, 1.0, 0.5, 5.0, 28)
    ref, ref_level = _ref_excess_cusum(r, 1.0, 0.5, 5.0, 28)
    assert list(zip(st.tolist(), al.tolist(), en.tolist(), strict=True)) == ref
    np.testing.assert_allclose(level, ref_level)
    episodes = list(zip(st.tolist(), al.tolist(), en.tolist(), strict=True))
    assert not any(100 <= a < 250 for _, a, _ in episodes)  # a saving is not flagged
    assert any(325 <= s <= 332 and a < 340 for s, a, _ in episodes)
    stopped = [e for s, a, e in episodes if 500 <= a < 510]  # the saving stops: use went back up
    assert stopped and stopped[0] < 800  # and the flag ends once the level has relearnt it
    assert level[300] < -2.5 and level[:56].max() == 0.0  # lags two windows, never above 0
    up = rng.normal(0, 1, 300)
    up[150:] += 5.0  # a lasting excess on a meter at its baseline: one episode, still on
    st, al, en, _ = excess_cusum(up, 1.0, 0.5, 5.0, 28)
    assert [e for s, e in zip(st, en, strict=True) if s >= 130] == [300]
