"""The detectors find the simulator's faults in its history, within their stated delays.

The faults are scheduled in the scenario (the simulator's own fault model, the same that the
gateway meets over Modbus); the history generator writes what the meters would have held.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import firmware_sim
import pandas as pd
import pytest

from analytics.expectation import site_drivers
from analytics.jobs import detect_meter

EXAMPLE = Path(__file__).parents[2] / "examples" / "dairy" / "scenario.yaml"
START, END = datetime(2025, 8, 1, tzinfo=UTC), datetime(2025, 11, 1, tzinfo=UTC)
FAULT_AT = datetime(2025, 10, 1, 14, 0, tzinfo=UTC)
FAULTS = [
    {"type": "leak", "meter": "cip-water", "start": FAULT_AT, "duration": "10d", "flow": 0.6},
    {"type": "stuck", "meter": "main-elec", "start": FAULT_AT, "duration": "12h"},
    {"type": "meter_replacement", "meter": "compressor", "start": FAULT_AT},
    {"type": "spike", "meter": "refrigeration", "start": FAULT_AT, "duration": "1h", "factor": 10},
]
KIND = {
    "cip-water": "water",
    "main-elec": "electricity",
    "compressor": "electricity",
    "refrigeration": "electricity",
    "production": "production",  # drivers: checked for data quality only
    "outdoor-temp": "temperature",
}
DRIVERS = {"production": "production", "outdoor-temp": "temperature"}


def detect_all(data: dict[str, pd.DataFrame]) -> dict[str, list]:
    """Every consumption meter through the detectors, with the site's drivers (as run_flags does)."""
    drivers = site_drivers((kind, data[m]) for m, kind in DRIVERS.items())
    return {m: detect_meter("dairy", m, KIND[m], data[m], drivers=drivers) for m in KIND}


def frames(scenario: firmware_sim.Scenario, out: Path) -> dict[str, pd.DataFrame]:
    paths = firmware_sim.generate_history(
        scenario, START.timestamp(), END.timestamp(), out, interval=900.0
    )
    return {
        m: pd.read_csv(p, index_col="timestamp", parse_dates=["timestamp"])
        for m, p in paths.items()
    }


@pytest.fixture(scope="module")
def faulty(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list]:
    base = firmware_sim.load_scenario(EXAMPLE)
    scenario = base.model_validate(base.model_dump() | {"faults": FAULTS})
    return detect_all(frames(scenario, tmp_path_factory.mktemp("faulty")))


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list]:
    # no faults, and no cleaner-production option either: nothing really changes in this quarter
    scenario = firmware_sim.load_scenario(EXAMPLE).model_copy(update={"options": []})
    return detect_all(frames(scenario, tmp_path_factory.mktemp("clean")))


@pytest.mark.slow
@pytest.mark.parametrize(
    ("meter", "kind", "delay"),
    [
        ("cip-water", "leak", timedelta(days=3)),
        ("main-elec", "stuck", timedelta(hours=12)),
        ("compressor", "counter_reset", timedelta(minutes=15)),
        ("refrigeration", "spike", timedelta(hours=2)),
    ],
)
def test_fault_flagged_within_its_delay(
    faulty: dict[str, list], meter: str, kind: str, delay: timedelta
) -> None:
    at_ms = int(FAULT_AT.timestamp() * 1000)
    hits = [f for f in faulty[meter] if f.kind == kind and f.end_ms >= at_ms - 3_600_000]
    assert hits, f"{meter}: no {kind} flag; got {sorted({f.kind for f in faulty[meter]})}"
    first = min(hits, key=lambda f: f.start_ms)
    assert first.start_ms <= at_ms + delay.total_seconds() * 1000, (
        f"{meter}: {kind} flagged late: {first}"
    )
    assert first.reason


@pytest.mark.slow
def test_clean_simulated_quarter_raises_few_false_flags(clean: dict[str, list]) -> None:
    fault_kinds = {
        "leak",
        "stuck",
        "counter_reset",
        "counter_rollover",
        "spike",
        "impossible",
        "gap",
    }
    false = [f for flags in clean.values() for f in flags if f.kind in fault_kinds]
    assert false == [], f"false fault flags on clean data: {false}"
    for meter, flags in clean.items():
        drift = [f.kind for f in flags if f.kind not in fault_kinds]
        assert len(drift) <= 1, (
            f"{meter}: more than one statistical flag in a clean quarter: {drift}"
        )


@pytest.mark.slow
def test_a_real_change_is_flagged_on_its_first_day(tmp_path: Path) -> None:
    """The VSD on the refrigeration compressors (2025-09-01) changes how the plant uses energy:
    with production and temperature as drivers, CUSUM and EWMA see it at once."""
    data = frames(firmware_sim.load_scenario(EXAMPLE), tmp_path)
    flags = detect_all(data)
    vsd = pd.Timestamp("2025-09-01", tz="UTC")
    for meter in ("refrigeration", "main-elec"):
        starts = [
            pd.Timestamp(f.start_ms, unit="ms", tz="UTC") for f in flags[meter] if f.kind == "cusum"
        ]
        assert any(vsd - pd.Timedelta(days=1) <= t <= vsd + pd.Timedelta(days=3) for t in starts), (
            meter,
            starts,
        )
