"""latest_values: newest value per quantity with its unit, age and fresh/stale/silent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ingest.stores import open_store
from plantmeter.config import SiteConfig, load_site
from plantmeter.store import SeriesRow
from services import latest_values

EXAMPLE = Path(__file__).parents[2] / "examples" / "dairy" / "site.yaml"
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def _site() -> SiteConfig:
    return load_site(EXAMPLE, environ={})


def _write_polls(
    store, meter: str, poll_s: float, n: int, quantity: str, start: float = 100.0
) -> datetime:
    """n readings of ``meter`` every ``poll_s`` from T0; returns the time of the last one."""
    rows = [
        SeriesRow(
            "dairy",
            meter,
            int((T0 + timedelta(seconds=i * poll_s)).timestamp() * 1000),
            {quantity: start + i},
        )
        for i in range(n)
    ]
    store.write_rows(rows)
    return T0 + timedelta(seconds=(n - 1) * poll_s)


def test_fresh_then_stale_after_writes_stop_and_silent_when_never_stored(tmp_path: Path) -> None:
    site = _site()
    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    try:
        last = _write_polls(store, "main-elec", 10.0, 30, "energy_import_total")
        store.write_rows(
            [SeriesRow("dairy", "main-elec", int(last.timestamp() * 1000), {"power_total": 8120.0})]
        )
        _write_polls(store, "cip-water", 30.0, 5, "volume_total")
        # writes stopped at `last`; 3 poll intervals (30 s for a 10 s meter) later it is still fresh
        at = {m.meter: m for m in latest_values(store, site, now=last + timedelta(seconds=30))}
        main = at["main-elec"]
        assert main.state == "fresh" and main.age_s == pytest.approx(30.0)
        assert main.last_time == last and main.stale_after_s == 30.0 and main.poll_s == 10.0
        values = {v.quantity: v for v in main.values}
        assert values["energy_import_total"].value == 129.0  # the 30th reading: 100 + 29
        assert values["energy_import_total"].unit == "kWh"
        assert values["power_total"].unit == "W" and values["power_total"].value == 8120.0
        assert at["compressor"].state == "silent" and at["compressor"].values == ()
        assert at["compressor"].last_time is None and at["compressor"].age_s is None
        assert [m.meter for m in latest_values(store, site, now=last)] == [
            m.id for m in site.meters
        ]
        # one second past 3 polls: stale
        later = {m.meter: m for m in latest_values(store, site, now=last + timedelta(seconds=31))}
        assert later["main-elec"].state == "stale" and later["main-elec"].age_s == pytest.approx(
            31.0
        )
        # the water meter polls every 30 s (last reading T0 + 120 s): fresh up to 90 s after it
        water_last = T0 + timedelta(seconds=120)
        assert _state(store, site, "cip-water", water_last + timedelta(seconds=90)) == "fresh"
        assert _state(store, site, "cip-water", water_last + timedelta(seconds=91)) == "stale"
        # stale_after_polls is the caller's choice
        assert _state(store, site, "cip-water", water_last + timedelta(seconds=91), 4.0) == "fresh"
    finally:
        store.close()


def _state(store, site: SiteConfig, meter: str, now: datetime, polls: float = 3.0) -> str:
    return next(
        m.state
        for m in latest_values(store, site, now=now, stale_after_polls=polls)
        if m.meter == meter
    )


def test_a_naive_now_is_refused(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    try:
        with pytest.raises(ValueError, match="tz-aware"):
            latest_values(store, _site(), now=datetime(2026, 1, 1))
    finally:
        store.close()
