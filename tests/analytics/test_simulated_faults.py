"""The detectors find the simulator's faults within their documented delays, and stay quiet on
clean history with realistic day-to-day variation (a small version of ``python -m bench.flags``).

The faults are scheduled in the scenario (the simulator's own fault model, the same that the
gateway meets over Modbus). Every meter is judged against a reference period and the drivers
of the example M&V plan, as ``plantmeter flags --plan`` does. A delay is measured as a live
run sees it: the detectors get only the data up to the fault's start plus the delay.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pandas as pd
import pytest

from bench.flags import (
    FAULTS,
    detect_site,
    documented_delay,
    false_alarms,
    load_example,
    plan_references,
    simulate,
)

START = datetime(2025, 7, 1, 6, tzinfo=UTC)  # local midnight in Guatemala
REFERENCE_END = datetime(2025, 8, 26, 6, tzinfo=UTC)  # eight reference weeks
END = datetime(2025, 12, 3, 6, tzinfo=UTC)
FAULT_AT = FAULTS[0].fault["start"]  # 02:00 local on Tuesday 4 November 2025
VARIATION, PHI = 0.10, 0.6  # unexplained day-to-day variation of real plants: 5-15 %, persistent


@pytest.fixture(scope="module")
def example() -> dict:
    scenario, site, plan = load_example()
    refs, costs = plan_references(plan, site)
    t0, t1 = pd.Timestamp(START), pd.Timestamp(REFERENCE_END)
    refs = {m: dataclasses.replace(r, start=t0, end=t1) for m, r in refs.items()}
    kinds = {m.id: m.kind for m in site.meters}
    return {
        "scenario": scenario,
        "refs": refs,
        "costs": costs,
        "kinds": kinds,
        "tz": site.site.timezone,
    }


@pytest.fixture(scope="module")
def faulty(example: dict) -> dict[str, pd.DataFrame]:
    return simulate(
        example["scenario"],
        START,
        END,
        faults=[c.fault for c in FAULTS],
        seed=11,
        variation=VARIATION,
        phi=PHI,
    )


@pytest.mark.slow
@pytest.mark.parametrize("case", FAULTS, ids=lambda c: c.name)
def test_fault_flagged_within_its_documented_delay(example: dict, faulty: dict, case) -> None:
    e = example
    delay = documented_delay(case, faulty, e["kinds"], e["refs"], e["tz"], 900.0)
    cut_at = pd.Timestamp(FAULT_AT) + pd.Timedelta(delay)
    seen = {m: f[f.index <= cut_at] for m, f in faulty.items()}
    flags = detect_site(seen, e["kinds"], e["refs"], e["costs"], e["tz"], only=case.meter)
    at_ms = int(FAULT_AT.timestamp() * 1000)
    hits = [f for f in flags[case.meter] if f.kind == case.flag and f.end_ms >= at_ms - 3_600_000]
    assert hits, (
        f"{case.meter}: no {case.flag} flag within {delay} of the {case.name}; "
        f"got {sorted({f.kind for f in flags[case.meter]})}"
    )
    assert hits[0].reason and "UTC" not in hits[0].reason


@pytest.mark.slow
def test_excess_flags_say_how_much_since_when_and_what_it_costs(
    example: dict, faulty: dict
) -> None:
    e = example
    flags = detect_site(faulty, e["kinds"], e["refs"], e["costs"], e["tz"], only="cip-water")
    leak = next(f for f in flags["cip-water"] if f.kind == "leak")
    # 0.3 m³/h more at night since 01:00 local on 5 Nov (the leak starts inside the 4 Nov night
    # window, so its first full night is the next one), at the plan's water price of 2.10 USD/m³;
    # the day-to-day variation scales the leak's flow too (10 %)
    flow, rest = leak.reason.split(" m³/h", 1)
    assert float(flow) == pytest.approx(0.3, rel=0.15), leak.reason
    assert rest.startswith(" at night since 01:00 on 5 Nov 2025, ≈ "), leak.reason
    assert "USD a day" in rest
    assert leak.excess_per_day == pytest.approx(0.3 * 24, rel=0.15)
    assert leak.cost_per_day == pytest.approx(leak.excess_per_day * 2.10)
    assert flags["cip-water"][0].cost_per_day is not None  # the costliest flag comes first


@pytest.mark.slow
def test_clean_history_with_savings_and_day_to_day_variation_stays_under_the_goal(
    example: dict,
) -> None:
    """No fault, judged against the plan's own baseline year: the options save (compressor from
    April, CIP water from June, refrigeration from September), days vary by 10 % with
    persistence; the goal is under one false alarm per meter and quarter, and a saving is
    never a flag."""
    e = example
    _, site, plan = load_example()
    refs, _ = plan_references(plan, site)  # the baseline period 2024-04-01..2025-04-01
    t0 = datetime(2024, 4, 1, 6, tzinfo=UTC)
    t1, t2 = datetime(2025, 4, 1, 6, tzinfo=UTC), datetime(2026, 1, 1, 6, tzinfo=UTC)
    clean = simulate(e["scenario"], t0, t2, seed=11, variation=VARIATION, phi=PHI)
    flags = detect_site(clean, e["kinds"], refs, e["costs"], e["tz"])
    window = false_alarms(flags, t1, t2)
    meter_quarters = len(e["kinds"]) * 3
    assert len(window) < meter_quarters / 3, [f"{f.meter} {f.kind}: {f.reason}" for f in window]
    assert not any("below" in f.reason for fl in flags.values() for f in fl)
