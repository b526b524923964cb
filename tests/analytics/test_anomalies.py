"""Each detector: a synthetic fault flagged within a stated delay; a clean year gives at most
a stated number of false flags."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.anomalies import (
    Target,
    baseload_drift,
    comm_gaps,
    counter_events,
    impossible_values,
    out_of_hours,
    residual_cusum,
    residual_ewma,
    spikes,
    stuck,
    water_leak,
)

from .synth import hourly_frame

TG = Target("dairy", "main-elec", "energy_kwh")
MS_H = 3_600_000
MS_D = 86_400_000


def _ms(ts: pd.Timestamp) -> int:
    return int(ts.tz_convert("UTC").value // 1_000_000)


def _daily_resid(seed: int, shift: float = 0.0, at: int = 200) -> tuple[pd.Series, pd.Series]:
    rng = np.random.default_rng(seed)
    idx = pd.date_range("2024-01-01", periods=365, freq="D", tz="UTC")
    pred = pd.Series(1000.0, index=idx)
    obs = pred + rng.normal(0, 20, 365)
    obs.iloc[at:] += shift * 20
    return obs, pred


def test_residual_cusum_clean_year_and_shift() -> None:
    false = sum(len(residual_cusum(TG, *_daily_resid(s), sigma=20.0)) for s in range(5))
    assert false <= 2  # over five clean years
    obs, pred = _daily_resid(1, shift=1.0)
    flags = [f for f in residual_cusum(TG, obs, pred, sigma=20.0) if f.end_ms > _ms(obs.index[200])]
    assert flags and "above baseline" in flags[0].reason
    alarm_day = pd.Timestamp(flags[0].reason.split(" at ")[1].split(" (")[0])
    assert (alarm_day - obs.index[200]).days <= 12  # 1-sigma shift: ARL ~ 10 intervals


def test_residual_ewma_clean_year_and_shift() -> None:
    false = sum(len(residual_ewma(TG, *_daily_resid(s), sigma=20.0)) for s in range(5))
    assert false <= 2
    obs, pred = _daily_resid(2, shift=2.0)
    flags = [f for f in residual_ewma(TG, obs, pred, sigma=20.0) if f.end_ms > _ms(obs.index[200])]
    assert flags and flags[0].start_ms <= _ms(obs.index[200 + 7])


def test_baseload_drift() -> None:
    df = hourly_frame(seed=3)
    assert len(baseload_drift(TG, df["usage"])) <= 1
    u = df["usage"].copy()
    u.iloc[24 * 150 :] += 1.5  # +37 % base load from day 150
    flags = [f for f in baseload_drift(TG, u) if f.end_ms > _ms(u.index[24 * 150])]
    assert flags
    assert flags[0].start_ms <= _ms(u.index[24 * (150 + 7 + 7)])


def test_out_of_hours_compressor_left_on_over_weekend() -> None:
    df = hourly_frame(seed=4)
    occ = pd.Series(
        (df.index.day_of_week < 5) & (df.index.hour >= 7) & (df.index.hour < 19), index=df.index
    )
    assert len(out_of_hours(TG, df["usage"], occ)) <= 2
    u = df["usage"].copy()
    sat = pd.Timestamp("2023-06-10", tz="UTC")  # a Saturday
    u[(u.index >= sat) & (u.index < sat + pd.Timedelta(days=2))] += 5.0
    flags = [f for f in out_of_hours(TG, u, occ) if f.start_ms >= _ms(sat)]
    assert flags and flags[0].start_ms <= _ms(sat + pd.Timedelta(hours=12))


def test_out_of_hours_against_baseline_prediction() -> None:
    from analytics.models import TOWTModel

    df = hourly_frame(seed=4)
    occ = pd.Series(
        (df.index.day_of_week < 5) & (df.index.hour >= 7) & (df.index.hour < 19), index=df.index
    )
    expected = TOWTModel(temperature_unit="F").fit(df.iloc[: 24 * 120]).predict(df)
    assert len(out_of_hours(TG, df["usage"], occ, expected=expected)) <= 2
    u = df["usage"].copy()
    sat = pd.Timestamp("2023-06-10", tz="UTC")
    u[(u.index >= sat) & (u.index < sat + pd.Timedelta(days=2))] += 5.0
    flags = [f for f in out_of_hours(TG, u, occ, expected=expected) if f.start_ms >= _ms(sat)]
    assert flags and flags[0].start_ms == _ms(sat)
    assert flags[0].end_ms >= _ms(sat + pd.Timedelta(hours=47))


def test_stuck_meter() -> None:
    df = hourly_frame(seed=5)
    assert stuck(TG, df["usage"]) == []
    u = df["usage"].copy()
    u.iloc[1000:1020] = u.iloc[1000]
    f = stuck(TG, u)
    assert len(f) == 1 and f[0].start_ms == _ms(u.index[1000]) and f[0].end_ms == _ms(u.index[1019])


def test_counter_reset_and_rollover() -> None:
    idx = pd.date_range("2024-01-01", periods=6, freq="h", tz="UTC")
    c = pd.Series([99_990.0, 99_998.0, 5.0, 12.0, 3.0, 9.0], index=idx)
    f = counter_events(TG, c, rollover=100_000.0, max_rate_per_h=50.0)
    assert [x.kind for x in f] == ["counter_rollover", "counter_reset"]
    assert (
        f[1].severity == "critical" and f[1].start_ms == _ms(idx[3]) and f[1].end_ms == _ms(idx[4])
    )
    assert "12" in f[1].reason and "3" in f[1].reason


def test_spikes() -> None:
    df = hourly_frame(seed=6)
    assert len(spikes(TG, df["usage"])) <= 5
    u = df["usage"].copy()
    u.iloc[3000] *= 10
    f = [x for x in spikes(TG, u) if x.start_ms == _ms(u.index[3000])]
    assert len(f) == 1  # flagged at the interval itself


def test_impossible_values() -> None:
    df = hourly_frame(seed=7)
    assert impossible_values(TG, df["usage"], 0.0, 100.0) == []
    u = df["usage"].copy()
    u.iloc[50] = -3.0
    u.iloc[60] = 1e6
    f = impossible_values(TG, u, 0.0, 100.0)
    assert [x.start_ms for x in f] == [_ms(u.index[50]), _ms(u.index[60])]


def test_comm_gaps() -> None:
    idx = pd.date_range("2024-01-01", periods=24 * 365, freq="h", tz="UTC")
    assert comm_gaps(TG, idx, pd.Timedelta(hours=2)) == []
    holed = idx.delete(range(100, 105))
    f = comm_gaps(TG, holed, pd.Timedelta(hours=2))
    assert len(f) == 1 and f[0].start_ms == _ms(idx[99]) and f[0].end_ms == _ms(idx[105])


def test_water_leak() -> None:
    rng = np.random.default_rng(8)
    idx = pd.date_range("2024-01-01", periods=24 * 365, freq="h", tz="America/Guatemala")
    day = (idx.hour >= 6) & (idx.hour < 22)
    flow = pd.Series(np.where(day, 5.0, 0.0) + np.abs(rng.normal(0, 0.05, len(idx))), index=idx)
    assert water_leak(TG, flow, threshold=0.3) == []
    leak = flow.copy()
    leak[leak.index >= pd.Timestamp("2024-05-01", tz="America/Guatemala")] += 0.6
    f = water_leak(TG, leak, threshold=0.3, nights=3)
    assert len(f) == 1
    assert f[0].start_ms == _ms(pd.Timestamp("2024-05-01", tz="America/Guatemala"))
    assert f[0].kind == "leak" and f[0].severity == "critical"
