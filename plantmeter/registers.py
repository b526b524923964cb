"""Pure conversion between Modbus registers and engineering values.

The gateway decodes what a meter sent and the simulator encodes what it serves,
both with these two functions, so a word-order or scale mistake shows up in both
directions at once and is caught by the profile tests.

``word_order`` ``big`` means high word first (ABCD), ``little`` low word first
(CDAB); bytes inside a 16-bit register are always big-endian, as Modbus says.
"""

from __future__ import annotations

import math
import struct
from typing import Literal

__all__ = ["DATA_TYPES", "DataType", "WordOrder", "decode", "encode", "register_count"]

DataType = Literal["int16", "uint16", "int32", "uint32", "int64", "uint64", "float32", "float64"]
WordOrder = Literal["big", "little"]

# struct format (big-endian) and register count of each type
DATA_TYPES: dict[str, tuple[str, int]] = {
    "int16": (">h", 1),
    "uint16": (">H", 1),
    "int32": (">i", 2),
    "uint32": (">I", 2),
    "int64": (">q", 4),
    "uint64": (">Q", 4),
    "float32": (">f", 2),
    "float64": (">d", 4),
}


def register_count(data_type: str) -> int:
    """Number of 16-bit registers a value of ``data_type`` occupies."""
    return DATA_TYPES[data_type][1]


def decode(
    registers: list[int], data_type: str, word_order: str = "big", scale: float = 1.0
) -> float:
    """Decode ``registers`` (as read, first register first) into an engineering value.

    Raises ValueError when the register count does not match the type.
    """
    fmt, count = DATA_TYPES[data_type]
    if len(registers) != count:
        raise ValueError(f"{data_type} needs {count} registers, got {len(registers)}")
    words = list(registers) if word_order == "big" else list(reversed(registers))
    raw = struct.unpack(fmt, b"".join(w.to_bytes(2, "big") for w in words))[0]
    if data_type.startswith("float"):
        return float(raw) * scale
    value = raw * scale
    return float(value)


def encode(value: float, data_type: str, word_order: str = "big", scale: float = 1.0) -> list[int]:
    """Encode an engineering ``value`` into registers (first register first).

    Integer types round ``value / scale`` to the nearest integer and wrap it into the
    type's range, which is what a real counter register does when it rolls over. ValueError
    for what the type cannot hold: NaN or infinity as an integer, a finite value past float32.
    """
    fmt, count = DATA_TYPES[data_type]
    if data_type.startswith("float"):
        raw: float | int = value / scale if scale != 1 else value
    else:
        if not math.isfinite(value):
            raise ValueError(f"cannot encode {value!r} as {data_type}")
        bits = 16 * count
        integer = round(value / scale)
        if data_type.startswith("u"):
            raw = integer % (1 << bits)
        else:
            raw = (integer + (1 << (bits - 1))) % (1 << bits) - (1 << (bits - 1))
    try:
        data = struct.pack(fmt, raw)
    except OverflowError:  # a finite float beyond float32's range (about 3.4e38)
        raise ValueError(f"cannot encode {value!r} as {data_type}: beyond its range") from None
    words = [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]
    return words if word_order == "big" else list(reversed(words))
