"""Each detector: a synthetic fault flagged within a stated delay; a clean year gives at most
a stated number of false flags."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

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
    # the first night hour (01:00) whose flow is above the threshold: when the leak was first seen
    assert f[0].start_ms == _ms(pd.Timestamp("2024-05-01 01:00", tz="America/Guatemala"))
    flow, rest = f[0].reason.split(" m³/h", 1)
    assert abs(float(flow) - 0.6) < 0.05 and rest.startswith(" at night since 01:00 on 1 May 2024")
    assert abs(f[0].excess_per_day - 24 * 0.6) < 1.2  # m³ a day: the leak never stops
    assert f[0].kind == "leak" and f[0].severity == "critical"


def test_excess_use_flags_only_excess_with_its_cost() -> None:
    """Use below the expectation is savings (never a flag); use above it is, valued at the
    tariff: here 2 sigma (40 kWh) a day more from day 200, at 0.10 USD/kWh on weekdays and
    0.20 at weekends (hour-of-week prices)."""
    from analytics.anomalies import excess_use
    from analytics.flagref import Costing

    down, pred = _daily_resid(4, shift=-3.0)  # 3 sigma less from day 200: a saving
    assert [
        f for f in excess_use(TG, down, pred, sigma=20.0) if f.end_ms > _ms(down.index[200])
    ] == []
    prices = tuple([0.10] * 120 + [0.20] * 48)
    costing = Costing.for_kind("electricity", prices, "USD")
    obs, pred = _daily_resid(4, shift=2.0)
    flags = [
        f
        for f in excess_use(TG, obs, pred, sigma=20.0, costing=costing)
        if f.end_ms > _ms(obs.index[200])
    ]
    assert len(flags) == 1
    f = flags[0]
    # the episode starts where the CUSUM last left 0: up to a week early on noise
    assert -7 * MS_D <= f.start_ms - _ms(obs.index[200]) <= 2 * MS_D
    assert f.excess_per_day == pytest.approx(40.0, rel=0.15)
    assert f.cost_per_day == pytest.approx(40.0 * (5 * 0.10 + 2 * 0.20) / 7, rel=0.15)
    day = pd.Timestamp(f.start_ms, unit="ms", tz="UTC")
    assert f.reason.startswith(
        f"{f.excess_per_day:.0f} kWh a day more than expected since {day.day} {day:%b %Y}, ≈ "
    ), f.reason
    assert "USD a day" in f.reason and f.kind == "excess"


def test_costing_words_and_local_time() -> None:
    from analytics.flagref import Costing, local_when

    water = Costing.for_kind("water", tuple([2.10] * 168), "USD")
    assert water.amount(0.3, water.rate_unit) == "0.3 m³/h"
    assert water.per_day(7.2, 15.12) == "≈ 15 USD a day"
    assert Costing.for_kind("electricity").per_day(84.4, None) == "≈ 84 kWh a day"
    ms = _ms(pd.Timestamp("2025-10-01T08:00", tz="UTC"))
    assert local_when(ms, "America/Guatemala") == "02:00 on 1 Oct 2025"


def test_rank_flags_costliest_first() -> None:
    from analytics.jobs import rank_flags
    from plantmeter.store import Flag

    gap = Flag("d", "m", "gap", 1, 2, "warning", "r")
    reset = Flag("d", "m", "counter_reset", 5, 6, "critical", "r")
    cheap = Flag("d", "m", "excess", 3, 4, "warning", "r", excess_per_day=500.0, cost_per_day=5.0)
    dear = Flag("d", "w", "leak", 9, 10, "critical", "r", excess_per_day=7.0, cost_per_day=15.0)
    energy = Flag("d", "x", "excess", 0, 1, "warning", "r", excess_per_day=80.0)
    assert rank_flags([gap, reset, cheap, energy, dear]) == [dear, cheap, energy, reset, gap]
