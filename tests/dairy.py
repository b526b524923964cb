"""The dairy example's history, built once per session for every test folder, into a SQLite store.

Hourly readings from 2024-04-01 (the M&V plan's baseline year) to 2026-01-01, loaded with
the product's own CSV import; only the counters and the temperature are kept (reports read
nothing else). The plan is then approved as the signatories did on 2025-03-20 (baselines
pinned, approval record next to the plan copy).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from firmware_sim import generate_history, load_scenario

from ingest.csv_import import import_csv
from ingest.stores import open_store
from plantmeter_app.runtime import plan_store
from reports.approval import approve
from reports.common import ReportContext, report_context
from reports.load import LoadedPlan, load_plan

EXAMPLE = Path(__file__).parents[1] / "examples" / "dairy"
KEEP = ("energy_import_total", "volume_total", "production_total", "temperature")
HISTORY = (date(2024, 4, 1), date(2026, 1, 1))
APPROVED_BY = "plant manager, CP centre auditor, lender"


@dataclass
class Dairy:
    plan_path: Path
    store_url: str
    env: dict[str, str]
    true_change: dict[str, float]  # option id -> relative change of its meter's own load

    def load(self) -> LoadedPlan:
        return load_plan(self.plan_path, environ=self.env)


@contextmanager
def plan_context(loaded: LoadedPlan, as_of: date) -> Iterator[ReportContext]:
    """``report_context`` over the plan's store, opened read-only and closed as the
    application opens it (``plantmeter_app.runtime.plan_store``): reports take the store."""
    with plan_store(loaded) as store, report_context(loaded, as_of, store) as ctx:
        yield ctx


@pytest.fixture(scope="session")
def dairy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dairy]:
    root = tmp_path_factory.mktemp("dairy")
    scenario = load_scenario(EXAMPLE / "scenario.yaml")
    paths = generate_history(
        scenario, scenario.utc(HISTORY[0]), scenario.utc(HISTORY[1]), root / "csv", interval=3600
    )
    url = f"sqlite:///{root / 'dairy.db'}"
    store = open_store(url)
    try:
        for meter, path in paths.items():
            frame = pd.read_csv(path)
            frame[["timestamp", *[c for c in KEEP if c in frame]]].to_csv(path, index=False)
            import_csv(store, "dairy", meter, path, "UTC", progress=False)
    finally:
        store.close()
    for name in ("site.yaml", "mv-plan.yaml"):
        shutil.copy(EXAMPLE / name, root / name)
    approve(
        load_plan(root / "mv-plan.yaml", environ={"PLANTMETER_STORE_URL": url}),
        reopen := open_store(url, create=False),
        APPROVED_BY,
        date(2025, 3, 20),
    )
    reopen.close()
    yield Dairy(
        root / "mv-plan.yaml",
        url,
        {"PLANTMETER_STORE_URL": url},
        {o.id: o.change for o in scenario.options},
    )
