"""One rule for a meter's counter: its quantity, its wrap modulus, its plausible rate."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from analytics.kernels import RESET, ROLLOVER, counter_deltas
from plantmeter.counters import (
    CounterSpec,
    counter_spec,
    meter_counter,
    stored_counter,
    wrapped_use,
)
from plantmeter.profile import DeviceProfile, load_profile


@dataclass
class Meter:
    id: str
    kind: str
    profile: str
    quantities: list[str] | None = None


@pytest.mark.parametrize(
    ("profile", "kind", "quantity", "modulus"),
    [
        # int32 in 0.1 kWh: a register that counts up leaves its range at 2^31 raw
        ("carlogavazzi-em24", "electricity", "energy_import_total", 2**31 * 0.1),
        ("carlogavazzi-em340", "electricity", "energy_import_total", 2**31 * 0.1),
        # uint64 in 0.01 kWh
        ("abb-b23", "electricity", "energy_import_total", 2**64 * 0.01),
        # int64 in Wh
        ("schneider-iem3255", "electricity", "energy_import_total", 2**63 * 0.001),
        # float32: no wrap documented, every drop is a reset
        ("eastron-sdm630", "electricity", "energy_import_total", 0.0),
        ("janitza-b23", "electricity", "energy_import_total", 0.0),
        # the derived total (integer part + fraction), not its integer part
        ("tuf2000", "water", "volume_total", 2**31),
        # uint32 pulse counter, one pulse per unit
        ("ismacontrolli-sfar-1m-4di", "production", "production_total", 2**32),
    ],
)
def test_library_profiles_give_their_counter_and_modulus(
    profile: str, kind: str, quantity: str, modulus: float
) -> None:
    spec = meter_counter(Meter("m", kind, profile))
    assert spec is not None
    assert (spec.quantity, spec.rollover) == (quantity, pytest.approx(modulus))
    assert spec.basis == f"profile {profile}"


def test_a_temperature_sensor_has_no_counter() -> None:
    assert meter_counter(Meter("t", "temperature", "xy-md02")) is None


def test_the_meter_publishes_only_some_quantities() -> None:
    em24 = load_profile("carlogavazzi-em24")
    spec = counter_spec("electricity", em24, ["power_total", "energy_export_total"])
    assert spec is not None and spec.quantity == "energy_export_total"
    assert counter_spec("electricity", em24, ["power_total"]) is None


def test_a_site_profile_file_relative_to_the_site(tmp_path) -> None:  # type: ignore[no-untyped-def]
    text = """
id: my-meter
manufacturer: x
model: y
category: electricity_meter
sources: {doc: "vendor manual v1, table 3"}
points:
  - {name: power_total, unit: W, fc: 4, address: 0, type: float32, max: 50000, source: doc}
  - {name: energy_import_total, unit: kWh, fc: 4, address: 2, type: uint32, scale: 0.01, kind: counter, source: doc}
"""
    (tmp_path / "mine.yaml").write_text(text)
    spec = meter_counter(Meter("m", "electricity", "mine.yaml"), base_dir=tmp_path)
    # the rate bound from the power gauge's plausible maximum: 50 kW -> 50 kWh per hour
    assert spec == CounterSpec("energy_import_total", "kWh", 2**32 * 0.01, 50.0, "profile my-meter")
    # an unreadable profile file: no spec (the stored columns decide, see below)
    assert meter_counter(Meter("m", "electricity", "gone.yaml"), base_dir=tmp_path) is None


def test_a_counter_states_its_own_rate_bound() -> None:
    em24 = load_profile("carlogavazzi-em24")
    data = em24.model_dump()
    for p in data["points"]:
        if p["name"] == "energy_import_total":
            p["max_rate"] = 45.0
    spec = counter_spec("electricity", DeviceProfile.model_validate(data))
    assert spec is not None and spec.max_rate_per_h == 45.0


def test_stored_counter_prefers_the_profile_and_falls_back_to_names() -> None:
    spec = CounterSpec("energy_import_total", "kWh", 100.0, 0.0, "profile p")
    assert stored_counter(spec, "electricity", ["power_total", "energy_import_total"]) is spec
    # an imported meter unknown to the site: the canonical name, no wrap known
    fallback = stored_counter(None, "water", ["flow_rate", "volume_net_total", "volume_total"])
    assert fallback is not None and (fallback.quantity, fallback.rollover) == ("volume_total", 0.0)
    other = stored_counter(None, "electricity", ["power_total", "pulses_total"])
    assert other is not None and other.quantity == "pulses_total"
    assert stored_counter(None, "electricity", ["power_total"]) is None
    assert stored_counter(spec, "temperature", ["temperature"]) is None


def test_the_rate_bound_tells_a_wrap_from_a_reset() -> None:
    """Near its modulus a drop is a wrap when the wrapped use fits the rate bound."""
    h = 3_600_000
    ts = np.array([0, h, 2 * h], dtype=np.int64)
    wrap = np.array([99_990.0, 99_998.0, 5.0])  # 7 kWh in the last hour across the wrap
    _, _, status = counter_deltas(ts, wrap, 100_000.0, 0, 10.0)
    assert status[2] == ROLLOVER
    _, _, status = counter_deltas(ts, wrap, 100_000.0, 0, 5.0)  # 7 kWh is above 5 kWh/h
    assert status[2] == RESET
    _, _, status = counter_deltas(ts, wrap, 0.0, 0, 10.0)  # no modulus: a drop is a reset
    assert status[2] == RESET


def test_one_pair_rule_agrees_with_the_kernel() -> None:
    """``wrapped_use`` (the gateway's counter watch) and ``counter_deltas`` (analytics) decide alike."""
    rng = np.random.default_rng(7)
    h = 3_600_000
    for _ in range(2000):
        modulus = float(rng.choice([0.0, 1000.0, 2**31 * 0.1]))
        before = float(rng.uniform(0, modulus or 1000.0))
        after = float(rng.uniform(0, modulus or 1000.0))
        rate = float(rng.choice([0.0, 5.0, 500.0]))
        hours = float(rng.uniform(0.1, 3.0))
        ts = np.array([0, int(hours * h)], dtype=np.int64)
        delta, _, status = counter_deltas(ts, np.array([before, after]), modulus, 0, rate)
        use = wrapped_use(before, after, modulus, rate, int(hours * h) / h)
        if after >= before:
            assert use is None
        elif status[1] == ROLLOVER:
            assert use == pytest.approx(delta[1])
        else:
            assert status[1] == RESET and use is None
