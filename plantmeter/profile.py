"""Device profiles: the register map of one meter model, typed and checked.

A profile lists the meter's points (quantity name, unit, function code, 0-based PDU
address, data type, word order, scale, gauge or counter) and the device's quirks
(how many registers one request may read, whether unmapped gaps answer "Illegal
Data Address", how fast it answers). Both the gateway and the simulator use it.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .durations import Duration
from .errors import ProfileError
from .i18n import _
from .profiles import PROFILE_FILES, profile_text
from .registers import register_count
from .yamlconf import format_validation_error, load_yaml_model

__all__ = [
    "DeviceProfile",
    "Derived",
    "Point",
    "Quirks",
    "SourceDocument",
    "available_profiles",
    "load_profile",
    "load_profile_file",
]

Category = Literal[
    "electricity_meter", "flow_meter", "temperature_sensor", "production_counter", "pulse_counter"
]


class Point(BaseModel):
    """One quantity the device exposes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$", description="canonical quantity name")
    unit: str
    fc: Literal[3, 4] = Field(description="3 = holding registers, 4 = input registers")
    address: int = Field(ge=0, le=0xFFFF, description="0-based PDU address")
    type: Literal["int16", "uint16", "int32", "uint32", "int64", "uint64", "float32", "float64"]
    word_order: Literal["big", "little"] = "big"
    scale: float = 1.0
    kind: Literal["gauge", "counter"] = "gauge"
    rollover: float | None = Field(
        default=None,
        description="value at which a counter wraps to zero; defaults to the integer type's range x scale",
    )
    max_rate: float | None = Field(
        default=None,
        gt=0,
        description="counter: the largest plausible increase per hour (unit per hour), from the "
        "model's rated maximum; unset = unknown (see plantmeter.counters)",
    )
    min: float | None = Field(default=None, description="smallest plausible value")
    max: float | None = Field(default=None, description="largest plausible value")
    source: str = ""
    ref: str = Field(
        default="",
        description="where in the source: table or section, the row as the document labels it, "
        "and the address it prints (e.g. 'table 2.3-1, kWh (+) TOT, 0034h')",
    )
    note: str = ""

    @property
    def count(self) -> int:
        """Registers the point occupies."""
        return register_count(self.type)

    @property
    def rollover_value(self) -> float | None:
        """Where the counter wraps: explicit, else the register's non-negative integer range x scale.

        An unsigned register of n bits wraps at 2^n; a signed one (a cumulative counter never
        goes negative) can only count up to 2^(n-1) - 1 before it leaves its range, so 2^(n-1).
        Float registers have no range of their own: None unless the profile states ``rollover``.
        """
        if self.kind != "counter":
            return None
        if self.rollover is not None:
            return self.rollover
        bits = 16 * self.count
        if self.type.startswith("uint"):
            return float((1 << bits) * self.scale)
        if self.type.startswith("int"):
            return float((1 << (bits - 1)) * self.scale)
        return None


class Derived(BaseModel):
    """A quantity the device splits over several points, read as their sum.

    The TUF-2000 flow meter keeps its totaliser as an integer part (int32) and a decimal
    fraction (float32) in two points; ``volume_total = volume_forward_int +
    volume_forward_frac``. A reader decodes the parts and publishes the sum under ``name``;
    a simulator serves floor(value) in the integer part and the remainder in the float part.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$", description="canonical quantity name")
    unit: str
    kind: Literal["gauge", "counter"] = "counter"
    sum: list[str] = Field(min_length=2, description="names of the points summed into the value")
    rollover: float | None = None
    max_rate: float | None = Field(
        default=None, gt=0, description="counter: the largest plausible increase per hour"
    )
    source: str = ""
    ref: str = ""
    note: str = ""


class SourceDocument(BaseModel):
    """A document a profile's numbers come from, and how much of it was actually read.

    ``by: manufacturer`` is the maker's own protocol document or manual (or its authorised
    distributor's co-branded manual); ``third-party`` is anyone else's transcription (a
    driver's source code, a register database). ``read`` says which pages or rows were
    seen, so a reviewer knows what is checked and what is carried over.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str = Field(min_length=3)
    publisher: str = Field(min_length=2)
    by: Literal["manufacturer", "third-party"]
    version: str = ""
    date: str = ""
    where: str = Field(default="", description="URL, file name or repository@commit")
    read: str = Field(default="", description="what of it was read for this profile")


class Quirks(BaseModel):
    """How the real device behaves on the wire."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_registers: int = Field(
        default=125, ge=1, le=125, description="registers one request may read"
    )
    gaps_readable: bool = Field(
        default=False,
        description="True if unmapped addresses between points read as zeros; False if they answer "
        "exception 02 (Illegal Data Address), so requests must not span them",
    )
    min_response_time: Duration = Field(
        default=0.0, description="the device's typical answer delay"
    )
    exception_for_unmapped: int = Field(default=2, ge=1, le=11)


class DeviceProfile(BaseModel):
    """A meter model's register map."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    manufacturer: str
    model: str
    category: Category
    covers: list[str] = []
    datasheet_offset: int = 0
    sources: dict[str, str | SourceDocument] = Field(
        min_length=1, description="where every address comes from"
    )
    verified: str = ""
    quirks: Quirks = Quirks()
    points: list[Point] = Field(min_length=1)
    derived: list[Derived] = []

    @field_validator("points")
    @classmethod
    def _unique_names(cls, points: list[Point]) -> list[Point]:
        seen: set[str] = set()
        for p in points:
            if p.name in seen:
                raise ValueError(
                    _("point name {name} appears twice; each quantity once").format(
                        name=repr(p.name)
                    )
                )
            seen.add(p.name)
        return points

    @model_validator(mode="after")
    def _consistent(self) -> DeviceProfile:
        items: list[Point | Derived] = [*self.points, *self.derived]
        for item in items:
            if item.source and item.source not in self.sources:
                raise ValueError(
                    _("{name} cites source {source}, not listed in sources").format(
                        name=repr(item.name), source=repr(item.source)
                    )
                )
        for p in self.points:
            if p.count > self.quirks.max_registers:
                raise ValueError(
                    _("point {name} needs {count} registers, above max_registers").format(
                        name=repr(p.name), count=p.count
                    )
                )
        for fc in (3, 4):
            spans = sorted(
                (p.address, p.address + p.count, p.name) for p in self.points if p.fc == fc
            )
            for (_a0, a1, n0), (b0, _b1, n1) in zip(spans, spans[1:], strict=False):
                if b0 < a1:
                    raise ValueError(
                        _("points {first} and {second} overlap at address {address}").format(
                            first=repr(n0), second=repr(n1), address=f"{b0:#06x}"
                        )
                    )
        names = {p.name for p in self.points}
        for d in self.derived:
            if d.name in names:
                raise ValueError(
                    _("derived {name} has the name of a point; give it its own name").format(
                        name=repr(d.name)
                    )
                )
            missing = [part for part in d.sum if part not in names]
            if missing:
                raise ValueError(
                    _("derived {name} sums {missing}, which are not points here").format(
                        name=repr(d.name), missing=missing
                    )
                )
        return self

    def point(self, name: str) -> Point:
        """The point called ``name`` (KeyError when absent)."""
        for p in self.points:
            if p.name == name:
                return p
        raise KeyError(name)

    @property
    def quantities(self) -> list[str]:
        """Every quantity the device yields: its points, then its derived quantities."""
        return [p.name for p in self.points] + [d.name for d in self.derived]

    @property
    def counters(self) -> list[Point]:
        """The cumulative counters (energy, volume, production)."""
        return [p for p in self.points if p.kind == "counter"]


def available_profiles() -> list[str]:
    """Ids of the registered profiles."""
    return sorted(PROFILE_FILES)


@cache
def load_profile(profile_id: str) -> DeviceProfile:
    """Load a registered profile by id; ProfileError lists the known ids when it is unknown."""
    if profile_id not in PROFILE_FILES:
        known = ", ".join(available_profiles())
        raise ProfileError(
            _("unknown profile {profile}; known profiles: {known}").format(
                profile=repr(profile_id), known=known
            )
        )
    text = profile_text(profile_id)
    name = f"plantmeter/profiles/{PROFILE_FILES[profile_id]}"
    try:
        data = yaml.safe_load(text)
        profile = DeviceProfile.model_validate(data)
    except ValidationError as exc:
        raise ProfileError(format_validation_error(Path(name), exc, yaml.compose(text))) from None
    if profile.id != profile_id:
        raise ProfileError(
            _("{file}: id {id} differs from its registry key {key}").format(
                file=name, id=repr(profile.id), key=repr(profile_id)
            )
        )
    return profile


def load_profile_file(path: str | Path) -> DeviceProfile:
    """Load a site's own profile file (for a meter model not in the library)."""
    try:
        return load_yaml_model(path, DeviceProfile)
    except ProfileError:
        raise
    except Exception as exc:  # ConfigError from the loader: re-raise as ProfileError
        raise ProfileError(str(exc)) from None
