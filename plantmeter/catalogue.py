"""The sector catalogue: typical plants, meters and cleaner-production options, with sources.

``load_catalogue()`` reads ``catalogue.yaml`` next to this module (or a file given), validated
by the models below (``extra="forbid"``; errors name ``file:line: field``). Every option names a
source of the catalogue's ``sources``; ``assumption: true`` marks a figure that is engineering
judgement rather than a published number. One source of truth for two readers, like the device
profiles: the simulator's portfolio generator builds plants from it, and the option audit
lists what "plants like yours also implemented" (a site's ``site.sector``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .config import Ident
from .yamlconf import load_yaml_model

__all__ = [
    "CATALOGUE",
    "Catalogue",
    "CatalogueMeter",
    "CatalogueOption",
    "Sector",
    "SectorProduction",
    "load_catalogue",
]

CATALOGUE = Path(__file__).with_name("catalogue.yaml")
"""The catalogue shipped with the simulator."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SectorProduction(_Model):
    """The sector's production driver: what is counted, in which unit, on a full working day."""

    name: str
    unit: str
    per_day: float = Field(gt=0)


class CatalogueMeter(_Model):
    """A typical meter of the sector and its own load (kW or m3/h, per unit of production):
    ``load`` in the simulator's scenario format (``firmware_sim.scenario.LoadSpec``, which
    the generator validates it with)."""

    id: Ident
    kind: Literal["electricity", "water"]
    profile: str
    load: dict[str, Any]


class CatalogueOption(_Model):
    """A typical option: the meter it saves on and by how much (relative), with its source."""

    id: Ident
    title: str
    level: Literal["housekeeping", "low-cost", "investment"]
    meter: str
    saving: float = Field(gt=0, lt=1, description="relative reduction of the meter's own load")
    investment: float = Field(ge=0)
    lifetime_years: int = Field(ge=1, le=40)
    source: str
    assumption: bool = False
    note: str = ""


class Sector(_Model):
    """One sector: its production driver, meters and options."""

    title: str
    production: SectorProduction
    cooling: bool = Field(description="whether outdoor temperature drives a load (a baseline term)")
    meters: list[CatalogueMeter] = Field(min_length=1)
    options: list[CatalogueOption] = Field(min_length=1)

    @model_validator(mode="after")
    def _options_on_meters(self) -> Sector:
        ids = [m.id for m in self.meters]
        for i, o in enumerate(self.options):
            if o.meter not in ids:
                raise ValueError(
                    f"options[{i}].meter: {o.meter!r} is not one of the sector's meters "
                    f"({', '.join(ids)})"
                )
        return self


class Catalogue(_Model):
    """Sources by key and sectors by id."""

    sources: dict[str, str]
    sectors: dict[str, Sector] = Field(min_length=1)

    @model_validator(mode="after")
    def _sources_known(self) -> Catalogue:
        for sid, sector in self.sectors.items():
            for i, o in enumerate(sector.options):
                if o.source not in self.sources:
                    raise ValueError(
                        f"sectors.{sid}.options[{i}].source: {o.source!r} is not in sources "
                        f"({', '.join(self.sources)}); add it there"
                    )
        return self

    def implemented_by_peers(self, sector: str) -> list[CatalogueOption]:
        """The sector's typical options (unknown sector: none)."""
        found = self.sectors.get(sector)
        return list(found.options) if found is not None else []

    def source(self, option: CatalogueOption) -> str:
        """The option's source text, with "(assumption)" when the figure is one."""
        text = " ".join(self.sources[option.source].split())
        return f"{text} (assumption: {option.note})" if option.assumption else text


def load_catalogue(path: str | Path | None = None) -> Catalogue:
    """The catalogue at ``path`` (default: the one shipped, ``CATALOGUE``)."""
    return load_yaml_model(Path(path) if path is not None else CATALOGUE, Catalogue)
