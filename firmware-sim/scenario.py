"""The scenario file: the plant the simulator runs (buses, meters, loads, drivers, events, faults).

``load_scenario(path)`` validates the YAML with the models below (``extra="forbid"``) and raises
``ScenarioError`` with one line per problem naming ``file:line: field: message``. Times without
an offset are local time of ``site.timezone``; a bare date means local midnight.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from plantmeter.config import Ident, TimeZoneName
from plantmeter.durations import Duration
from plantmeter.errors import ConfigError, ScenarioError
from plantmeter.i18n import _
from plantmeter.profile import available_profiles
from plantmeter.yamlconf import load_yaml_model

__all__ = [
    "BusSpec",
    "CipSpec",
    "CpOption",
    "Fault",
    "FaultType",
    "LoadSpec",
    "MeterSpec",
    "ProductionSpec",
    "Scenario",
    "ShiftSpec",
    "SiteSpec",
    "UnexplainedSpec",
    "WeatherSpec",
    "load_scenario",
]

logger = logging.getLogger(__name__)

When = datetime | date
FaultType = Literal[
    "timeout",
    "slow_response",
    "exception",
    "stuck",
    "counter_rollover",
    "meter_replacement",
    "spike",
    "leak",
    "drift",
    "bus_dropout",
]
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SiteSpec(_Model):
    """Which plant this is and its clock."""

    id: Ident
    name: str = ""
    timezone: TimeZoneName = "UTC"
    grid_voltage: float = Field(default=230.0, gt=0, description="line-to-neutral volts")
    grid_frequency: float = Field(default=60.0, gt=0)


class BusSpec(_Model):
    """A simulated Modbus line: its own TCP port (``port: 0`` picks a free one), or a serial device."""

    id: Ident
    transport: Literal["tcp", "rtu-over-tcp", "rtu"] = "tcp"
    port: int = Field(default=0, ge=0, le=65535)
    device: str | None = Field(default=None, description="serial device (e.g. a socat pty) for rtu")
    baudrate: int = Field(default=9600, gt=0)

    @model_validator(mode="after")
    def _serial_needs_device(self) -> BusSpec:
        if self.transport == "rtu" and not self.device:
            raise ValueError(
                _("bus {bus} uses rtu: set device (a serial port or pty path)").format(
                    bus=repr(self.id)
                )
            )
        return self


class ShiftSpec(_Model):
    """A production shift, local time; ``end`` before ``start`` runs past midnight."""

    start: time
    end: time
    days: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = list(_WEEKDAYS[:5])


class ProductionSpec(_Model):
    """Units produced per day, spread evenly over the day's shift hours."""

    per_day: float = Field(ge=0, description="units on a full working day")
    seasonal: float = Field(default=0.0, ge=0, lt=1, description="relative amplitude over the year")
    peak_day: int = Field(default=100, ge=1, le=366, description="day of year with most production")
    noise: float = Field(default=0.05, ge=0, lt=1, description="relative day-to-day spread")
    day_factor: dict[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"], float] = {}


class WeatherSpec(_Model):
    """Outdoor temperature: seasonal + daily cycle + day-to-day and minute noise (degC)."""

    mean: float = 22.0
    seasonal_amplitude: float = 3.0
    hottest_day: int = Field(default=110, ge=1, le=366)
    daily_amplitude: float = 5.0
    day_noise: float = Field(default=1.5, ge=0)
    noise: float = Field(default=0.2, ge=0)


class CipSpec(_Model):
    """Cleaning-in-place: a fixed flow for ``duration`` after every shift ends."""

    flow: float = Field(gt=0, description="m3/h while cleaning")
    duration: Duration = 2700.0


class UnexplainedSpec(_Model):
    """Day-to-day variation that no driver explains (product mix, staff, weather effects beyond
    the outdoor temperature...): a meter's own load is multiplied by ``1 + u_d`` on day ``d``,
    with ``u`` an AR(1) series over days, ``u_d = rho u_(d-1) + sqrt(1 - rho^2) cv e_d``,
    ``e_d`` ~ N(0, 1). Real plants' daily baselines show 5-15 % (CV) that the drivers leave
    unexplained, correlated from one day to the next; the per-step ``noise`` averages out
    to ~0.1 % a day, which alone would make every savings interval look far too sure."""

    cv: float = Field(
        default=0.08, ge=0, lt=0.5, description="standard deviation of u (0.08 = 8 %)"
    )
    rho: float = Field(default=0.5, gt=-1, lt=1, description="lag-1 correlation of u between days")


class LoadSpec(_Model):
    """A meter's own load; electricity in kW, water in m3/h."""

    base: float = Field(default=0.0, ge=0, description="always on")
    shift: float = Field(default=0.0, ge=0, description="extra while a shift runs")
    per_unit: float = Field(default=0.0, ge=0, description="kWh or m3 per unit produced")
    cooling: float = Field(default=0.0, ge=0, description="extra per degC above balance_temp")
    balance_temp: float = 16.0
    noise: float = Field(default=0.03, ge=0, lt=1, description="relative minute-to-minute spread")
    cip: CipSpec | None = None
    unexplained: UnexplainedSpec | None = Field(
        default=None, description="this meter's day-to-day variation; default: the scenario's"
    )


class MeterSpec(_Model):
    """A simulated meter: where it sits, which profile it speaks, what it measures."""

    id: Ident
    bus: str
    unit_id: int = Field(ge=1, le=247)
    profile: str
    kind: Literal["electricity", "water", "temperature", "production"]
    load: LoadSpec = LoadSpec()
    includes: list[str] = Field(
        default=[], description="sub-meters whose consumption this one also measures"
    )
    initial: float = Field(default=0.0, ge=0, description="counter reading at the scenario start")
    power_factor: float = Field(default=0.92, gt=0, le=1)
    word_order: Literal["big", "little"] | None = None

    @field_validator("profile")
    @classmethod
    def _known_profile(cls, value: str) -> str:
        if value not in available_profiles():
            raise ValueError(
                _("unknown profile {profile}; use one of {profiles}").format(
                    profile=repr(value), profiles=", ".join(available_profiles())
                )
            )
        return value


class CpOption(_Model):
    """A cleaner-production option: from ``date`` the meter's own load changes by ``change``."""

    id: Ident
    title: str = ""
    level: Literal["housekeeping", "low-cost", "investment"]
    meter: str
    date: When
    change: float = Field(gt=-1, lt=1, description="relative change, e.g. -0.12 for 12 % less")


class Fault(_Model):
    """A scheduled misbehaviour of one meter (or of a whole bus for ``bus_dropout``)."""

    type: FaultType
    meter: str | None = None
    bus: str | None = None
    start: When
    duration: Duration | None = Field(default=None, description="omit for 'until the end'")
    quantity: str | None = Field(default=None, description="stuck/spike/rollover: which quantity")
    delay: Duration = 2.0
    code: int = Field(default=4, ge=1, le=11, description="exception: the Modbus exception code")
    factor: float = 10.0
    flow: float = Field(default=0.3, gt=0, description="leak: m3/h that never stops")
    rate: float = Field(
        default=0.01, gt=0, lt=1, description="drift: the load grows by this fraction a day"
    )

    @model_validator(mode="after")
    def _target(self) -> Fault:
        if self.type == "bus_dropout":
            if not self.bus:
                raise ValueError(_("bus_dropout needs bus: the bus id that goes silent"))
        elif not self.meter:
            raise ValueError(
                _("{type} needs meter: the meter id it happens to").format(type=self.type)
            )
        return self


class Scenario(_Model):
    """A simulated plant over a run from ``start`` to ``end``."""

    site: SiteSpec
    start: When
    end: When
    seed: int = 0
    step: Duration = Field(
        default=60.0, description="model resolution; power is constant within a step"
    )
    simulate_response_time: bool = Field(
        default=False, description="wait each profile's min_response_time"
    )
    weather: WeatherSpec = WeatherSpec()
    unexplained: UnexplainedSpec = Field(
        default=UnexplainedSpec(),
        description="day-to-day variation the drivers do not explain, for every consumption meter",
    )
    production: ProductionSpec = ProductionSpec(per_day=0.0)
    shifts: list[ShiftSpec] = []
    holidays: list[date] = []
    buses: list[BusSpec] = Field(min_length=1)
    meters: list[MeterSpec] = Field(min_length=1)
    options: list[CpOption] = []
    faults: list[Fault] = []

    def utc(self, when: When) -> datetime:
        """``when`` as an aware UTC datetime (naive values and dates are site-local)."""
        if not isinstance(when, datetime):
            when = datetime.combine(when, time())
        if when.tzinfo is None:
            when = when.replace(tzinfo=ZoneInfo(self.site.timezone))
        return when.astimezone(UTC)

    def epoch(self, when: When) -> float:
        return self.utc(when).timestamp()

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.site.timezone)

    def meter(self, meter_id: str) -> MeterSpec:
        for m in self.meters:
            if m.id == meter_id:
                return m
        raise KeyError(meter_id)

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        t0, t1 = self.epoch(self.start), self.epoch(self.end)
        if t1 <= t0:
            raise ValueError(_("end: the run must end after it starts"))
        if 86400 % self.step or self.step < 1:
            raise ValueError(_("step: must divide a day into whole steps (e.g. 10s, 1m, 5m)"))
        buses = {b.id: b for b in self.buses}
        _unique("buses", [b.id for b in self.buses])
        _unique("meters", [m.id for m in self.meters])
        ports: dict[int, str] = {}
        for i, b in enumerate(self.buses):
            if b.port and b.port in ports:
                raise ValueError(
                    _("buses[{i}].port: port {port} is already used by bus {bus}").format(
                        i=i, port=b.port, bus=repr(ports[b.port])
                    )
                )
            ports[b.port] = b.id
        ids = [m.id for m in self.meters]
        seen: dict[tuple[str, int], str] = {}
        for i, m in enumerate(self.meters):
            if m.bus not in buses:
                raise ValueError(
                    _("meters[{i}].bus: bus {bus} is not defined; use one of {buses}").format(
                        i=i, bus=repr(m.bus), buses=", ".join(buses)
                    )
                )
            key = (m.bus, m.unit_id)
            if key in seen:
                raise ValueError(
                    _(
                        "meters[{i}].unit_id: meters {first} and {second} both answer unit id "
                        "{unit_id} on bus {bus} (port {port}); give each its own unit id"
                    ).format(
                        i=i,
                        first=repr(seen[key]),
                        second=repr(m.id),
                        unit_id=m.unit_id,
                        bus=repr(m.bus),
                        port=buses[m.bus].port,
                    )
                )
            seen[key] = m.id
            for j, sub in enumerate(m.includes):
                if sub not in ids or sub == m.id:
                    raise ValueError(
                        _(
                            "meters[{i}].includes[{j}]: {meter} is not another meter of this "
                            "scenario"
                        ).format(i=i, j=j, meter=repr(sub))
                    )
        for i, o in enumerate(self.options):
            if o.meter not in ids:
                raise ValueError(
                    _("options[{i}].meter: {meter} is not a meter of this scenario").format(
                        i=i, meter=repr(o.meter)
                    )
                )
            if not t0 <= self.epoch(o.date) < t1:
                raise ValueError(
                    _("options[{i}].date: {date} is outside the run {start}..{end}").format(
                        i=i, date=o.date, start=self.start, end=self.end
                    )
                )
        for i, f in enumerate(self.faults):
            if f.meter is not None and f.meter not in ids:
                raise ValueError(
                    _("faults[{i}].meter: {meter} is not a meter of this scenario").format(
                        i=i, meter=repr(f.meter)
                    )
                )
            if f.bus is not None and f.bus not in buses:
                raise ValueError(
                    _("faults[{i}].bus: {bus} is not a bus of this scenario").format(
                        i=i, bus=repr(f.bus)
                    )
                )
            if not t0 <= self.epoch(f.start) < t1:
                raise ValueError(
                    _(
                        "faults[{i}].start: {start} is outside the run {run_start}..{run_end}"
                    ).format(i=i, start=f.start, run_start=self.start, run_end=self.end)
                )
        return self


def _unique(field: str, ids: list[str]) -> None:
    for index, ident in enumerate(ids):
        if ident in ids[:index]:
            raise ValueError(
                _("{field}[{index}].id: duplicate id {id}; ids must be unique").format(
                    field=field, index=index, id=repr(ident)
                )
            )


def load_scenario(path: str | Path) -> Scenario:
    """Load and validate a scenario file; ScenarioError names file:line, field and fix."""
    try:
        return load_yaml_model(path, Scenario)
    except ScenarioError:
        raise
    except ConfigError as exc:
        raise ScenarioError(str(exc)) from None
