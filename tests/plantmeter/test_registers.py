from __future__ import annotations

import math

import pytest

from plantmeter.registers import decode, encode


@pytest.mark.parametrize("word_order", ["big", "little"])
@pytest.mark.parametrize(
    ("data_type", "value", "scale"),
    [
        ("float32", 12345.5, 1.0),
        ("float64", 98765.4321, 1.0),
        ("int16", -123, 1.0),
        ("uint16", 65000, 1.0),
        ("int32", -7_654_321, 1.0),
        ("uint32", 4_000_000_000, 1.0),
        ("int64", -(2**40), 1.0),
        ("uint64", 2**50, 1.0),
        ("int32", 1234.5, 0.1),
    ],
)
def test_round_trip(data_type: str, value: float, scale: float, word_order: str) -> None:
    regs = encode(value, data_type, word_order, scale)
    assert decode(regs, data_type, word_order, scale) == pytest.approx(value, rel=1e-6)


def test_known_float_layout() -> None:
    # 230.0 as IEEE 754 float32 is 0x43660000: high word 0x4366 first for Eastron
    assert encode(230.0, "float32", "big") == [0x4366, 0x0000]
    assert encode(230.0, "float32", "little") == [0x0000, 0x4366]
    assert decode([0x4366, 0x0000], "float32", "big") == 230.0


def test_unsigned_counter_wraps_like_the_register() -> None:
    assert encode(2**32 + 5, "uint32") == [0, 5]


def test_nan_register_pattern_decodes_to_nan() -> None:
    assert math.isnan(decode([0x7FC0, 0x0000], "float32"))


def test_wrong_register_count() -> None:
    with pytest.raises(ValueError, match="needs 2 registers"):
        decode([1], "float32")
