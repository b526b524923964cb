from __future__ import annotations

from pathlib import Path

import pytest

from ingest.stores import SqliteStore, open_store
from plantmeter.errors import ConfigError, StoreError
from plantmeter.store import SeriesRow
from tests.ingest import store_contract


@pytest.mark.parametrize("check", store_contract.ALL_CHECKS, ids=lambda c: c.__name__)
def test_sqlite_store_contract(tmp_path: Path, check) -> None:
    store = SqliteStore(tmp_path / "s.db")
    try:
        check(store)
    finally:
        store.close()


def test_open_store_urls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    store = open_store("sqlite:///var/a.db")
    assert isinstance(store, SqliteStore) and store.path == Path("var/a.db")
    store.close()
    absolute = open_store(f"sqlite:///{tmp_path}/b.db")
    assert isinstance(absolute, SqliteStore) and absolute.path == tmp_path / "b.db"
    absolute.close()
    with pytest.raises(ConfigError, match="unknown scheme"):
        open_store("postgres://x")


def test_wal_mode(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "w.db")
    try:
        mode = store._db.execute("PRAGMA journal_mode").fetchone()[0]
        assert mode == "wal"
    finally:
        store.close()


def test_a_value_that_is_not_a_number_is_named_and_nothing_is_written(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db")
    rows = [SeriesRow("dairy", "m", store_contract.T0, {"power_total": 1.0, "frequency": "fifty"})]
    with pytest.raises(StoreError, match=r"dairy/m frequency: .*'fifty' must both be numbers"):
        store.write_rows(rows)
    assert store.read("dairy", "m").empty
    store.close()


def test_a_store_from_before_flag_costs_opens_and_keeps_its_flags(tmp_path: Path) -> None:
    """A store file written before flags carried excess and cost gets the columns on open."""
    import sqlite3

    from plantmeter.store import Flag

    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    db.executescript(
        "CREATE TABLE flags (site TEXT NOT NULL, meter TEXT NOT NULL, kind TEXT NOT NULL, "
        "quantity TEXT NOT NULL, start_ms INTEGER NOT NULL, end_ms INTEGER NOT NULL, "
        "severity TEXT NOT NULL, reason TEXT NOT NULL, detector TEXT NOT NULL, "
        "PRIMARY KEY (site, meter, kind, quantity, start_ms));"
        "INSERT INTO flags VALUES ('dairy','m','gap','',1,2,'warning','no reading','comm_gaps');"
    )
    db.commit()
    db.close()
    store = SqliteStore(path)
    try:
        assert store.read_flags("dairy") == [Flag("dairy", "m", "gap", 1, 2, "warning", "no reading", "", "comm_gaps")]
        store.write_flags([Flag("dairy", "m", "excess", 5, 6, "warning", "more", "", "excess_use", 1.0, 2.0)])
        assert store.read_flags("dairy")[-1].cost_per_day == 2.0
    finally:
        store.close()
