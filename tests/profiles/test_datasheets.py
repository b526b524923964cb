# ruff: noqa: E501
# (the transcription table keeps one register per line)
"""Key registers of each model against values transcribed separately from the public sources.

A profile cannot catch its own wrong address, so the numbers below were typed in again from
the source each profile cites (not copied from the profile files): datasheet register number as
the source prints it, converted here to the 0-based PDU address with the offset stated beside it.
Energy counters come first: a wrong energy address silently corrupts every savings figure.
"""

from __future__ import annotations

import pytest

from plantmeter.profile import load_profile

# (profile, quantity, fc, pdu address, type, word order, scale, where the number comes from)
DATASHEET = [
    # Eastron SDM630: mbmd sdm.go "Import: 0x0048", evcc eastron-sdm72v2_630 -> float32 input regs; 30073 = 0x48 + 30001
    (
        "eastron-sdm630",
        "energy_import_total",
        4,
        30073 - 30001,
        "float32",
        "big",
        1.0,
        "mbmd sdm.go Import 0x0048",
    ),
    (
        "eastron-sdm630",
        "energy_export_total",
        4,
        30075 - 30001,
        "float32",
        "big",
        1.0,
        "mbmd sdm.go Export 0x004A",
    ),
    (
        "eastron-sdm630",
        "power_total",
        4,
        30053 - 30001,
        "float32",
        "big",
        1.0,
        "mbmd sdm.go Power 0x0034",
    ),
    ("eastron-sdm630", "energy_total", 4, 0x0156, "float32", "big", 1.0, "mbmd sdm.go Sum 0x0156"),
    # Eastron SDM120: evcc eastron-sdm120.yaml power 0x0c, import 0x48, export 0x4a, input, float32
    (
        "eastron-sdm120",
        "energy_import_total",
        4,
        0x48,
        "float32",
        "big",
        1.0,
        "evcc eastron-sdm120 import 0x48",
    ),
    (
        "eastron-sdm120",
        "energy_export_total",
        4,
        0x4A,
        "float32",
        "big",
        1.0,
        "evcc eastron-sdm120 export 0x4a",
    ),
    (
        "eastron-sdm120",
        "power_total",
        4,
        0x0C,
        "float32",
        "big",
        1.0,
        "evcc eastron-sdm120 power 0x0c",
    ),
    # Carlo Gavazzi EM24-DIN (RS485): the TOTAL import counter, Modicom 300063 = physical 003Eh in the
    # EM24-DIN PFA/PFB/X communication protocol (em24_is_cp.pdf) as GrowattEM24.h transcribes it:
    # "0x003E ... kWh(+) TOT", INT32, weight 1/10, LSW first. Not 0x42 (mbmd's "Import"), which the
    # same table labels "KWh(+) PAR": the partial meter a reset command clears.
    (
        "carlogavazzi-em24",
        "energy_import_total",
        4,
        300063 - 300001,
        "int32",
        "little",
        0.1,
        "em24_is_cp.pdf kWh (+) TOT 300063 (GrowattEM24.h 0x003E)",
    ),
    # Carlo Gavazzi EM24: mbmd carlogavazzi-em24.go Export 0x5C, Power 0x28; int32 swapped, /10
    (
        "carlogavazzi-em24",
        "energy_export_total",
        4,
        0x5C,
        "int32",
        "little",
        0.1,
        "mbmd em24 Export 0x5C /10",
    ),
    (
        "carlogavazzi-em24",
        "power_total",
        4,
        0x28,
        "int32",
        "little",
        0.1,
        "mbmd em24 Power 0x28 /10",
    ),
    (
        "carlogavazzi-em24",
        "frequency",
        4,
        0x37,
        "int16",
        "big",
        0.1,
        "mbmd em24 Frequency 0x37 int16 /10",
    ),
    # Carlo Gavazzi EM340: mbmd carlogavazzi-ex3x0.go Import 0x34, Export 0x4E, Power 0x28
    (
        "carlogavazzi-em340",
        "energy_import_total",
        4,
        0x34,
        "int32",
        "little",
        0.1,
        "mbmd ex3x0 Import 0x34 /10",
    ),
    (
        "carlogavazzi-em340",
        "energy_export_total",
        4,
        0x4E,
        "int32",
        "little",
        0.1,
        "mbmd ex3x0 Export 0x4E /10",
    ),
    (
        "carlogavazzi-em340",
        "power_total",
        4,
        0x28,
        "int32",
        "little",
        0.1,
        "mbmd ex3x0 Power 0x28 /10",
    ),
    # Schneider iEM3255: DOCA0005 register 3204 total active energy import INT64 Wh (register = address + 1);
    # 3060 total active power float32 kW (ESPHome config reads it at 3059 0-based)
    (
        "schneider-iem3255",
        "energy_import_total",
        3,
        3204 - 1,
        "int64",
        "big",
        0.001,
        "DOCA0005 reg 3204 INT64 Wh",
    ),
    (
        "schneider-iem3255",
        "energy_export_total",
        3,
        3208 - 1,
        "int64",
        "big",
        0.001,
        "DOCA0005 reg 3208 INT64 Wh",
    ),
    (
        "schneider-iem3255",
        "power_total",
        3,
        3060 - 1,
        "float32",
        "big",
        1000.0,
        "htvekov esphome address 3059 kW x1000",
    ),
    (
        "schneider-iem3255",
        "frequency",
        3,
        3110 - 1,
        "float32",
        "big",
        1.0,
        "htvekov esphome address 3109",
    ),
    # Janitza B23: mbmd janitza.go Import 0x4A7C, Export 0x4A84 (float32, FC3)
    (
        "janitza-b23",
        "energy_import_total",
        3,
        0x4A7C,
        "float32",
        "big",
        0.001,
        "mbmd janitza Import 0x4A7C",
    ),
    (
        "janitza-b23",
        "energy_export_total",
        3,
        0x4A84,
        "float32",
        "big",
        0.001,
        "mbmd janitza Export 0x4A84",
    ),
    ("janitza-b23", "power_l1", 3, 0x4A4C, "float32", "big", 1.0, "mbmd janitza PowerL1 0x4A4C"),
    # ABB B23: mbmd abb.go Import 0x5000, Export 0x5004 uint64 /100; Power 0x5B14 int32 /100
    (
        "abb-b23",
        "energy_import_total",
        3,
        0x5000,
        "uint64",
        "big",
        0.01,
        "mbmd abb Import 0x5000 /100",
    ),
    (
        "abb-b23",
        "energy_export_total",
        3,
        0x5004,
        "uint64",
        "big",
        0.01,
        "mbmd abb Export 0x5004 /100",
    ),
    ("abb-b23", "power_total", 3, 0x5B14, "int32", "big", 0.01, "mbmd abb Power 0x5B14 /100"),
    ("abb-b23", "voltage_l1", 3, 0x5B00, "uint32", "big", 0.1, "mbmd abb VoltageL1 0x5B00 /10"),
    # TUF-2000: manual REG0001 flow REAL4, REG0009 positive accumulator LONG, REG0011 fraction REAL4 (REGn = address n-1)
    ("tuf2000", "flow_rate", 3, 1 - 1, "float32", None, 1.0, "manual REG0001 flow rate"),
    (
        "tuf2000",
        "volume_forward_int",
        3,
        9 - 1,
        "int32",
        None,
        1.0,
        "manual REG0009 positive accumulator",
    ),
    (
        "tuf2000",
        "volume_forward_frac",
        3,
        11 - 1,
        "float32",
        None,
        1.0,
        "manual REG0011 positive fraction",
    ),
    # XY-MD02: e-tinkers request 01 04 00 01 -> FC4 address 1, value x10
    (
        "xy-md02",
        "temperature",
        4,
        0x0001,
        "int16",
        "big",
        0.1,
        "e-tinkers 01 04 00 01, 0x131 = 30.5 C",
    ),
    (
        "xy-md02",
        "humidity",
        4,
        0x0002,
        "int16",
        "big",
        0.1,
        "e-tinkers 01 04 00 02, 0x222 = 54.6 %",
    ),
    # iSMA SFAR-1M-4DI: 40053 Counter 1 LSR, 40054 MSR (32-bit)
    (
        "ismacontrolli-sfar-1m-4di",
        "production_total",
        3,
        40053 - 40001,
        "uint32",
        "little",
        1.0,
        "manual 40053 Counter 1 LSR",
    ),
]


@pytest.mark.parametrize(
    ("profile_id", "name", "fc", "address", "dtype", "word_order", "scale", "source"),
    DATASHEET,
    ids=[f"{row[0]}:{row[1]}" for row in DATASHEET],
)
def test_key_register_matches_the_public_source(
    profile_id: str,
    name: str,
    fc: int,
    address: int,
    dtype: str,
    word_order: str | None,
    scale: float,
    source: str,
) -> None:
    point = load_profile(profile_id).point(name)
    assert (point.fc, point.address, point.type) == (fc, address, dtype), source
    assert point.scale == pytest.approx(scale), source
    if word_order is not None:  # None: the source leaves it to the site (TUF-2000)
        assert point.word_order == word_order, source


def test_every_model_has_its_energy_or_volume_counter_checked() -> None:
    checked = {
        row[0]
        for row in DATASHEET
        if row[1]
        in {"energy_import_total", "volume_forward_int", "production_total", "temperature"}
    }
    from plantmeter.profile import available_profiles

    assert checked == set(available_profiles())


# partial (resettable) energy registers: a counter read from one of these loses its history at
# every reset, so no profile may map a counter onto them (transcribed from the same documents)
PARTIAL = [
    ("carlogavazzi-em24", 4, 0x0042, "em24_is_cp.pdf KWh(+) PAR 0042h (GrowattEM24.h)"),
    ("carlogavazzi-em24", 4, 0x0044, "em24_is_cp.pdf kvarh(+) PAR 0044h (GrowattEM24.h)"),
    (
        "eastron-sdm630",
        4,
        30385 - 30001,
        "SDM72D-M V1.5 p.14: 30385 resettable total active energy",
    ),
    (
        "eastron-sdm630",
        4,
        30389 - 30001,
        "SDM72D-M V1.5 p.14: 30389 resettable import active energy",
    ),
    ("schneider-iem3255", 3, 3256 - 1, "DOCA0006EN-07: register 3256 Partial Active Energy Import"),
]


@pytest.mark.parametrize(("profile_id", "fc", "address", "source"), PARTIAL)
def test_no_counter_reads_a_partial_register(
    profile_id: str, fc: int, address: int, source: str
) -> None:
    for p in load_profile(profile_id).counters:
        assert not (p.fc == fc and p.address <= address < p.address + p.count), (p.name, source)


def test_every_counter_names_its_document_and_table() -> None:
    """Each energy/volume/production counter cites a listed source and where in it (``ref``), and
    every model with counters cites at least one document of its manufacturer (whose ``read``
    says what of it was seen; the Janitza B23's own manual was not found, which it says)."""
    from plantmeter.profile import SourceDocument, available_profiles

    for profile_id in available_profiles():
        profile = load_profile(profile_id)
        counters = [*profile.counters, *(d for d in profile.derived if d.kind == "counter")]
        docs = [s for s in profile.sources.values() if isinstance(s, SourceDocument)]
        assert not counters or any(d.by == "manufacturer" for d in docs), profile_id
        for c in counters:
            assert c.source in profile.sources and len(c.ref) > 10, (profile_id, c.name)


def test_tuf2000_total_is_integer_plus_fraction() -> None:
    derived = {d.name: d for d in load_profile("tuf2000").derived}
    assert derived["volume_total"].sum == ["volume_forward_int", "volume_forward_frac"]
    assert derived["volume_total"].kind == "counter"
