"""run_flags over a SQLite SeriesStore: counters in, flags of the right kinds out and stored."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from analytics.jobs import counter_to_hourly, run_flags
from ingest.stores.sqlite import SqliteStore
from plantmeter.errors import AnalyticsError
from plantmeter.store import SeriesPoint, SeriesStore

Q = 15 * 60_000


@dataclass
class M:
    id: str
    kind: str


def _write_counter(
    store: SeriesStore,
    meter: str,
    q: str,
    use_per_step: np.ndarray,
    t0: int,
    reset_at: int | None = None,
    gap: slice | None = None,
) -> None:
    c = np.cumsum(use_per_step) + 1000.0
    if reset_at is not None:
        c[reset_at:] -= c[reset_at - 1] - 1.0
    keep = np.ones(len(c), bool)
    if gap is not None:
        keep[gap] = False
    store.write_points(
        [SeriesPoint("dairy", meter, q, t0 + i * Q, float(c[i])) for i in np.flatnonzero(keep)]
    )


def _plant(days: int = 42, seed: int = 0, path: str = ":memory:") -> tuple[SqliteStore, int]:
    rng = np.random.default_rng(seed)
    t0 = int(pd.Timestamp("2024-01-01", tz="UTC").value // 1_000_000)
    idx = pd.date_range("2024-01-01", periods=days * 96, freq="15min", tz="UTC")
    occ = (idx.day_of_week < 5) & (idx.hour >= 7) & (idx.hour < 19)
    elec = (1.0 + 2.5 * occ) * (1 + rng.normal(0, 0.05, len(idx)))
    sat = (idx >= pd.Timestamp("2024-02-03", tz="UTC")) & (
        idx < pd.Timestamp("2024-02-05", tz="UTC")
    )
    elec[sat] += 1.5  # compressor left on over the weekend
    store = SqliteStore(path)
    _write_counter(
        store,
        "main-elec",
        "energy_import_total",
        elec,
        t0,
        reset_at=96 * 20,
        gap=slice(96 * 10, 96 * 10 + 12),
    )
    water = np.where((idx.hour >= 6) & (idx.hour < 22), 1.0, 0.0) + np.abs(
        rng.normal(0, 0.005, len(idx))
    )
    water[idx >= pd.Timestamp("2024-02-01", tz="UTC")] += 0.2  # leak
    _write_counter(store, "cip-water", "volume_total", water, t0)
    temps = 20 + rng.normal(0, 1, days * 24)
    temps[300:330] = 21.5
    store.write_points(
        [
            SeriesPoint("dairy", "temp", "temperature", t0 + i * 3_600_000, float(v))
            for i, v in enumerate(temps)
        ]
    )
    return store, t0


def test_run_flags_finds_the_planted_faults_and_stores_them() -> None:
    store, _ = _plant()
    meters = [M("main-elec", "electricity"), M("cip-water", "water"), M("temp", "temperature")]
    flags = run_flags(store, "dairy", meters, None)
    kinds = {(f.meter, f.kind) for f in flags}
    assert ("main-elec", "counter_reset") in kinds
    assert ("main-elec", "gap") in kinds
    assert ("main-elec", "out_of_hours") in kinds
    assert ("cip-water", "leak") in kinds
    assert ("temp", "stuck") in kinds
    leak = next(f for f in flags if f.kind == "leak")
    # from the first night hour with the leak's flow (01:00), when the leak was first seen
    assert leak.start_ms == int(pd.Timestamp("2024-02-01 01:00", tz="UTC").value // 1_000_000)
    ooh = [f for f in flags if f.kind == "out_of_hours"]
    assert all(
        pd.Timestamp(f.start_ms, unit="ms", tz="UTC") >= pd.Timestamp("2024-02-03", tz="UTC")
        for f in ooh
    )
    assert len(store.read_flags("dairy")) == len(
        {(f.meter, f.kind, f.quantity, f.start_ms) for f in flags}
    )
    assert all(f.detector and f.reason for f in flags)
    # no flag on the clean water days before the leak, except gaps/counters
    early = [f for f in flags if f.meter == "cip-water" and f.end_ms < leak.start_ms]
    assert early == []


def test_run_flags_since_and_unknown_meter() -> None:
    store, _ = _plant()
    since = pd.Timestamp("2024-02-10", tz="UTC")
    flags = run_flags(store, "dairy", [M("nope", "electricity"), M("temp", "temperature")], since)
    assert flags == []


def test_a_fixed_reference_finds_a_leak_that_fills_the_window() -> None:
    store, _ = _plant(days=84)
    water = [M("cip-water", "water")]
    since = pd.Timestamp("2024-02-01", tz="UTC")  # the day the leak starts
    since_ms = int(since.value // 1_000_000)
    blind = run_flags(store, "dairy", water, since)
    assert not any(
        f.kind == "leak" for f in blind
    )  # its first four weeks leak: leaking looks normal
    flags = run_flags(store, "dairy", water, since, reference=pd.Timestamp("2024-01-01", tz="UTC"))
    leak = next(f for f in flags if f.kind == "leak")
    assert leak.start_ms == since_ms + 3_600_000  # the first night hour (01:00) of the leak
    assert all(f.end_ms >= since_ms for f in flags)  # the reference weeks are read, not reported
    with pytest.raises(AnalyticsError, match="at or before --since"):
        run_flags(store, "dairy", water, since, reference=since + pd.Timedelta(days=1))


def test_counter_to_hourly_conserves_energy_across_reset_and_gap() -> None:
    idx = pd.date_range("2024-01-01", periods=8, freq="30min", tz="UTC")
    c = pd.Series([0.0, 1, 2, 3, 0.5, 1.5, 2.5, 3.5], index=idx)
    h, status = counter_to_hourly(c)
    assert h["usage"].sum() == pytest.approx(
        6.0
    )  # the reset interval's use is unknown, not negative
    assert (h["usage"].dropna() >= 0).all()
