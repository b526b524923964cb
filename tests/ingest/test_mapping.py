"""ingest.mapping: one SeriesRow per reading, one flag per counter event."""

from __future__ import annotations

from ingest.mapping import reading_flags, reading_row
from plantmeter.message import CounterEvent, Reading
from plantmeter.store import SeriesRow


def test_reading_row() -> None:
    reading = Reading(
        "dairy",
        "main-elec",
        "gw",
        7,
        1_767_225_600_000,
        {"power_total": 5000.0, "frequency": 50.01},
    )
    assert reading_row(reading) == SeriesRow(
        "dairy", "main-elec", reading.ts, {"power_total": 5000.0, "frequency": 50.01}
    )


def test_counter_events_become_flags() -> None:
    event = CounterEvent("energy_import_total", "reset", 98000.0, 0.4)
    reading = Reading(
        "dairy", "main-elec", "gw", 7, 1_767_225_600_000, {"power_total": 1.0}, (event,)
    )
    (flag,) = reading_flags(reading)
    assert (flag.kind, flag.start_ms, flag.quantity) == (
        "counter_reset",
        reading.ts,
        "energy_import_total",
    )
    assert "98000" in flag.reason and "gateway gw" in flag.reason
