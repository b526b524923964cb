"""Turn raw registers into checked engineering values, and watch counters for wraps and resets.

Sanity rules: a value that is NaN or infinite, or outside the point's plausible
``min``/``max`` (or the quantity's built-in limits) is dropped from the reading and
reported; a counter that goes backwards is published as read (counters travel raw)
together with a ``rollover`` or ``reset`` event, so analytics never sees negative use.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from plantmeter.counters import wrapped_use
from plantmeter.message import CounterEvent
from plantmeter.profile import Derived, DeviceProfile, Point
from plantmeter.registers import decode

from .requests import ReadRequest

__all__ = ["CounterWatch", "Rejected", "add_derived", "decode_response"]

# Physically impossible magnitudes for common quantities, when the profile sets no limits.
_LIMITS: dict[str, tuple[float, float]] = {
    "V": (0.0, 1.0e6),
    "A": (-1.0e5, 1.0e5),
    "W": (-1.0e9, 1.0e9),
    "Hz": (0.0, 1000.0),
    "kWh": (-1.0e12, 1.0e12),
    "m3": (-1.0e12, 1.0e12),
    "m3/h": (-1.0e6, 1.0e6),
    "degC": (-100.0, 1000.0),
    "": (-1.5, 1.5),  # power factor
}


@dataclass(frozen=True, slots=True)
class Rejected:
    """A value left out of a reading, and why."""

    quantity: str
    value: float
    reason: str


def _limits(point: Point) -> tuple[float, float]:
    low, high = _LIMITS.get(point.unit, (-math.inf, math.inf))
    return (
        point.min if point.min is not None else low,
        point.max if point.max is not None else high,
    )


def decode_response(
    request: ReadRequest, registers: Sequence[int], word_order: str | None = None
) -> tuple[dict[str, float], list[Rejected]]:
    """Decode every point of ``request`` from its response registers."""
    values: dict[str, float] = {}
    rejected: list[Rejected] = []
    for point in request.points:
        value = decode(
            request.registers_of(point, registers),
            point.type,
            word_order or point.word_order,
            point.scale,
        )
        low, high = _limits(point)
        if not math.isfinite(value):
            rejected.append(Rejected(point.name, value, "not a finite number"))
        elif not low <= value <= high:
            rejected.append(
                Rejected(
                    point.name, value, f"outside the plausible range {low:g}..{high:g} {point.unit}"
                )
            )
        else:
            values[point.name] = value
    return values, rejected


def add_derived(profile: DeviceProfile, values: dict[str, float]) -> None:
    """Add the profile's derived quantities (sums of parts) when every part was read."""
    for derived in profile.derived:
        if all(part in values for part in derived.sum):
            values[derived.name] = float(sum(values[part] for part in derived.sum))


def _rollover(item: Point | Derived) -> float | None:
    return item.rollover_value if isinstance(item, Point) else item.rollover


class CounterWatch:
    """Remembers each counter's last value and classifies a step backwards."""

    def __init__(self, last: dict[str, float] | None = None) -> None:
        self.last: dict[str, float] = dict(last or {})

    def check(
        self, points: Sequence[Point | Derived], values: dict[str, float]
    ) -> list[CounterEvent]:
        """Events for counters in ``values`` that went backwards since the last call."""
        events: list[CounterEvent] = []
        for point in points:
            if point.kind != "counter" or point.name not in values:
                continue
            current = values[point.name]
            previous = self.last.get(point.name)
            self.last[point.name] = current
            if previous is None or current >= previous:
                continue
            # the one wrap-or-reset rule (plantmeter.counters): no time here, so the 10 % rule
            rollover = _rollover(point) or 0.0
            if wrapped_use(previous, current, rollover) is not None:
                events.append(CounterEvent(point.name, "rollover", previous, current))
            else:
                events.append(CounterEvent(point.name, "reset", previous, current))
        return events
