"""The dairy example's history, built once per session with the simulator into a SQLite store.

The example scenario starts 2025-01-01; the M&V plan's baseline year starts 2024-04-01, so
the fixture runs the same scenario from 2024-04-01 (the plant model computes any day from
its seed). Hourly readings, only the counters and the temperature are imported (the other
profile quantities are not read by reports), 2024-04-01 .. 2026-01-01.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from firmware_sim import generate_history, load_scenario

from ingest.csv_import import parse_interval_csv
from ingest.stores import open_store
from plantmeter.store import SeriesPoint, SeriesStore
from reports.load import LoadedPlan, load_plan

EXAMPLE = Path(__file__).parents[2] / "examples" / "dairy"
KEEP = ("energy_import_total", "volume_total", "production_total", "temperature")
HISTORY = (date(2024, 4, 1), date(2026, 1, 1))


@dataclass
class Dairy:
    plan_path: Path
    store_url: str
    env: dict[str, str]
    true_change: dict[str, float]  # option id -> relative change of its meter's own load

    def load(self) -> LoadedPlan:
        return load_plan(self.plan_path, environ=self.env)


def _import(store: SeriesStore, meter: str, path: Path) -> None:
    """ingest.csv_import.import_csv, but with millisecond timestamps taken at 'ms' resolution.

    import_csv computes ``index.asi8 // 1_000_000``, which assumes nanoseconds; pandas 3
    parses these CSV timestamps at microsecond resolution, so it stores 1970 dates
    (reported to the ingest owner). This does the same with ``as_unit("ms")``.
    """
    frame, problems = parse_interval_csv(path, "UTC")
    assert not problems, problems
    ts = pd.DatetimeIndex(frame.index).as_unit("ms").asi8
    store.write_points(
        [
            SeriesPoint("dairy", meter, q, int(t), float(v))
            for q in frame.columns
            for t, v in zip(ts, frame[q].to_numpy(), strict=True)
            if v == v
        ]
    )


@pytest.fixture(scope="session")
def dairy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dairy]:
    root = tmp_path_factory.mktemp("dairy")
    scenario = load_scenario(EXAMPLE / "scenario.yaml")
    scenario = scenario.model_copy(update={"start": HISTORY[0]})
    paths = generate_history(
        scenario, scenario.utc(HISTORY[0]), scenario.utc(HISTORY[1]), root / "csv", interval=3600
    )
    url = f"sqlite:///{root / 'dairy.db'}"
    store = open_store(url)
    try:
        for meter, path in paths.items():
            frame = pd.read_csv(path)
            frame[["timestamp", *[c for c in KEEP if c in frame]]].to_csv(path, index=False)
            _import(store, meter, path)
    finally:
        store.close()
    for name in ("site.yaml", "mv-plan.yaml"):
        shutil.copy(EXAMPLE / name, root / name)
    yield Dairy(
        root / "mv-plan.yaml",
        url,
        {"PLANTMETER_STORE_URL": url},
        {o.id: o.change for o in scenario.options},
    )
