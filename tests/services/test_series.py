"""series: bucket width from a point count, gauges mean/min/max, counters use per bucket.

References are computed here from raw ``store.read`` rows, not from the code under test.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ingest.stores import open_store
from plantmeter.errors import ConfigError
from plantmeter.store import SeriesRow
from services import bucket_width, series
from tests.dairy import Dairy

TZ = "America/Guatemala"


def test_bucket_width_rule() -> None:
    t0 = pd.Timestamp("2025-01-01", tz="UTC")
    # a year / 800 points = 10.95 h: the smallest round width giving <= 800 buckets is 12 h
    assert bucket_width(t0, t0 + pd.Timedelta(days=365), 800) == 12 * 3600
    assert bucket_width(t0, t0 + pd.Timedelta(days=365), 365) == 86_400
    assert bucket_width(t0, t0 + pd.Timedelta(days=3650), 800) == 86_400  # widest: days
    assert bucket_width(t0, t0 + pd.Timedelta(days=1), 800) == 120  # 108 s -> 2 min
    assert bucket_width(t0, t0 + pd.Timedelta(days=7), 800) == 900  # 756 s -> 15 min
    assert bucket_width(t0, t0 + pd.Timedelta(hours=1), 800) == 5  # 4.5 s -> 5 s ...
    assert (
        bucket_width(t0, t0 + pd.Timedelta(hours=1), 800, minimum_s=10.0) == 10
    )  # ... not below the poll
    with pytest.raises(ConfigError, match="at least one point"):
        bucket_width(t0, t0 + pd.Timedelta(hours=1), 0)


def _midnights(start: str, days: int) -> pd.DatetimeIndex:
    return pd.date_range(pd.Timestamp(start).tz_localize(TZ), periods=days + 1, freq="D")


def _last_before(raw: pd.Series, edges: pd.DatetimeIndex) -> np.ndarray:
    """The raw counter's last reading strictly before each edge (NaN when none)."""
    ts = raw.index.tz_convert("UTC").asi8
    pos = np.searchsorted(ts, edges.tz_convert("UTC").asi8, side="left") - 1
    vals = raw.to_numpy(dtype=float)
    return np.where(pos >= 0, vals[np.clip(pos, 0, None)], np.nan)


def test_use_per_local_day_is_the_raw_counter_difference_at_local_midnights(dairy: Dairy) -> None:
    loaded = dairy.load()
    store = open_store(dairy.store_url, create=False)
    try:
        edges = _midnights("2025-03-01", 30)  # March 2025 in Guatemala (no DST there)
        s = series(
            store,
            loaded.site,
            "main-elec",
            "energy_import_total",
            edges[0],
            edges[-1],
            width_s=86_400,
        )
        raw = store.read(
            "dairy",
            "main-elec",
            ["energy_import_total"],
            edges[0] - pd.Timedelta(days=2),
            edges[-1],
        )
        at = _last_before(raw["energy_import_total"].dropna(), edges)
        expected = np.diff(at)
    finally:
        store.close()
    assert s.kind == "counter" and s.unit == "kWh" and s.local_days and s.width_s == 86_400
    assert [b.start for b in s.buckets] == [t.to_pydatetime() for t in edges[:-1]]
    got = np.array([b.use for b in s.buckets], dtype=float)
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    assert expected.min() > 100  # a dairy's main meter: real use every day, not zeros
    assert s.completeness == 1.0 and all(b.readings == 24 for b in s.buckets)


def test_gauge_mean_min_max_per_day_match_the_raw_readings(dairy: Dairy) -> None:
    loaded = dairy.load()
    store = open_store(dairy.store_url, create=False)
    try:
        edges = _midnights("2025-07-01", 7)
        s = series(store, loaded.site, "outdoor-temp", "temperature", edges[0], edges[-1], points=7)
        raw = store.read("dairy", "outdoor-temp", ["temperature"], edges[0], edges[-1])[
            "temperature"
        ]
    finally:
        store.close()
    assert s.width_s == 86_400 and s.kind == "gauge" and s.unit == "degC"
    local = raw.tz_convert(TZ)
    by_day = local.groupby(local.index.normalize())
    assert [b.mean for b in s.buckets] == pytest.approx(by_day.mean().to_list(), rel=1e-12)
    assert [b.min for b in s.buckets] == pytest.approx(by_day.min().to_list())
    assert [b.max for b in s.buckets] == pytest.approx(by_day.max().to_list())
    assert all(b.use is None for b in s.buckets)


def test_completeness_counts_buckets_with_readings(dairy: Dairy) -> None:
    loaded = dairy.load()
    store = open_store(dairy.store_url, create=False)
    try:
        # the history starts at the local midnight of 2024-04-01: 4 of these 9 days hold data
        t0, t1 = pd.Timestamp("2024-03-27", tz=TZ), pd.Timestamp("2024-04-05", tz=TZ)
        s = series(store, loaded.site, "cip-water", "volume_total", t0, t1, width_s=86_400)
    finally:
        store.close()
    assert len(s.buckets) == 9 and s.buckets_with_data == 4
    assert s.completeness == pytest.approx(4 / 9)
    assert [b.use is None for b in s.buckets] == [True] * 6 + [
        False
    ] * 3  # April 1: no reading before it


def test_a_gap_in_a_counter_is_spread_and_the_total_kept(tmp_path: Path) -> None:
    from plantmeter.config import load_site

    site = load_site(Path(__file__).parents[2] / "examples" / "dairy" / "site.yaml", environ={})
    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    t0 = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
    # one reading a minute, 1 kWh a minute, with no readings from 02:00 to 04:59
    minutes = [m for m in range(8 * 60) if not 120 <= m < 300]
    store.write_rows(
        [
            SeriesRow(
                "dairy",
                "main-elec",
                int((t0 + timedelta(minutes=m)).timestamp() * 1000),
                {"energy_import_total": 1000.0 + m},
            )
            for m in minutes
        ]
    )
    try:
        s = series(
            store,
            site,
            "main-elec",
            "energy_import_total",
            t0 + timedelta(hours=1),
            t0 + timedelta(hours=8),
            width_s=3600,
        )
    finally:
        store.close()
    uses = [b.use for b in s.buckets]
    assert [b.readings for b in s.buckets] == [60, 0, 0, 0, 60, 60, 60]
    # hour 1: 60 kWh; hours 2-5 share what the counter advanced from 01:59 to 05:59 (240 kWh)
    assert uses == pytest.approx([60.0, 60.0, 60.0, 60.0, 60.0, 60.0, 60.0])
    assert [b.estimated for b in s.buckets] == [False, True, True, True, True, False, False]
    assert sum(uses) == pytest.approx(1000.0 + 479 - (1000.0 + 59))
    assert s.completeness == pytest.approx(4 / 7)


def test_day_buckets_are_local_days_across_a_dst_change(tmp_path: Path) -> None:
    from plantmeter.config import load_site

    dairy = load_site(Path(__file__).parents[2] / "examples" / "dairy" / "site.yaml", environ={})
    site = dairy.model_copy(
        update={"site": dairy.site.model_copy(update={"timezone": "Europe/Madrid"})}
    )
    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    t0 = datetime(2025, 3, 27, 0, 0, tzinfo=UTC)  # Madrid springs forward on 2025-03-30
    store.write_rows(
        [
            SeriesRow(
                "dairy",
                "main-elec",
                int((t0 + timedelta(hours=h)).timestamp() * 1000),
                {"energy_import_total": 100.0 + h},
            )
            for h in range(7 * 24)
        ]
    )
    try:
        s = series(
            store,
            site,
            "main-elec",
            "energy_import_total",
            pd.Timestamp("2025-03-29"),
            pd.Timestamp("2025-04-01"),
            width_s=86_400,
        )
    finally:
        store.close()
    # 1 kWh an hour: the local day of the change has 23 hours
    assert [b.use for b in s.buckets] == [24.0, 23.0, 24.0]
    assert [b.readings for b in s.buckets] == [24, 23, 24]
    assert [b.start.hour for b in s.buckets] == [23, 23, 22]  # local midnights in UTC
