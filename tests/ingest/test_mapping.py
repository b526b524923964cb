"""ingest.mapping: one SeriesPoint per value, one flag per counter event."""

from __future__ import annotations

from ingest.mapping import reading_flags, reading_points
from plantmeter.message import CounterEvent, Reading
from plantmeter.store import SeriesPoint


def test_reading_points() -> None:
    reading = Reading(
        "dairy",
        "main-elec",
        "gw",
        7,
        1_767_225_600_000,
        {"power_total": 5000.0, "frequency": 50.01},
    )
    assert reading_points(reading) == [
        SeriesPoint("dairy", "main-elec", "power_total", reading.ts, 5000.0),
        SeriesPoint("dairy", "main-elec", "frequency", reading.ts, 50.01),
    ]


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
