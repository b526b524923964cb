from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from ingest.stores import open_store
from plantmeter.store import SeriesStore

from .history import leak_history


@pytest.fixture
def plant(tmp_path: Path) -> Iterator[tuple[Path, SeriesStore]]:
    """A folder and a real, empty SQLite store in it."""
    store = open_store(f"sqlite:///{tmp_path / 'dairy.db'}")
    try:
        yield tmp_path, store
    finally:
        store.close()


@pytest.fixture(scope="session")
def leaky() -> pd.DataFrame:
    """The CIP water meter's readings with the simulator's leak (tests/alerts/history.py)."""
    return leak_history()
