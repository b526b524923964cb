"""A tiny generated portfolio (three plants, a year of hourly baseline and a reporting month),
built once per session into a SQLite store, and its figures computed once in this process."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from firmware_sim.portfolio import GeneratedPortfolio, generate_portfolio

from ingest.stores import open_store
from plantmeter_app.runtime import existing_store
from portfolio import LoadedPortfolio, SiteResult, load_portfolio, run_portfolio

SECTORS = ["tanning", "coffee", "sugar"]  # the catalogue's smallest plants: two meters each


@dataclass
class Tiny:
    generated: GeneratedPortfolio
    loaded: LoadedPortfolio
    store_url: str
    in_process: list[SiteResult]


@pytest.fixture(scope="session", autouse=True)
def _resource_tracker() -> None:
    """Start multiprocessing's resource tracker before any test: a LocalCluster's worker
    processes start it once per interpreter, and it lives until exit (not a leak of a test's)."""
    from multiprocessing import resource_tracker

    resource_tracker.ensure_running()


@pytest.fixture(scope="session")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Tiny:
    root: Path = tmp_path_factory.mktemp("portfolio")
    url = f"sqlite:///{root / 'portfolio.db'}"
    store = open_store(url)
    try:
        made = generate_portfolio(3, root, store, url, sectors=SECTORS, seed=7)
    finally:
        store.close()
    loaded = load_portfolio(made.path)
    return Tiny(made, loaded, url, run_portfolio(loaded, existing_store, None, progress=False))
