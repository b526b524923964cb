"""One meter's register image: engineering values -> Modbus registers, as its profile says.

Registers are encoded with ``plantmeter.registers.encode`` (the codec the gateway decodes with),
so a word-order or scale mistake shows in both directions. A request is answered like the real
device would: more registers than ``quirks.max_registers`` -> exception 03 (Illegal Data Value);
an address that no point covers, when ``quirks.gaps_readable`` is false -> exception 02 (Illegal
Data Address); a function code the point table does not use -> exception 01 or 02.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from plantmeter.profile import DeviceProfile, Point
from plantmeter.registers import decode, encode

__all__ = ["DeviceImage", "Response"]


@dataclass(frozen=True)
class Response:
    """Registers for a request, or an exception code; ``served`` maps quantity -> value sent."""

    registers: list[int] | None = None
    exception: int | None = None
    served: dict[str, float] | None = None


class DeviceImage:
    """The register map of one meter with an optional word-order override."""

    def __init__(self, profile: DeviceProfile, word_order: str | None = None) -> None:
        self.profile = profile
        self.word_order = word_order
        self._by_fc: dict[int, list[Point]] = {3: [], 4: []}
        for p in profile.points:
            self._by_fc[p.fc].append(p)
        for points in self._by_fc.values():
            points.sort(key=lambda p: p.address)

    def order(self, point: Point) -> str:
        return self.word_order or point.word_order

    def read(self, fc: int, address: int, count: int, values: Mapping[str, float]) -> Response:
        """Answer a read of ``count`` registers from ``address`` with function code ``fc``."""
        if fc not in (3, 4):
            return Response(exception=1)
        if count < 1 or count > self.profile.quirks.max_registers:
            return Response(exception=3)
        points = self._by_fc[fc]
        if not points:
            return Response(exception=2)
        end = address + count
        regs = [0] * count
        covered = [False] * count
        served: dict[str, float] = {}
        for p in points:
            p_end = p.address + p.count
            if p_end <= address or p.address >= end:
                continue
            words = self._encode(p, values[p.name])
            for i, w in enumerate(words):
                a = p.address + i
                if address <= a < end:
                    regs[a - address] = w
                    covered[a - address] = True
            if p.address >= address and p_end <= end:
                served[p.name] = decode(words, p.type, self.order(p), p.scale)
        if not self.profile.quirks.gaps_readable and not all(covered):
            return Response(exception=2)
        for d in self.profile.derived:
            if all(part in served for part in d.sum):
                served[d.name] = sum(served[part] for part in d.sum)
        return Response(registers=regs, served=served)

    def _encode(self, p: Point, value: float) -> list[int]:
        rollover = p.rollover_value
        if p.kind == "counter" and rollover and value >= rollover:
            value = value % rollover
        if p.kind == "gauge" and not p.type.startswith("float"):
            limit = float(1 << (16 * p.count))
            if p.type.startswith("u"):
                value = max(value, 0.0)
            value = max(min(value, limit * abs(p.scale)), -limit * abs(p.scale))
        return encode(value, p.type, self.order(p), p.scale)
