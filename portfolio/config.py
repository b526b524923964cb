"""The portfolio file: which sites (M&V plans) a fund or CP centre follows, and how to report them.

```yaml
name: CP centre revolving fund
month: 2025-03                        # the reporting month of every site
locale: es_GT                         # the report's language and number format (default en)
store: {url: "sqlite:///var/portfolio.db"}   # the sites' store, unless a site names its own
emission_factors:                     # kg CO2e per unit saved, per carrier; each with its source
  electricity: {value: 0.35, source: "national grid factor 2024 (IGES List of Grid Emission Factors)"}
  water: {value: 0.30, source: "utility's supply + wastewater treatment factor"}
sites:
  - plan: dairy-0001/mv-plan.yaml     # relative to this file
  - plan: /srv/plans/tannery/mv-plan.yaml
    store: {url: "influxdb://influx.local:8086/plantmeter"}
```

A carrier without a portfolio factor uses the plan's own ``emission_factors`` (agreed with the
site); with neither, its avoided CO2e is "not stated", never guessed. ``load_portfolio`` checks
every plan file exists and loads (``reports.load.load_plan``), and that no site appears twice:
a bad file fails before any cluster starts, naming ``file:line: key``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from plantmeter.errors import ConfigError
from plantmeter.i18n import check_locale
from plantmeter.yamlconf import load_yaml_model, read_yaml

__all__ = [
    "EmissionFactor",
    "LoadedPortfolio",
    "PortfolioFile",
    "SiteEntry",
    "SitePlan",
    "StoreRef",
    "load_portfolio",
]

Carrier = Literal["electricity", "water", "gas", "thermal"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StoreRef(_Model):
    """Where readings are: a store URL (``sqlite:///...``, ``influxdb://...``)."""

    url: str = Field(min_length=3)


class EmissionFactor(_Model):
    """kg CO2e avoided per unit saved (kWh, m3) of one carrier, and where the figure is from."""

    value: float = Field(ge=0, le=100)
    source: str = Field(min_length=3, description="the publication or agreement the value is from")


class SiteEntry(_Model):
    """One site of the portfolio: its M&V plan (the plan names its site file) and store."""

    plan: Path
    store: StoreRef | None = None


class PortfolioFile(_Model):
    """The portfolio file's content."""

    name: str = ""
    month: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM")
    locale: str = Field(default="en", description="the report's locale: es_GT, es_MX, pt_BR, en...")
    store: StoreRef | None = None
    emission_factors: dict[Carrier, EmissionFactor] = {}
    sites: list[SiteEntry] = Field(min_length=1)

    @field_validator("locale")
    @classmethod
    def _locale(cls, value: str) -> str:
        return check_locale(value)

    @field_validator("month", mode="before")
    @classmethod
    def _month_text(cls, value: object) -> object:
        return value if not hasattr(value, "strftime") else value.strftime("%Y-%m")


@dataclass(frozen=True)
class SitePlan:
    """A site ready for a task: its plan file (absolute) and the store URL it reads and writes."""

    site_id: str
    plan: Path
    store_url: str


@dataclass(frozen=True)
class LoadedPortfolio:
    """The validated portfolio: its file, content and sites in file order."""

    path: Path
    spec: PortfolioFile
    sites: tuple[SitePlan, ...]

    @property
    def month(self) -> str:
        return self.spec.month


def _site_lines(path: Path) -> list[int]:
    """1-based line of each ``sites`` item, for errors about a site."""
    import yaml

    _, node = read_yaml(path)
    if not isinstance(node, yaml.MappingNode):
        return []
    for key, value in node.value:
        if key.value == "sites" and isinstance(value, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value.value]
    return []


def load_portfolio(path: str | Path) -> LoadedPortfolio:
    """Validate the portfolio file and every plan it lists; ConfigError names file:line: key."""
    from reports.load import load_plan

    path = Path(path)
    spec = load_yaml_model(path, PortfolioFile)
    lines = _site_lines(path)
    seen: dict[str, int] = {}
    sites = []
    for i, entry in enumerate(spec.sites):
        where = f"{path}:{lines[i] if i < len(lines) else 1}: sites[{i}]"
        plan = entry.plan if entry.plan.is_absolute() else path.parent / entry.plan
        if not plan.is_file():
            raise ConfigError(
                f"{where}.plan: {plan} does not exist; give the M&V plan's path relative to "
                f"{path.name} or absolute"
            )
        store = entry.store or spec.store
        env = {"PLANTMETER_STORE_URL": store.url} if store is not None else {}
        try:
            loaded = load_plan(plan, environ=env)
        except ConfigError as exc:
            raise ConfigError(f"{where}.plan: {exc}") from None
        site_id = loaded.site.site.id
        if site_id in seen:
            raise ConfigError(
                f"{where}.plan: site {site_id!r} is already listed at sites[{seen[site_id]}]; "
                "list each site once"
            )
        seen[site_id] = i
        sites.append(SitePlan(site_id, plan.resolve(), loaded.store_url))
    return LoadedPortfolio(path, spec, tuple(sites))
