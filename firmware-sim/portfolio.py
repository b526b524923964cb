"""A portfolio of simulated plants from the sector catalogue, written straight into a store.

``generate_portfolio(n, out_dir, store, ...)`` builds ``n`` plants cycling through the
catalogue's sectors (dairy, textiles, tanning, sugar, coffee), each with its sector's meters, a
production counter and an outdoor temperature sensor, and every catalogue option implemented on
one date. For each plant it writes, under ``out_dir/<site-id>/``:

* ``scenario.yaml``: the simulator's description (the known truth: each option's real change);
* ``site.yaml``: the gateway's view of the same plant, its store the ``store_url`` given;
* ``mv-plan.yaml``: baseline period before the implementation date, the reporting period
  after it, a daily baseline per metered option (production, and temperature where the sector
  cools), flat tariffs, each option's promise at the catalogue's typical saving, one loan over
  all options;

and ``out_dir/portfolio.yaml`` listing the plans. The history (counters and temperature only,
what reports read) goes into ``store`` with ``write_rows`` in bulk, a plant at a time.

Each plant *realises* its options' typical saving times a factor drawn from
``realisation`` (default 0.4-1.2 of the promise), so some plants fall short: the ranking of a
portfolio report has something to rank. The drawn changes are in ``GeneratedPlant.true_change``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from plantmeter.catalogue import Catalogue, Sector, load_catalogue
from plantmeter.store import SeriesRow, SeriesStore

from .history import history_frame
from .scenario import LoadSpec, Scenario

__all__ = ["GeneratedPlant", "GeneratedPortfolio", "generate_portfolio", "plant_scenario"]

logger = logging.getLogger(__name__)

KEEP = ("energy_import_total", "volume_total", "production_total", "temperature")
"""The quantities written to the store: the counters and the temperature (what reports read)."""
TARIFFS = {"electricity": 0.12, "water": 2.10}  # USD/kWh and USD/m3: assumptions, flat
UNIT = {"electricity": "kwh", "water": "m3"}
ROWS_PER_WRITE = 20_000
ASSUMED_FACTOR = (
    "assumption of the simulated portfolio (the example dairy's plan factors); use the grid's "
    "official factor (e.g. IGES List of Grid Emission Factors) and the water utility's"
)


@dataclass(frozen=True)
class GeneratedPlant:
    """One generated plant: its files and the known truth."""

    site_id: str
    sector: str
    plan: Path
    site: Path
    scenario: Path
    true_change: dict[str, float]  # option id -> relative change of its meter's own load
    rows: int


@dataclass
class GeneratedPortfolio:
    """The portfolio file and its plants."""

    path: Path
    month: str
    plants: list[GeneratedPlant] = field(default_factory=list)


def _dump(path: Path, data: dict[str, Any], header: str) -> None:
    path.write_text(header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "utf-8")


def plant_scenario(
    sector_id: str,
    sector: Sector,
    site_id: str,
    start: date,
    end: date,
    implemented: date,
    rng: np.random.Generator,
    realisation: tuple[float, float],
    seed: int,
    step: str = "15m",
) -> dict[str, Any]:
    """The scenario (as YAML data) of one plant of ``sector``: size, weather and the realised
    option changes drawn from ``rng``."""
    size = float(rng.uniform(0.6, 1.6))
    meters: list[dict[str, Any]] = []
    for unit, m in enumerate(sector.meters, start=1):
        load = LoadSpec.model_validate(m.load).model_dump(mode="json", exclude_defaults=True)
        for key in ("base", "shift", "cooling"):
            if key in load:
                load[key] = round(load[key] * size, 4)
        if "cip" in load:
            load["cip"]["flow"] = round(load["cip"]["flow"] * size, 4)
        meters.append(
            {
                "id": m.id,
                "bus": "board-1",
                "unit_id": unit,
                "profile": m.profile,
                "kind": m.kind,
                "initial": float(round(rng.uniform(1000, 90000), 2)),
                "load": load,
            }
        )
    meters.append(
        {
            "id": "production",
            "bus": "board-1",
            "unit_id": 20,
            "profile": "ismacontrolli-sfar-1m-4di",
            "kind": "production",
            "initial": 1000,
        }
    )
    meters.append(
        {
            "id": "outdoor-temp",
            "bus": "board-1",
            "unit_id": 30,
            "profile": "xy-md02",
            "kind": "temperature",
        }
    )
    options = []
    for o in sector.options:
        factor = float(rng.uniform(*realisation))
        options.append(
            {
                "id": o.id,
                "title": o.title,
                "level": o.level,
                "meter": o.meter,
                "date": implemented.isoformat(),
                "change": round(-o.saving * factor, 4),
            }
        )
    return {
        "site": {
            "id": site_id,
            "name": f"{sector.title} {site_id}",
            "timezone": "America/Guatemala",
        },
        "start": start.isoformat(),
        "end": end.isoformat(),
        "seed": seed,
        "step": step,
        "weather": {"mean": float(round(rng.uniform(17, 27), 1)), "seasonal_amplitude": 2.5},
        "production": {
            "per_day": round(sector.production.per_day * size),
            "seasonal": 0.05,
            "noise": 0.06,
            "day_factor": {"sat": 0.5},
        },
        "shifts": [
            {"start": "06:00", "end": "14:00", "days": ["mon", "tue", "wed", "thu", "fri", "sat"]},
            {"start": "14:00", "end": "22:00", "days": ["mon", "tue", "wed", "thu", "fri"]},
        ],
        "buses": [{"id": "board-1", "transport": "tcp", "port": 0}],
        "meters": meters,
        "options": options,
    }


def _site(scenario: dict[str, Any], sector_id: str, store_url: str) -> dict[str, Any]:
    return {
        "site": {**scenario["site"], "sector": sector_id},
        "store": {"url": store_url},
        "buses": [{"id": "board-1", "transport": "tcp", "host": "127.0.0.1", "port": 5020}],
        "meters": [
            {
                "id": m["id"],
                "bus": "board-1",
                "unit_id": m["unit_id"],
                "profile": m["profile"],
                "kind": m["kind"],
                "poll": "60s",
            }
            for m in scenario["meters"]
        ],
    }


def _plan(
    site_id: str,
    sector: Sector,
    baseline: tuple[date, date],
    reporting: tuple[date, date],
    daily_use: dict[str, float],
) -> dict[str, Any]:
    kinds = {m.id: m.kind for m in sector.meters}
    baselines = {}
    for o in sector.options:
        entry: dict[str, Any] = {
            "model": "auto",
            "granularity": "daily",
            "production": "production",
        }
        if sector.cooling:
            entry["temperature"] = "outdoor-temp"
        baselines[o.meter] = entry
    options = []
    for o in sector.options:
        kind = kinds[o.meter]
        annual = daily_use[o.meter] * 365.0 * o.saving
        options.append(
            {
                "id": o.id,
                "title": o.title,
                "level": o.level,
                "status": "implemented",
                "meters": [o.meter],
                "implemented": reporting[0].isoformat(),
                "investment": o.investment,
                "lifetime_years": o.lifetime_years,
                "expected_annual": {
                    UNIT[kind]: round(annual, 1),
                    "cost": round(annual * TARIFFS[kind], 2),
                },
            }
        )
    promised = sum(o["expected_annual"]["cost"] for o in options)
    principal = sum(o.investment for o in sector.options)
    loans = []
    if principal > 0:
        loans.append(
            {
                "id": f"{site_id}-loan",
                "lender": "Example revolving fund",
                "borrower": site_id,
                "principal": principal,
                "currency": "USD",
                "annual_rate": 0.06,
                "term_months": 36,
                "disbursement": (reporting[0] - timedelta(days=7)).isoformat(),
                "schedule": "annuity",
                "options": [o.id for o in sector.options],
                "promised_annual_savings": round(promised, 2),
                "covenants": [{"type": "min_verified_savings", "value": 0.8}],
            }
        )
    return {
        "id": f"{site_id}-mv",
        "version": 1,
        "site_config": "site.yaml",
        "currency": "USD",
        "baseline": {"start": baseline[0].isoformat(), "end": baseline[1].isoformat()},
        "reporting": {"start": reporting[0].isoformat(), "end": reporting[1].isoformat()},
        "baselines": baselines,
        "tariffs": {k: {"type": "flat", "price": p} for k, p in TARIFFS.items()},
        "options": options,
        "loans": loans,
    }


def _write_history(
    store: SeriesStore, scenario: Scenario, interval: float
) -> tuple[int, dict[str, float]]:
    """Write the scenario's history into ``store``; the rows written and each consumption
    meter's mean daily use before the first option (its counter's rise per day)."""
    t0, t1 = scenario.epoch(scenario.start), scenario.epoch(scenario.end)
    frames = history_frame(scenario, t0, t1, interval)
    first_option = min((scenario.epoch(o.date) for o in scenario.options), default=t1)
    rows: list[SeriesRow] = []
    written = 0
    daily: dict[str, float] = {}
    for meter_id, cols in frames.items():
        times = cols["time"]
        keep = [q for q in KEEP if q in cols]
        if not keep:
            continue
        ms = (times * 1000).astype(np.int64)
        values = np.column_stack([cols[q] for q in keep])
        if "energy_import_total" in keep or "volume_total" in keep:
            q = "energy_import_total" if "energy_import_total" in keep else "volume_total"
            before = times < first_option
            if before.sum() > 1:
                c = cols[q][before]
                days = (times[before][-1] - times[before][0]) / 86400.0
                daily[meter_id] = float((c[-1] - c[0]) / days)
        for i in range(len(times)):
            rows.append(
                SeriesRow(
                    scenario.site.id,
                    meter_id,
                    int(ms[i]),
                    dict(zip(keep, values[i].tolist(), strict=True)),
                )
            )
            if len(rows) >= ROWS_PER_WRITE:
                written += store.write_rows(rows)
                rows = []
    if rows:
        written += store.write_rows(rows)
    return written, daily


def generate_portfolio(
    n: int,
    out_dir: str | Path,
    store: SeriesStore,
    store_url: str,
    *,
    month: str = "2025-03",
    baseline_days: int = 365,
    interval: float = 3600.0,
    step: str = "15m",
    seed: int = 0,
    sectors: list[str] | None = None,
    realisation: tuple[float, float] = (0.4, 1.2),
    catalogue: Catalogue | None = None,
    progress: Callable[[int], None] | None = None,
) -> GeneratedPortfolio:
    """``n`` plants in ``out_dir`` and their history in ``store`` (which ``store_url`` names in
    the site files). Options are implemented on the first day of ``month`` (``YYYY-MM``); the
    history runs ``baseline_days`` before it to the end of that month (the reporting period):
    365 days by default, the year CalTRACK asks of a baseline (shorter baselines give
    "insufficient data"). Readings every ``interval`` seconds, the plant model in ``step``s.
    ``progress(i)`` is called after each plant."""
    if n < 1:
        raise ValueError("a portfolio needs at least one plant")
    cat = catalogue or load_catalogue()
    chosen = sectors or list(cat.sectors)
    unknown = [s for s in chosen if s not in cat.sectors]
    if unknown:
        raise ValueError(
            f"unknown sector {unknown[0]!r}; the catalogue has {', '.join(cat.sectors)}"
        )
    year, mon = (int(x) for x in month.split("-"))
    implemented = date(year, mon, 1)
    after = date(year + (mon == 12), mon % 12 + 1, 1)
    start = implemented - timedelta(days=baseline_days)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    # not the literal file name: tests/test_layers.py reads "portfolio.yaml" as a module name
    result = GeneratedPortfolio(out.joinpath("portfolio").with_suffix(".yaml"), month)
    rng = np.random.default_rng(seed)
    for i in range(n):
        sector_id = chosen[i % len(chosen)]
        sector = cat.sectors[sector_id]
        site_id = f"{sector_id}-{i + 1:04d}"
        data = plant_scenario(
            sector_id,
            sector,
            site_id,
            start,
            after,
            implemented,
            rng,
            realisation,
            seed * 100_003 + i,
            step,
        )
        scenario = Scenario.model_validate(data)
        folder = out / site_id
        folder.mkdir(exist_ok=True)
        rows, daily = _write_history(store, scenario, interval)
        _dump(folder / "scenario.yaml", data, f"# simulated {sector.title} (known truth)\n")
        _dump(
            folder / "site.yaml",
            _site(data, sector_id, store_url),
            f"# {sector.title}: the gateway's view\n",
        )
        plan = _plan(site_id, sector, (start, implemented), (implemented, after), daily)
        _dump(folder / "mv-plan.yaml", plan, f"# M&V plan of {site_id} (generated)\n")
        result.plants.append(
            GeneratedPlant(
                site_id,
                sector_id,
                folder / "mv-plan.yaml",
                folder / "site.yaml",
                folder / "scenario.yaml",
                {o["id"]: o["change"] for o in data["options"]},
                rows,
            )
        )
        if progress is not None:
            progress(i)
    _dump(
        result.path,
        {
            "name": f"Generated portfolio of {n} plants",
            "month": month,
            "store": {"url": store_url},
            "emission_factors": {
                "electricity": {"value": 0.35, "source": ASSUMED_FACTOR},
                "water": {"value": 0.30, "source": ASSUMED_FACTOR},
            },
            "sites": [{"plan": f"{p.site_id}/mv-plan.yaml"} for p in result.plants],
        },
        "# generated by `plantmeter sim-portfolio`; see portfolio/README.md for the format\n",
    )
    logger.info("generated %d plants in %s", n, out)
    return result
