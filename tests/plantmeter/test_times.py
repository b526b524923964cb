"""One rule for times on the command line: offset = that instant, naive = site local time."""

from __future__ import annotations

import pandas as pd
import pytest

from plantmeter.errors import InputError
from plantmeter.ranges import check_values
from plantmeter.times import local_offsets, parse_period, parse_time


def test_naive_is_site_local_and_offsets_win() -> None:
    assert parse_time("2025-03-01", "America/Guatemala", "--start") == pd.Timestamp(
        "2025-03-01T06:00Z"
    )
    assert parse_time("2025-07-01 12:00", "Europe/Madrid", "--start") == pd.Timestamp(
        "2025-07-01T10:00Z"
    )
    assert parse_time("2025-07-01T12:00-03:00", "Europe/Madrid", "--start") == pd.Timestamp(
        "2025-07-01T15:00Z"
    )
    assert parse_period("2024-04-01..2025-04-01", "UTC", "--baseline")[1] == pd.Timestamp(
        "2025-04-01T00:00Z"
    )


def test_repeated_and_skipped_local_hours_are_refused_with_both_readings() -> None:
    with pytest.raises(
        InputError,
        match=r"happens twice in Europe/Madrid .* 2025-10-26T02:30\+02:00 for the first "
        r"or 2025-10-26T02:30\+01:00 for the second",
    ):
        parse_time("2025-10-26 02:30", "Europe/Madrid", "--start")
    with pytest.raises(
        InputError, match=r"does not exist in Europe/Madrid .* 2025-03-30T02:30\+01:00"
    ):
        parse_time("2025-03-30 02:30", "Europe/Madrid", "--start")
    assert local_offsets(pd.Timestamp("2025-04-05 23:30").to_pydatetime(), "America/Santiago") == [
        "-03:00",
        "-04:00",
    ]
    with pytest.raises(InputError, match="the end is not after the start"):
        parse_period("2025-01-02..2025-01-01", "UTC", "--reporting")


def test_ranges_name_the_statistics_and_the_fix() -> None:
    reason = check_values("temperature", "°C", [74.0, 75.0, 76.0])
    assert (
        reason is not None
        and "mean 75 °C outside the plausible -40…45 °C" in reason
        and "(°F − 32) / 1.8" in reason
    )
    assert check_values("temperature", "degC", [14.0, 25.0, 31.0]) is None
    assert check_values("temperature", "degF", [74.0, 75.0, 76.0]) is None
    assert "2 negative values" in (
        check_values("volume_total", "m3", [-1.0, -2.0, 3.0], counter=True) or ""
    )
    assert (
        check_values("power_total", "W", [-500.0, 800.0]) is None
    )  # a gauge may be negative (export)
