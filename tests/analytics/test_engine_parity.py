"""One engine: the batched path (``engine.detect_site``, what ``run_flags`` and the portfolio call)
gives, detector by detector, the same flags as the per-meter path (``detect_meter`` on each meter
with the drivers its plan names), on the simulated dairy with the simulator's own faults injected.

Same flags means equal ``Flag`` records: kind, start, end, severity, the reason text with every
number in it, excess and cost a day. Every detector must fire at least once, so no comparison is
between two empty lists: besides the simulator's faults, what its history does not model (a
communication gap, an impossible temperature, a night of the compressor left running) is laid
over its frames.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
import pytest

from analytics.engine import MeterData, _longest_equal_run, detect_meter, detect_site
from analytics.expectation import site_drivers
from analytics.jobs import run_flags
from bench.flags import load_example, plan_references, simulate
from ingest.stores.sqlite import SqliteStore
from plantmeter.counters import meter_counter
from plantmeter.store import Flag, SeriesPoint

START = datetime(2025, 9, 9, 6, tzinfo=UTC)  # local midnight in Guatemala
REFERENCE_END = datetime(2025, 10, 7, 6, tzinfo=UTC)  # four reference weeks
FAULT_AT = datetime(2025, 10, 14, 8, tzinfo=UTC)  # 02:00 local, a Tuesday
END = datetime(2025, 10, 28, 6, tzinfo=UTC)
FAULTS = [
    {"type": "leak", "meter": "cip-water", "start": FAULT_AT, "flow": 0.3},
    {"type": "stuck", "meter": "main-elec", "start": FAULT_AT, "duration": "12h"},
    {"type": "meter_replacement", "meter": "compressor", "start": FAULT_AT},
    {"type": "spike", "meter": "refrigeration", "start": FAULT_AT, "duration": "15m", "factor": 10},
]
DETECTORS = (
    "comm_gaps",
    "counter_events",
    "stuck",
    "spikes",
    "out_of_hours",
    "excess_use",
    "water_leak",
    "impossible_values",
)


@pytest.fixture(scope="module")
def dairy() -> dict[str, Any]:
    scenario, site, plan = load_example()
    refs, costs = plan_references(plan, site)
    t0, t1 = pd.Timestamp(START), pd.Timestamp(REFERENCE_END)
    refs = {m: dataclasses.replace(r, start=t0, end=t1) for m, r in refs.items()}
    frames = simulate(scenario, START, END, faults=FAULTS, seed=3, variation=0.1, phi=0.6)
    frames = _overlay(frames)
    meters = site.meters  # type: ignore[attr-defined]
    data = [
        MeterData(m.id, m.kind, frames[m.id], meter_counter(m), refs.get(m.id), costs.get(m.id))
        for m in meters
    ]
    return {"site": site, "data": data, "tz": site.site.timezone, "frames": frames}  # type: ignore[attr-defined]


def _overlay(frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    out = dict(frames)
    elec = frames["main-elec"]
    gap_at = pd.Timestamp(FAULT_AT) + pd.Timedelta(days=3)
    out["main-elec"] = elec[(elec.index < gap_at) | (elec.index >= gap_at + pd.Timedelta(hours=2))]
    temp = frames["outdoor-temp"].copy()
    temp.iloc[len(temp) // 2, temp.columns.get_loc("temperature")] = 95.0  # °C: impossible
    out["outdoor-temp"] = temp
    comp = frames["compressor"].copy()
    c = comp["energy_import_total"]
    rise_per_step = float(c.diff().clip(lower=0).median())
    # Sunday 19 October, 01:00-07:00 local: the compressor runs at three times its usual rate
    night = pd.Timestamp("2025-10-19 07:00", tz="UTC"), pd.Timestamp("2025-10-19 13:00", tz="UTC")
    steps = ((comp.index > night[0]) & (comp.index <= night[1])).cumsum()
    comp["energy_import_total"] = c + 3 * rise_per_step * steps
    out["compressor"] = comp
    return out


def _per_meter(data: list[MeterData], tz: str) -> dict[str, list[Flag]]:
    """Each meter alone through ``detect_meter``, its drivers picked by hand from its reference."""
    by_id = {m.id: m for m in data}
    out = {}
    for m in data:
        ref = m.reference
        drivers = (
            site_drivers(
                (kind, by_id[mid].frame, by_id[mid].counter)
                for kind, mid in (
                    ("temperature", getattr(ref, "temperature", None)),
                    ("production", getattr(ref, "production", None)),
                )
                if mid is not None and mid in by_id
            )
            if ref is not None
            else site_drivers((d.kind, d.frame, d.counter) for d in data)
        )
        out[m.id] = detect_meter(
            "dairy", m.id, m.kind, m.frame, tz, drivers, ref, m.costing, m.counter
        )
    return out


@pytest.fixture(scope="module")
def both(dairy: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    batched = detect_site("dairy", dairy["data"], dairy["tz"], plan_drivers=True)
    assert not batched.failed
    return batched.flags, _per_meter(dairy["data"], dairy["tz"])


@pytest.mark.parametrize("detector", DETECTORS)
def test_batched_flags_equal_per_meter_flags(
    both: tuple[dict[str, Any], dict[str, Any]], detector: str
) -> None:
    batched, single = both
    assert set(batched) == set(single)
    for meter in single:
        a = [f for f in batched[meter] if f.detector == detector]
        b = [f for f in single[meter] if f.detector == detector]
        assert a == b, f"{meter}: {detector} differs"
    assert any(f.detector == detector for flags in batched.values() for f in flags)


def test_the_injected_faults_are_flagged(both: tuple[dict[str, Any], dict[str, Any]]) -> None:
    batched, _ = both
    assert any(f.kind == "leak" for f in batched["cip-water"])
    assert any(f.kind == "stuck" for f in batched["main-elec"])
    assert any(f.kind == "counter_reset" for f in batched["compressor"])
    assert any(f.kind == "spike" for f in batched["refrigeration"])


def test_run_flags_over_a_store_writes_what_the_engine_finds(dairy: dict[str, Any]) -> None:
    """``flags --plan`` (read the store, engine, write) gives the engine's flags, ranked."""
    store = SqliteStore(":memory:")
    for m in dairy["data"]:
        points = [
            SeriesPoint("dairy", m.id, q, int(t.value // 1_000_000), float(v))
            for q in m.frame.columns
            for t, v in m.frame[q].dropna().items()
        ]
        store.write_points(points)
    refs = {m.id: m.reference for m in dairy["data"] if m.reference is not None}
    costs = {m.id: m.costing for m in dairy["data"] if m.costing is not None}
    got = run_flags(
        store,
        "dairy",
        dairy["site"].meters,
        tz=dairy["tz"],
        references=refs,
        costings=costs,
        now=pd.Timestamp(END),
    )
    batched = detect_site("dairy", dairy["data"], dairy["tz"], plan_drivers=True)
    want = [f for flags in batched.flags.values() for f in flags]
    assert sorted(got, key=repr) == sorted(want, key=repr)
    assert len(store.read_flags("dairy")) == len(want)


def _longest_equal_run_loop(values: np.ndarray) -> int:
    """Plain-Python reference: the loop ``_frozen_counter`` used before the kernel."""
    longest, run = 1, 1
    for a, b in zip(values[:-1], values[1:], strict=True):
        run = run + 1 if a == b else 1
        longest = max(longest, run)
    return longest


def test_longest_equal_run_matches_the_plain_loop_on_random_inputs() -> None:
    rng = np.random.default_rng(12)
    for _ in range(500):
        values = rng.integers(0, 3, int(rng.integers(0, 80))).astype(float)
        assert _longest_equal_run(values) == _longest_equal_run_loop(values)
