"""What each simulated meter holds: its profile's quantities, derived from the plant, with value faults.

``MeterReadings.at(times)`` maps the plant's primary signal (rate and counter) onto every quantity
of the meter's profile (power per phase, voltages, currents, energies, flow, volume, temperature,
production...), then applies the value faults scheduled for it: stuck registers, spikes, counter
rollover and meter replacement. Pure and vectorised: the live server calls it with one time, the
history generator with thousands.
"""

from __future__ import annotations

import math

import numpy as np

from plantmeter.errors import SimulatorError
from plantmeter.profile import DeviceProfile, load_profile

from .plant import Plant
from .scenario import Fault, MeterSpec

__all__ = ["MeterReadings", "csv_quantities"]

_PHASES = (0.345, 0.33, 0.325)
_PIPE_AREA_M2 = math.pi * 0.025**2  # DN50


def csv_quantities(profile: DeviceProfile) -> list[str]:
    """Quantities worth a CSV column: every point and derived value except the parts of a derived one."""
    parts = {name for d in profile.derived for name in d.sum}
    return [q for q in profile.quantities if q not in parts]


class MeterReadings:
    """The quantities one meter shows at given times."""

    def __init__(self, plant: Plant, spec: MeterSpec, faults: list[Fault] | None = None) -> None:
        self.plant = plant
        self.spec = spec
        self.profile = load_profile(spec.profile)
        self.faults = [f for f in (faults or []) if f.meter == spec.id]
        sc = plant.scenario
        self._v = sc.site.grid_voltage
        self._f = sc.site.grid_frequency
        self._counters = [p.name for p in self.profile.counters] + [
            d.name for d in self.profile.derived if d.kind == "counter"
        ]
        unknown = [q for q in self.profile.quantities if not self._known(q)]
        if unknown:
            raise SimulatorError(
                f"meter {spec.id!r}: the simulator cannot produce {unknown} of profile {spec.profile!r}"
            )

    def add_fault(self, fault: Fault) -> None:
        if fault.meter == self.spec.id:
            self.faults.append(fault)

    def state(self, t: float) -> dict[str, float]:
        """Every quantity of the profile (parts of derived values included) at epoch ``t``."""
        values = self.at(np.array([t]))
        return {q: float(v[0]) for q, v in values.items()}

    def at(self, times: np.ndarray) -> dict[str, np.ndarray]:
        times = np.asarray(times, dtype=float)
        prim = self.plant.primary(self.spec.id, times)
        out = {q: self._quantity(q, prim.rate, prim.total, times) for q in self._base_quantities()}
        self._apply_faults(out, times)
        for d in self.profile.derived:  # integer part + decimal fraction
            ints = [p for p in d.sum if self.profile.point(p).type.startswith(("int", "uint"))]
            floats = [p for p in d.sum if p not in ints]
            value = out[d.name]
            if ints:
                out[ints[0]] = np.floor(value)
            if floats:
                out[floats[0]] = value - np.floor(value)
            for rest in ints[1:] + floats[1:]:
                out[rest] = np.zeros_like(value)
        return out

    # ----------------------------------------------------------------- private

    def _base_quantities(self) -> list[str]:
        parts = {n for d in self.profile.derived for n in d.sum}
        return [q for q in self.profile.quantities if q not in parts]

    def _known(self, q: str) -> bool:
        parts = {n for d in self.profile.derived for n in d.sum}
        if q in parts:
            return True
        try:
            self._quantity(q, np.zeros(1), np.zeros(1), np.zeros(1))
        except KeyError:
            return False
        return True

    def _quantity(self, q: str, rate: np.ndarray, total: np.ndarray, t: np.ndarray) -> np.ndarray:
        kind = self.spec.kind
        if kind == "electricity":
            return self._electric(q, rate, total, t)
        if kind == "water":
            zero = np.zeros_like(rate)
            table = {
                "flow_rate": rate,
                "velocity": rate / 3600.0 / _PIPE_AREA_M2,
                "sound_speed": zero + 1482.0,
                "volume_total": total,
                "volume_reverse_total": zero,
                "volume_net_int": np.floor(total),
            }
            return table[q]
        if kind == "temperature":
            w = self.plant.scenario.weather
            return {
                "temperature": rate,
                "humidity": np.clip(70.0 - 2.0 * (rate - w.mean), 15, 100),
            }[q]
        zero = np.zeros_like(rate)
        table = {"production_total": total, "inputs_state": (rate > 0).astype(float)}
        if q.startswith("pulse_count_"):
            return zero
        return table[q]

    def _electric(self, q: str, rate: np.ndarray, total: np.ndarray, t: np.ndarray) -> np.ndarray:
        pf = self.spec.power_factor
        tan = math.tan(math.acos(pf))
        p_w = rate * 1000.0
        zero = np.zeros_like(rate)
        energy_since = total - self.spec.initial
        if q == "frequency":
            return self._f + 0.03 * np.sin(2 * np.pi * t / 900.0)
        if q in ("power_total", "power"):
            return p_w
        if q in ("apparent_power_total",):
            return p_w / pf
        if q in ("reactive_power_total",):
            return p_w * tan
        if q.startswith("power_factor"):
            return zero + pf
        if q in ("energy_import_total", "energy_total"):
            return total
        if q in ("reactive_energy_import_total", "reactive_energy_total"):
            return energy_since * tan
        if q.startswith(("energy_export", "reactive_energy_export")):
            return zero
        phase = {"l1": 0, "l2": 1, "l3": 2}
        base, _, suffix = q.rpartition("_")
        single_phase = suffix not in phase
        k = 0 if single_phase else phase[suffix]
        share = 1.0 if single_phase else _PHASES[k]
        volts = self._v * (1 + 0.012 * np.sin(2 * np.pi * t / 3600.0 + k * 2.1))
        if base == "voltage" or q in ("voltage", "voltage_ln_avg"):
            if q == "voltage_ln_avg":
                return zero + self._v
            return volts
        if base == "current" or q in ("current", "current_avg"):
            if q == "current_avg":
                return p_w / 3 / (self._v * pf)
            return p_w * share / (volts * pf)
        if base == "power":
            return p_w * share
        if base == "energy_import":
            return self.spec.initial * share + energy_since * share
        raise KeyError(q)

    def _apply_faults(self, out: dict[str, np.ndarray], t: np.ndarray) -> None:
        sc = self.plant.scenario
        for f in self.faults:
            start = sc.epoch(f.start)
            end = start + f.duration if f.duration is not None else math.inf
            active = (t >= start) & (t < end)
            if f.type == "stuck":
                names = [f.quantity] if f.quantity else list(out)
                if active.any():
                    frozen = self.at_unfaulted(start, names)
                    for n in names:
                        out[n] = np.where(active, frozen[n], out[n])
            elif f.type == "spike":
                name = f.quantity or _first(
                    out, ("power_total", "flow_rate", "temperature", "production_total")
                )
                out[name] = np.where(active, out[name] * f.factor, out[name])
            elif f.type in ("counter_rollover", "meter_replacement"):
                names = [f.quantity] if f.quantity else [c for c in self._counters if c in out]
                after = t >= start
                if f.type == "meter_replacement" and not after.any():
                    continue
                base = self.at_unfaulted(start, names)
                for n in names:
                    if f.type == "meter_replacement":
                        out[n] = np.where(after, out[n] - base[n], out[n])
                    else:
                        wrap = self._rollover(n)
                        # a counter near the end of its range: it reaches the rollover value
                        # exactly at the fault start (earlier readings sit just below it)
                        out[n] = np.mod(out[n] - base[n] + wrap, wrap)

    def at_unfaulted(self, t: float, names: list[str]) -> dict[str, float]:
        prim = self.plant.primary(self.spec.id, np.array([t]))
        return {n: float(self._quantity(n, prim.rate, prim.total, np.array([t]))[0]) for n in names}

    def _rollover(self, name: str) -> float:
        for p in self.profile.points:
            if p.name == name and p.rollover_value:
                return p.rollover_value
        for d in self.profile.derived:
            if d.name == name and d.rollover:
                return d.rollover
        if any(p.name == name and p.type.startswith("int") for p in self.profile.points):
            p = self.profile.point(name)
            return float((1 << (16 * p.count - 1)) * p.scale)
        return 1_000_000.0  # float registers: a display wraps at 6 digits (documented fallback)


def _first(out: dict[str, np.ndarray], names: tuple[str, ...]) -> str:
    for n in names:
        if n in out:
            return n
    return next(iter(out))
