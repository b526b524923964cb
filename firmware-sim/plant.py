"""The plant model: a pure, deterministic function from (scenario, seed, time) to what each meter measures.

Time is cut into steps (``scenario.step``, 1 minute by default). Within a step every rate (kW,
m3/h, units/h) is constant, so a counter is the exact integral of its rate: ``kWh(t) = initial +
sum(P_k * dt_k) / 3600`` over the steps before ``t`` plus the part of the current step. Counters
and gauges therefore always agree.

Steps are computed a day (86 400 s from the scenario start) at a time, each day from its own
random stream ``default_rng([seed, day])``, so any day can be recomputed alone and the live server
and the history generator see the same plant.

Each consumption meter's own load is multiplied by its day's unexplained-variation factor
(``variation.DailyVariation``, the scenario's ``unexplained``), before any option applies. The
factor depends only on the seed, the meter and the day, never on the options: the same scenario
without an option is that option's exact counterfactual, and the true saving of an option is the
difference of the two runs (``change`` times the counterfactual own load after its date).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import UTC

import numpy as np

from .scenario import Fault, MeterSpec, Scenario
from .variation import DailyVariation

__all__ = ["Plant", "Primary"]

logger = logging.getLogger(__name__)

DAY = 86400


@dataclass(frozen=True)
class Primary:
    """A meter's primary signal at some times: its rate and its integral (cumulative)."""

    rate: np.ndarray  # kW, m3/h, degC or units/h
    total: np.ndarray  # kWh, m3 or units (0 for a temperature sensor), counter start included


class Plant:
    """The simulated plant of a scenario. Pure apart from caches; ``add_fault`` for leaks at run time."""

    def __init__(self, scenario: Scenario, seed: int | None = None) -> None:
        self.scenario = scenario
        self.seed = scenario.seed if seed is None else seed
        self.t0 = scenario.epoch(scenario.start)
        self.step = float(scenario.step)
        self.steps_per_day = int(DAY // self.step)
        self.meter_ids = [m.id for m in scenario.meters]
        self._specs = {m.id: m for m in scenario.meters}
        self._order = _evaluation_order(scenario.meters)
        self._options = [(o.meter, scenario.epoch(o.date), o.change) for o in scenario.options]
        self._leaks: list[tuple[str, float, float, float]] = []
        self._drifts: list[tuple[str, float, float, float]] = []
        for f in scenario.faults:
            if f.type in ("leak", "drift"):
                self._add_physical(f)
        self._variation = {
            m.id: DailyVariation(m.load.unexplained or scenario.unexplained, self.seed, i)
            for i, m in enumerate(scenario.meters)
        }
        self._blocks: dict[int, dict[str, np.ndarray]] = {}
        self._day_start_totals: list[dict[str, float]] = [
            {m.id: (m.initial if m.kind != "temperature" else 0.0) for m in scenario.meters}
        ]

    # ------------------------------------------------------------------ public

    def primary(self, meter_id: str, times: np.ndarray) -> Primary:
        """Rate and cumulative total of ``meter_id`` at epoch ``times`` (seconds, ascending or not)."""
        times = np.asarray(times, dtype=float)
        rel = np.maximum(times - self.t0, 0.0)
        step_index = np.floor(rel / self.step).astype(np.int64)
        days = step_index // self.steps_per_day
        rate = np.empty(times.shape)
        total = np.empty(times.shape)
        per_hour = self.step / 3600.0
        for day in np.unique(days):
            sel = days == day
            block = self.block(int(day))[meter_id]
            within = step_index[sel] - day * self.steps_per_day
            cum = np.concatenate(([0.0], np.cumsum(block) * per_hour))
            frac = (rel[sel] - step_index[sel] * self.step) / 3600.0
            rate[sel] = block[within]
            total[sel] = (
                self.day_start_total(int(day), meter_id) + cum[within] + block[within] * frac
            )
        if self._specs[meter_id].kind == "temperature":
            total[:] = 0.0
        return Primary(rate=rate, total=total)

    def block(self, day: int) -> dict[str, np.ndarray]:
        """Per-step rates of every meter over day ``day`` of the run (cached)."""
        if day not in self._blocks:
            if len(self._blocks) > 64:
                self._blocks.pop(next(iter(self._blocks)))
            self._blocks[day] = self._compute_block(day)
        return self._blocks[day]

    def day_start_total(self, day: int, meter_id: str) -> float:
        """Cumulative total of ``meter_id`` at the start of day ``day``."""
        per_hour = self.step / 3600.0
        while len(self._day_start_totals) <= day:
            d = len(self._day_start_totals) - 1
            block = self._compute_block(d) if d not in self._blocks else self._blocks[d]
            prev = self._day_start_totals[d]
            self._day_start_totals.append(
                {m: prev[m] + float(np.sum(block[m])) * per_hour for m in self.meter_ids}
            )
        return self._day_start_totals[day][meter_id]

    def drivers(self, times: np.ndarray) -> dict[str, np.ndarray]:
        """Outdoor temperature (degC) and production rate (units/h) at ``times``."""
        times = np.asarray(times, dtype=float)
        step_index = np.floor(np.maximum(times - self.t0, 0.0) / self.step).astype(np.int64)
        days = step_index // self.steps_per_day
        out = {"temperature": np.empty(times.shape), "production_rate": np.empty(times.shape)}
        for day in np.unique(days):
            sel = days == day
            within = step_index[sel] - day * self.steps_per_day
            temp, prod, _shift, _cip = self._drivers_for_day(int(day))
            out["temperature"][sel] = temp[within]
            out["production_rate"][sel] = prod[within]
        return out

    def unexplained(self, meter_id: str, day: int) -> float:
        """The factor on ``meter_id``'s own load on day ``day`` of the run (1 + u_day, >= 0)."""
        return self._variation[meter_id].multiplier(day)

    def add_fault(self, fault: Fault) -> None:
        """Add a physical fault (a leak, a drift) at run time; later days are recomputed."""
        if fault.type not in ("leak", "drift"):
            return
        start = self._add_physical(fault)
        first = int(max(start - self.t0, 0) // DAY)
        for day in [d for d in self._blocks if d >= first]:
            del self._blocks[day]
        del self._day_start_totals[first + 1 :]

    # ----------------------------------------------------------------- private

    def _add_physical(self, fault: Fault) -> float:
        assert fault.meter is not None
        start = self.scenario.epoch(fault.start)
        end = start + fault.duration if fault.duration is not None else math.inf
        if fault.type == "drift":
            self._drifts.append((fault.meter, start, end, fault.rate))
        else:
            self._leaks.append((fault.meter, start, end, fault.flow))
        return start

    def _step_times(self, day: int) -> np.ndarray:
        return self.t0 + day * DAY + np.arange(self.steps_per_day) * self.step

    def _day_offset(self, day: int) -> float:
        """The weather offset of ``day`` (°C), from its own random stream so any day stands alone."""
        rng = np.random.default_rng([self.seed, day, 1])
        return float(rng.normal(0, self.scenario.weather.day_noise))

    def _drivers_for_day(self, day: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(temperature, production rate, shift on 0/1, CIP on 0/1) per step of ``day``."""
        sc = self.scenario
        rng = np.random.default_rng([self.seed, day, 0])
        times = self._step_times(day)
        local = _local_fields(times, sc)
        hour, weekday, doy, local_date = local
        w = sc.weather
        seasonal = w.seasonal_amplitude * np.cos(2 * np.pi * (doy - w.hottest_day) / 365.25)
        daily = w.daily_amplitude * np.cos(2 * np.pi * (hour - 15.0) / 24.0)
        # the weather's day-to-day wander: one random offset per day, blended linearly into the
        # next day's so the temperature has no step at midnight
        fraction = np.arange(times.size) / times.size
        wander = (1 - fraction) * self._day_offset(day) + fraction * self._day_offset(day + 1)
        temp = w.mean + seasonal + daily + wander + rng.normal(0, w.noise, times.shape)

        holidays = {h.toordinal() for h in sc.holidays}
        is_holiday = (
            np.isin(local_date, list(holidays)) if holidays else np.zeros(times.shape, bool)
        )
        shift_on = np.zeros(times.shape, dtype=bool)
        cip_on = np.zeros(times.shape, dtype=bool)
        names = np.array(["mon", "tue", "wed", "thu", "fri", "sat", "sun"])[weekday]
        for shift in sc.shifts:
            h0 = shift.start.hour + shift.start.minute / 60
            h1 = shift.end.hour + shift.end.minute / 60
            on_day = np.isin(names, shift.days) & ~is_holiday
            inside = (hour >= h0) & (hour < h1) if h1 > h0 else (hour >= h0) | (hour < h1)
            shift_on |= on_day & inside
            for meter in sc.meters:
                if meter.load.cip is not None:
                    dur_h = meter.load.cip.duration / 3600
                    after = (hour - h1) % 24
                    cip_on |= on_day & (after < dur_h)
        p = sc.production
        factor = np.array(
            [p.day_factor.get(n, 1.0) for n in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")]
        )
        day_level = p.per_day * (1 + p.seasonal * np.cos(2 * np.pi * (doy - p.peak_day) / 365.25))
        day_level = day_level * max(0.0, 1 + rng.normal(0, p.noise)) * factor[weekday]
        shift_hours = max(sum(_shift_hours(s) for s in sc.shifts), 1e-9)
        prod = np.where(shift_on, day_level / shift_hours, 0.0)
        return temp, prod, shift_on.astype(float), cip_on.astype(float)

    def _compute_block(self, day: int) -> dict[str, np.ndarray]:
        temp, prod, shift_on, cip_on = self._drivers_for_day(day)
        times = self._step_times(day)
        out: dict[str, np.ndarray] = {}
        for index, meter_id in enumerate(self._order):
            spec = self._specs[meter_id]
            rng = np.random.default_rng([self.seed, day, 1 + self.meter_ids.index(meter_id)])
            del index
            if spec.kind == "temperature":
                out[meter_id] = temp.copy()
                continue
            if spec.kind == "production":
                out[meter_id] = prod.copy()
                continue
            load = spec.load
            own = (
                load.base
                + load.shift * shift_on
                + load.per_unit * prod
                + load.cooling * np.maximum(temp - load.balance_temp, 0.0)
            )
            if load.cip is not None:
                own = own + load.cip.flow * cip_on
            own = own * np.maximum(1 + rng.normal(0, load.noise, times.shape), 0.0)
            own = own * self.unexplained(meter_id, day)
            for meter, when, change in self._options:
                if meter == meter_id:
                    own = np.where(times >= when, own * (1 + change), own)
            for meter, start, end, rate in self._drifts:
                if meter == meter_id:  # fouling, wear: the load creeps up by rate a day
                    grown = 1 + rate * np.maximum(times - start, 0.0) / DAY
                    own = np.where((times >= start) & (times < end), own * grown, own)
            for meter, start, end, flow in self._leaks:
                if meter == meter_id:
                    own = own + np.where((times + self.step > start) & (times < end), flow, 0.0)
            for sub in spec.includes:
                own = own + out[sub]
            out[meter_id] = own
        return out


def _shift_hours(shift: object) -> float:
    s, e = shift.start, shift.end  # type: ignore[attr-defined]
    h = (e.hour + e.minute / 60) - (s.hour + s.minute / 60)
    return h if h > 0 else h + 24


def _local_fields(times: np.ndarray, sc: Scenario) -> tuple[np.ndarray, ...]:
    """Local hour (float), weekday (0 = Monday), day of year and date ordinal of each time."""
    from datetime import datetime

    zone = sc.zone
    first = datetime.fromtimestamp(float(times[0]), UTC).astimezone(zone)
    last = datetime.fromtimestamp(float(times[-1]), UTC).astimezone(zone)
    if first.utcoffset() == last.utcoffset():  # no DST change inside the day: one offset for all
        offset = first.utcoffset()
        assert offset is not None
        local = times + offset.total_seconds()
    else:
        local = np.array(
            [
                t + datetime.fromtimestamp(t, UTC).astimezone(zone).utcoffset().total_seconds()  # type: ignore[union-attr]
                for t in times
            ]
        )
    days = np.floor(local / DAY).astype(np.int64)  # days since 1970-01-01 (a Thursday)
    hour = (local - days * DAY) / 3600.0
    weekday = (days + 3) % 7
    ordinal = days + 719163  # date(1970, 1, 1).toordinal()
    unique, inverse = np.unique(ordinal, return_inverse=True)
    year_start = np.array([date_ordinal_year_start(int(o)) for o in unique])
    doy = ordinal - year_start[inverse] + 1
    return hour, weekday, doy, ordinal


def date_ordinal_year_start(ordinal: int) -> int:
    from datetime import date

    return date(date.fromordinal(ordinal).year, 1, 1).toordinal()


def _evaluation_order(meters: list[MeterSpec]) -> list[str]:
    """Meters ordered so that sub-meters come before the meters that include them."""
    specs = {m.id: m for m in meters}
    order: list[str] = []
    visiting: set[str] = set()

    def visit(mid: str) -> None:
        if mid in order:
            return
        if mid in visiting:
            from plantmeter.errors import ScenarioError
            from plantmeter.i18n import _

            raise ScenarioError(
                _("meters: {meter} includes itself through its sub-meters").format(meter=repr(mid))
            )
        visiting.add(mid)
        for sub in specs[mid].includes:
            visit(sub)
        visiting.discard(mid)
        order.append(mid)

    for m in meters:
        visit(m.id)
    return order
