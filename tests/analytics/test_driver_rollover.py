"""The production driver read through the meter's counter rule: a wrap of its pulse counter
changes nothing in the hourly production the expectation models use."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import firmware_sim
import pandas as pd
from firmware_sim.history import history_frame

from analytics.expectation import site_drivers
from plantmeter.config import load_site
from plantmeter.counters import meter_counter

EXAMPLE = Path(__file__).parents[2] / "examples" / "dairy"
START, END = datetime(2025, 10, 6, tzinfo=UTC), datetime(2025, 10, 10, tzinfo=UTC)
WRAP = datetime(2025, 10, 8, 9, 7, tzinfo=UTC)  # mid-shift: the counter is moving


def _production(faults: list[dict[str, object]]) -> pd.DataFrame:
    base = firmware_sim.load_scenario(EXAMPLE / "scenario.yaml")
    scenario = base.model_validate(base.model_dump() | {"faults": faults})
    cols = history_frame(scenario, START.timestamp(), END.timestamp(), 900.0)["production"]
    index = pd.to_datetime(cols.pop("time"), unit="s", utc=True)
    return pd.DataFrame(cols, index=index)


def test_a_wrapped_production_counter_gives_the_same_hourly_production() -> None:
    spec = meter_counter(load_site(EXAMPLE / "site.yaml").meter("production"))
    assert spec is not None and spec.rollover == 2**32  # uint32 pulses, one per unit
    clean = _production([])
    wrapped = _production([{"type": "counter_rollover", "meter": "production", "start": WRAP}])
    assert wrapped["production_total"].min() < 1e4 < 4e9 < wrapped["production_total"].max()
    a = site_drivers([("production", clean, spec)])
    b = site_drivers([("production", wrapped, spec)])
    assert a is not None and b is not None and a["production"].sum() > 10_000
    pd.testing.assert_series_equal(b["production"], a["production"], check_exact=False, atol=1e-6)
