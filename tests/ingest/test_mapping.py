"""ingest.mapping: the fast SeriesPoint construction equals the dataclass constructor's."""

from __future__ import annotations

from dataclasses import fields

from ingest.mapping import reading_points
from plantmeter.message import Reading
from plantmeter.store import SeriesPoint


def test_reading_points_equal_the_constructor() -> None:
    reading = Reading("dairy", "main-elec", "gw", 7, 1_767_225_600_000, {"power_total": 5000.0, "frequency": 50.01})
    points = reading_points(reading)
    expected = [SeriesPoint("dairy", "main-elec", q, reading.ts, v) for q, v in reading.values.items()]
    assert points == expected
    for point, want in zip(points, expected, strict=True):
        assert type(point) is SeriesPoint
        assert [getattr(point, f.name) for f in fields(SeriesPoint)] == [getattr(want, f.name) for f in fields(want)]
        assert hash(point) == hash(want)
