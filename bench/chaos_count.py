"""Count what a chaos run lost, from the simulator's record of what it served (pure functions).

The truth is the simulator's log of every energy counter value it sent (``MeterBus.served``):
each meter reads one counter register per poll and its load never stops, so every served
value is distinct and names the poll that read it. A stored reading is matched to its poll by
its value (float32 registers decoded the same way on both sides: equality is exact). Then, per
meter:

* **lost**: served, never stored, and not excused. Excused (``not_taken``): values served in a
  window where the reading could not exist durably by the gateway's promise — the last moment
  before a SIGKILL of the gateway (read, not yet in its outbox), or answers the chaos proxy
  garbled on the wire (the gateway never saw the value that was served);
* **duplicated**: one served value stored more than once (two timestamps for one poll);
* **foreign**: stored values the simulator never served (garbage taken for a reading);
* **energy**: last minus first counter of the stored readings in time order, against the
  simulator's own counter difference over the run: must be equal, exactly.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

__all__ = ["MeterCount", "count_meter", "recovery_seconds"]


@dataclass(frozen=True)
class MeterCount:
    """One meter's counts (see the module docstring)."""

    served: int
    stored: int
    lost: int
    duplicated: int
    not_taken: int
    foreign: int
    energy_true: float
    energy_stored: float
    lost_times: tuple[
        float, ...
    ] = ()  # when each lost value was served (to attribute it to a fault)

    @property
    def energy_exact(self) -> bool:
        return self.energy_true == self.energy_stored


def count_meter(
    served: list[tuple[float, float]],
    stored: list[tuple[int, float]],
    excused: list[tuple[float, float]],
) -> MeterCount:
    """``served``: (simulated epoch s, counter value), oldest first; ``stored``: (ts ms, value)
    as the store returns them; ``excused``: [start, end) windows in simulated seconds."""
    copies = Counter(value for _, value in stored)
    served_values = {value for _, value in served}
    not_taken = 0
    lost_times: list[float] = []
    for t, value in served:
        if value in copies:
            continue
        if any(start <= t < end for start, end in excused):
            not_taken += 1
        else:
            lost_times.append(t)
    lost = len(lost_times)
    duplicated = sum(n - 1 for value, n in copies.items() if value in served_values)
    foreign = sum(n for value, n in copies.items() if value not in served_values)
    by_time = sorted(stored)
    energy_stored = by_time[-1][1] - by_time[0][1] if by_time else 0.0
    energy_true = served[-1][1] - served[0][1] if served else 0.0
    return MeterCount(
        served=len(served),
        stored=len(stored),
        lost=lost,
        duplicated=duplicated,
        not_taken=not_taken,
        foreign=foreign,
        energy_true=energy_true,
        energy_stored=energy_stored,
        lost_times=tuple(lost_times),
    )


def recovery_seconds(
    fault_end: float,
    targets: dict[str, float],
    samples: list[tuple[float, dict[str, float]]],
) -> float | None:
    """Seconds from ``fault_end`` until every meter's largest stored counter reached its target
    (the first value served after the fault ended), from periodic ``samples`` of the store
    (time, {meter: max counter stored}); None if that never happened."""
    for t, stored in samples:
        if t < fault_end:
            continue
        if all(stored.get(meter, float("-inf")) >= target for meter, target in targets.items()):
            return t - fault_end
    return None
