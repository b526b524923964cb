"""The profile library: every file registered, every registered profile loads and is sane."""

from __future__ import annotations

from importlib import resources

import pytest

from plantmeter.profile import available_profiles, load_profile
from plantmeter.profiles import PROFILE_FILES
from plantmeter.registers import decode, encode

# Same quantity, same name and unit across models.
CANONICAL_UNITS = {
    "power_total": "W",
    "energy_import_total": "kWh",
    "energy_export_total": "kWh",
    "voltage_l1": "V",
    "current_l1": "A",
    "frequency": "Hz",
    "flow_rate": "m3/h",
    "volume_total": "m3",
    "temperature": "degC",
    "production_total": "units",
}

REQUIRED_BY_CATEGORY = {
    "electricity_meter": {"power_total", "energy_import_total"},
    "flow_meter": {"flow_rate", "volume_total"},
    "temperature_sensor": {"temperature"},
    "pulse_counter": {"production_total"},
    "production_counter": {"production_total"},
}


def test_every_yaml_file_in_the_folder_is_registered() -> None:
    folder = resources.files("plantmeter.profiles")
    files = sorted(p.name for p in folder.iterdir() if p.name.endswith((".yaml", ".yml")))
    assert files == sorted(PROFILE_FILES.values())


def test_the_library_covers_the_issue_list() -> None:
    ids = set(available_profiles())
    assert {
        "eastron-sdm630",
        "eastron-sdm120",
        "carlogavazzi-em24",
        "carlogavazzi-em340",
        "schneider-iem3255",
        "janitza-b23",
        "abb-b23",
        "tuf2000",
    } <= ids
    categories = {load_profile(i).category for i in ids}
    assert {"temperature_sensor", "pulse_counter", "flow_meter", "electricity_meter"} <= categories


@pytest.mark.parametrize("profile_id", available_profiles())
def test_profile_loads_with_sources_and_canonical_names(profile_id: str) -> None:
    profile = load_profile(profile_id)
    assert profile.id == profile_id
    assert profile.sources
    assert all(p.source for p in profile.points), "every point names its source"
    assert REQUIRED_BY_CATEGORY[profile.category] <= set(profile.quantities)
    units = {p.name: p.unit for p in profile.points} | {d.name: d.unit for d in profile.derived}
    for name, unit in CANONICAL_UNITS.items():
        if name in units:
            assert units[name] == unit, f"{profile_id}: {name} must be in {unit}"
    for point in profile.points:
        assert point.count <= profile.quirks.max_registers


@pytest.mark.parametrize("profile_id", available_profiles())
def test_every_point_round_trips_through_the_codec(profile_id: str) -> None:
    for point in load_profile(profile_id).points:
        value = 12.5 if point.type.startswith(("float", "int")) or point.scale < 1 else 12.0
        regs = encode(value, point.type, point.word_order, point.scale)
        assert len(regs) == point.count
        back = decode(regs, point.type, point.word_order, point.scale)
        assert back == pytest.approx(value, abs=point.scale)
