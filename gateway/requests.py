"""Plan the fewest Modbus requests that read a meter's points.

Contiguous points of one function code are coalesced into one request as long as the
request stays within the device's ``max_registers`` quirk. Points separated by a gap
are only joined when the profile says gaps are readable; otherwise a gap would make
the real meter answer "Illegal Data Address" for the whole request.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from plantmeter.profile import DeviceProfile, Point

__all__ = ["ReadRequest", "plan_requests"]


@dataclass(frozen=True, slots=True)
class ReadRequest:
    """One read: function code, first address, register count, and the points inside."""

    fc: int
    address: int
    count: int
    points: tuple[Point, ...]

    def registers_of(self, point: Point, registers: Sequence[int]) -> list[int]:
        """The slice of a response that holds ``point``."""
        offset = point.address - self.address
        return list(registers[offset : offset + point.count])


def plan_requests(
    profile: DeviceProfile, quantities: Sequence[str] | None = None
) -> list[ReadRequest]:
    """Coalesce the profile's points (or the named ``quantities``) into read requests."""
    wanted = set(quantities) if quantities is not None else None
    if wanted is not None:
        unknown = wanted - set(profile.quantities)
        if unknown:
            raise KeyError(f"profile {profile.id} has no quantity {sorted(unknown)[0]!r}")
        for derived in profile.derived:  # a derived quantity is read through its parts
            if derived.name in wanted:
                wanted.update(derived.sum)
    points = [p for p in profile.points if wanted is None or p.name in wanted]
    limit = profile.quirks.max_registers
    requests: list[ReadRequest] = []
    for fc in (3, 4):
        group: list[Point] = []
        for point in sorted((p for p in points if p.fc == fc), key=lambda p: p.address):
            if group:
                start = group[0].address
                end = max(p.address + p.count for p in group)
                contiguous = point.address <= end
                fits = point.address + point.count - start <= limit
                if fits and (contiguous or profile.quirks.gaps_readable):
                    group.append(point)
                    continue
                requests.append(_request(fc, group))
            group = [point]
        if group:
            requests.append(_request(fc, group))
    return requests


def _request(fc: int, group: list[Point]) -> ReadRequest:
    start = group[0].address
    end = max(p.address + p.count for p in group)
    return ReadRequest(fc=fc, address=start, count=end - start, points=tuple(group))
