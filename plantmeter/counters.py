"""Which quantity is a meter's counter, where it wraps, and how fast it can plausibly rise.

One rule for every package that turns a cumulative counter into interval use (analytics'
flags and expectations, the reports' ``SiteData``):

* **Quantity.** The canonical counter of the meter's kind (``CANONICAL``: electricity
  ``energy_import_total``, water and gas ``volume_total``, thermal ``energy_total``,
  production ``production_total``), when the meter's profile has it as a counter and the
  meter publishes it (site config ``quantities``). Otherwise the profile's first counter
  whose name ends in ``_total`` (a whole total before its parts), else its first counter.
  Temperature sensors have none.
* **Rollover modulus.** The profile's: ``Point.rollover_value`` (an explicit ``rollover``, or
  the register's non-negative integer range x scale) or ``Derived.rollover``. ``0.0`` means
  the register is not known to wrap (float registers without a documented wrap): then every
  drop is a reset.
* **Plausible maximum rate** (unit per hour). The counter's own ``max_rate`` in the profile
  (the model's rated maximum); else the ``max`` of the meter's rate gauge (``power_total`` in W
  for an electricity meter, ``flow_rate`` in m3/h for a flow meter); else ``0.0`` = unknown.
  No per-kind default: a bound too low turns real wraps into resets, and a CT-connected or
  pulse-input meter has no bound of its own (it depends on the transformer or the pulse
  weight, which are site facts).

A drop of the counter is a **rollover** (its use is accounted: ``modulus - before + after``)
when that wrapped use is at most ``max_rate x hours`` since the previous reading, or, with no
rate known, under 10 % of the modulus; anything else is a **reset** (meter replaced or
cleared: that interval's use is unknown). See ``analytics.kernels.counter_deltas``.

A meter that is not in the site file (readings imported for an unknown meter) has no profile:
``stored_counter`` falls back to the stored columns (the canonical name for its kind, else the
first name with a counter word, ``COUNTER_WORDS``, a ``*_total`` first) with no modulus and no
rate bound, so every drop is a reset.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from .errors import ProfileError
from .profile import Derived, DeviceProfile, Point, load_profile, load_profile_file

__all__ = [
    "CANONICAL",
    "COUNTER_WORDS",
    "CounterSpec",
    "MeterRef",
    "counter_spec",
    "meter_counter",
    "stored_counter",
    "wrapped_use",
]

logger = logging.getLogger(__name__)

CANONICAL: dict[str, tuple[str, ...]] = {
    "electricity": ("energy_import_total", "energy_total"),
    "water": ("volume_total", "volume_forward_total"),
    "gas": ("volume_total", "energy_import_total"),
    "thermal": ("energy_total", "energy_import_total"),
    "production": ("production_total", "count_total"),
}
"""Counter quantity names per meter kind, preferred first."""

COUNTER_WORDS = ("energy", "volume", "production", "count", "pulse")
"""What a stored counter's name holds when the meter has no profile (``power_total`` is a gauge)."""

# the gauge whose plausible maximum bounds the counter's rate, and its unit -> counter unit per hour
_RATE_GAUGES: dict[str, tuple[str, float]] = {
    "kWh": ("power_total", 0.001),  # W -> kWh per hour
    "m3": ("flow_rate", 1.0),  # m3/h -> m3 per hour
}


@dataclass(frozen=True, slots=True)
class CounterSpec:
    """A meter's counter: its quantity, wrap modulus and plausible maximum rate."""

    quantity: str
    unit: str = ""
    rollover: float = 0.0
    """Value at which the register wraps to zero; 0.0 = not known to wrap (every drop is a reset)."""
    max_rate_per_h: float = 0.0
    """Largest plausible increase per hour, in ``unit``; 0.0 = unknown."""
    basis: str = ""
    """Where the numbers come from (profile id, or the fallback used), for logs and reports."""


class MeterRef(Protocol):
    """What ``meter_counter`` needs of a site meter (``plantmeter.config.MeterConfig`` fits)."""

    @property
    def id(self) -> str: ...

    @property
    def kind(self) -> str: ...


def _counter_items(profile: DeviceProfile) -> list[Point | Derived]:
    items: list[Point | Derived] = [p for p in profile.points if p.kind == "counter"]
    return items + [d for d in profile.derived if d.kind == "counter"]


def _rollover(item: Point | Derived) -> float:
    value = item.rollover_value if isinstance(item, Point) else item.rollover
    return float(value) if value else 0.0


def _max_rate(item: Point | Derived, profile: DeviceProfile) -> float:
    if item.max_rate is not None:
        return float(item.max_rate)
    gauge = _RATE_GAUGES.get(item.unit)
    if gauge is not None:
        name, factor = gauge
        point = next((p for p in profile.points if p.name == name), None)
        if point is not None and point.max is not None and point.max > 0:
            return float(point.max) * factor
    return 0.0


def counter_spec(
    kind: str, profile: DeviceProfile, quantities: Sequence[str] | None = None
) -> CounterSpec | None:
    """The counter of a meter of ``kind`` read with ``profile`` (None when it has none).

    ``quantities`` limits the choice to what the meter publishes (site config
    ``meters[].quantities``; None = everything the profile yields).
    """
    if kind == "temperature":
        return None
    items = [i for i in _counter_items(profile) if quantities is None or i.name in quantities]
    if not items:
        return None
    by_name = {i.name: i for i in items}
    chosen = next((by_name[n] for n in CANONICAL.get(kind, ()) if n in by_name), None)
    if chosen is None:
        parts = {name for d in profile.derived for name in d.sum}
        whole = [i for i in items if i.name not in parts]
        ranked = sorted(whole or items, key=lambda i: not i.name.endswith("_total"))
        chosen = ranked[0]
    return CounterSpec(
        quantity=chosen.name,
        unit=chosen.unit,
        rollover=_rollover(chosen),
        max_rate_per_h=_max_rate(chosen, profile),
        basis=f"profile {profile.id}",
    )


def meter_counter(
    meter: MeterRef, profile: DeviceProfile | None = None, base_dir: Path | None = None
) -> CounterSpec | None:
    """The counter of a site meter, with its profile (loaded from ``meter.profile`` when not given).

    ``meter.profile`` is a library id or a profile file relative to ``base_dir`` (the site
    file's folder). A meter without a usable profile gives None: callers then use
    ``stored_counter``'s fallback on the stored columns.
    """
    if profile is None:
        ref = getattr(meter, "profile", None)
        if not isinstance(ref, str):
            return None
        try:
            if ref.endswith((".yaml", ".yml")):
                profile = load_profile_file((base_dir or Path(".")) / ref)
            else:
                profile = load_profile(ref)
        except ProfileError as exc:
            logger.warning(
                "meter %s: profile not loaded (%s); counter from stored names", meter.id, exc
            )
            return None
    quantities = getattr(meter, "quantities", None)
    return counter_spec(meter.kind, profile, quantities)


def stored_counter(
    spec: CounterSpec | None, kind: str, columns: Sequence[str]
) -> CounterSpec | None:
    """The counter to difference among the stored ``columns``.

    ``spec`` (from the meter's profile) when its quantity is stored; otherwise the fallback
    for a meter without a profile: the canonical name of ``kind`` (``CANONICAL``), else the
    first column named like a counter (``COUNTER_WORDS``; ``*_total`` first), with no modulus
    and no rate bound (every drop is a reset). None when nothing stored looks like a counter,
    or for a temperature sensor.
    """
    if kind == "temperature":
        return None
    if spec is not None and spec.quantity in columns:
        return spec
    for name in CANONICAL.get(kind, ()):
        if name in columns:
            return CounterSpec(name, basis="stored columns (no profile: no wrap known)")
    named = [c for c in columns if any(word in c for word in COUNTER_WORDS)]
    named.sort(key=lambda c: not c.endswith("_total"))  # a whole total before its parts
    if named:
        return CounterSpec(named[0], basis="stored columns (no profile: no wrap known)")
    return None


def wrapped_use(
    before: float,
    after: float,
    rollover: float,
    max_rate_per_h: float = 0.0,
    hours: float | None = None,
) -> float | None:
    """The use across a drop from ``before`` to ``after`` if it is a plausible wrap, else None.

    The rule ``analytics.kernels.counter_deltas`` applies to every interval, for callers that see
    one pair of readings (the gateway's counter watch): the wrapped use is ``rollover - before +
    after``; it is plausible when it is at most ``max_rate_per_h x hours`` (both known), else when
    it is under 10 % of ``rollover``. No modulus (``rollover <= 0``): never a wrap.
    """
    if rollover <= 0.0 or after >= before:
        return None
    use = rollover - before + after
    if use < 0.0:
        return None
    limit = max_rate_per_h * hours if max_rate_per_h > 0.0 and hours is not None else 0.1 * rollover
    return use if use <= limit else None
