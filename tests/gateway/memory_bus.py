"""An in-memory ``MeterClient``: a bank of input registers per unit id, for poller unit tests.

Values are written as IEEE 754 float32, high word first, with ``struct`` (independently of
plantmeter.registers, so a codec bug shows up as a mismatch).
"""

from __future__ import annotations

import struct

from plantmeter.errors import MeterReadError


class MemoryBus:
    """Units answer from their register dicts; ``down`` makes every read fail like a dead line."""

    label = "memory-bus (in memory)"

    def __init__(self) -> None:
        self.units: dict[int, dict[int, int]] = {}
        self.down = False
        self.reads = 0

    def set_float(self, unit_id: int, address: int, value: float) -> None:
        hi, lo = struct.unpack(">HH", struct.pack(">f", value))
        bank = self.units.setdefault(unit_id, {})
        bank[address], bank[address + 1] = hi, lo

    async def read(self, unit_id: int, fc: int, address: int, count: int) -> list[int]:
        self.reads += 1
        if self.down or unit_id not in self.units:
            raise MeterReadError(f"no answer from unit {unit_id} on bus {self.label} (timeout)")
        bank = self.units[unit_id]
        return [bank.get(a, 0) for a in range(address, address + count)]

    def close(self) -> None:
        pass
