"""latest_values and series on the real influxd give what they give on SQLite."""

from __future__ import annotations

from dataclasses import astuple
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ingest.stores import open_store
from plantmeter.config import load_site
from plantmeter.store import SeriesRow
from services import latest_values, series
from tests.influx_server import InfluxServer

SITE = Path(__file__).parents[2] / "examples" / "dairy" / "site.yaml"
T0 = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)


def _rows() -> list[SeriesRow]:
    rows = []
    for m in range(6 * 60):  # 6 h of one reading a minute; a 40-minute gap at 03:10
        if 190 <= m < 230:
            continue
        ts = int((T0 + timedelta(minutes=m)).timestamp() * 1000)
        rows.append(
            SeriesRow(
                "dairy",
                "main-elec",
                ts,
                {"energy_import_total": 5000.0 + 0.5 * m, "power_total": 30000.0 + (m % 60) * 10.0},
            )
        )
    rows.append(SeriesRow("dairy", "cip-water", int(T0.timestamp() * 1000), {"volume_total": 12.5}))
    return rows


@pytest.mark.integration
def test_latest_and_series_on_influxd_match_sqlite(influxd: InfluxServer, tmp_path: Path) -> None:
    site = load_site(SITE, environ={})
    now = T0 + timedelta(hours=5, minutes=59, seconds=20)  # 20 s after the last reading
    results = []
    for url in (influxd.url, f"sqlite:///{tmp_path / 's.db'}"):
        store = open_store(url)
        try:
            store.write_rows(_rows())
            live = latest_values(store, site, now=now)
            power = series(
                store, site, "main-elec", "power_total", T0, T0 + timedelta(hours=6), points=24
            )
            energy = series(
                store,
                site,
                "main-elec",
                "energy_import_total",
                T0 + timedelta(hours=1),
                T0 + timedelta(hours=6),
                width_s=3600,
            )
        finally:
            store.close()
        results.append((live, power, energy))
    (live, power, energy), sqlite = results
    assert [astuple(m) for m in live] == [astuple(m) for m in sqlite[0]]
    main = next(m for m in live if m.meter == "main-elec")
    assert main.state == "fresh" and main.age_s == pytest.approx(20.0)
    assert next(m for m in live if m.meter == "cip-water").state == "stale"
    assert power.width_s == 900 and len(power.buckets) == 24  # 6 h / 24 points = 15 min
    _same(power.buckets, sqlite[1].buckets)
    assert max(b.max for b in power.buckets if b.max is not None) == 30590.0  # the peak survives
    _same(energy.buckets, sqlite[2].buckets)
    assert [b.use for b in energy.buckets] == pytest.approx([30.0] * 5)  # 0.5 kWh a minute


def _same(a: tuple, b: tuple) -> None:
    """Same buckets: starts and counts exactly, statistics to float rounding (each store sums its own way)."""
    assert [(x.start, x.readings, x.estimated) for x in a] == [
        (y.start, y.readings, y.estimated) for y in b
    ]
    for field in ("mean", "min", "max", "use"):
        got, want = [getattr(x, field) for x in a], [getattr(y, field) for y in b]
        assert [g is None for g in got] == [w is None for w in want], field
        assert [g for g in got if g is not None] == pytest.approx(
            [w for w in want if w is not None], rel=1e-12
        )
