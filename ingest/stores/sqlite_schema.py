"""The SQLite store's schema, its version (``PRAGMA user_version``) and the migration from 1.

Version 2 (this one)::

    series(id INTEGER PRIMARY KEY, site, meter, quantity)       UNIQUE (site, meter, quantity)
    blocks(series, start, n, first_ts, last_ts, last, hours BLOB, ts BLOB, vals BLOB)
                                                                PRIMARY KEY (series, start)
    recent(series, ts, value)                                   PRIMARY KEY (series, ts), WITHOUT ROWID
    flags(site, meter, kind, quantity, start_ms, end_ms, severity, reason, detector,
          excess_per_day, cost_per_day, message)                PRIMARY KEY (site, meter, kind, quantity, start_ms)
    flag_runs(site, meter, start_ms, end_ms, computed_ms)       flags computed over [start, end)
    dead_letters(id, received_ms, topic, reason, detail, payload)

A *block* is one series' readings of one UTC day, packed (``sqlite_blocks``), with their
count, first and last time, last value, and a summary per UTC hour (``hours``: first, last,
min, max, sum, count) from which buckets of whole hours are aggregated without decoding.
``recent`` holds readings written one by one (what ingest writes as they arrive) until their
day is over, when they are folded into the day's block; a batch of many values of one day
(CSV import, bulk load) goes into the block at once. A value in ``recent`` is always newer
than the block's value at the same time, so reads and folds let ``recent`` win: the last
write wins, as the port requires.

Version 1 (files written before the user_version was kept: ``user_version`` 0 with PlantMeter
tables) stored one row per value, ``readings(site, meter, quantity, ts, value)``, about 56
bytes a value, and may lack the flags' ``excess_per_day``/``cost_per_day`` columns and the
``flag_runs`` table. ``migrate_v1`` rewrites such a file as version 2 in one transaction.

The flags' ``message`` column (the reason as a message id and parameters, for translation) came
later within version 2: ``add_flag_message`` adds it (default '') when a file is opened for
writing, and a read-only open of a file without it reads '' (the English ``reason`` is shown).
An older PlantMeter ignores the column and its inserts fill the default.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable

import numpy as np

__all__ = [
    "SCHEMA",
    "SCHEMA_VERSION",
    "add_flag_message",
    "has_flag_message",
    "has_v1_readings",
    "has_v1_tables",
    "migrate_v1",
]

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 2

SCHEMA = """
CREATE TABLE IF NOT EXISTS series (
    id INTEGER PRIMARY KEY, site TEXT NOT NULL, meter TEXT NOT NULL, quantity TEXT NOT NULL,
    UNIQUE (site, meter, quantity)
);
CREATE TABLE IF NOT EXISTS blocks (
    series INTEGER NOT NULL, start INTEGER NOT NULL, n INTEGER NOT NULL,
    first_ts INTEGER NOT NULL, last_ts INTEGER NOT NULL, last REAL NOT NULL,
    hours BLOB NOT NULL, ts BLOB NOT NULL, vals BLOB NOT NULL,
    PRIMARY KEY (series, start)
);
CREATE TABLE IF NOT EXISTS recent (
    series INTEGER NOT NULL, ts INTEGER NOT NULL, value REAL NOT NULL,
    PRIMARY KEY (series, ts)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS flags (
    site TEXT NOT NULL, meter TEXT NOT NULL, kind TEXT NOT NULL, quantity TEXT NOT NULL,
    start_ms INTEGER NOT NULL, end_ms INTEGER NOT NULL, severity TEXT NOT NULL,
    reason TEXT NOT NULL, detector TEXT NOT NULL, excess_per_day REAL, cost_per_day REAL,
    message TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (site, meter, kind, quantity, start_ms)
);
CREATE TABLE IF NOT EXISTS flag_runs (
    site TEXT NOT NULL, meter TEXT NOT NULL, start_ms INTEGER NOT NULL, end_ms INTEGER NOT NULL,
    computed_ms INTEGER NOT NULL,
    PRIMARY KEY (site, meter, start_ms, end_ms)
);
CREATE TABLE IF NOT EXISTS dead_letters (
    id INTEGER PRIMARY KEY AUTOINCREMENT, received_ms INTEGER NOT NULL, topic TEXT NOT NULL,
    reason TEXT NOT NULL, detail TEXT NOT NULL, payload BLOB NOT NULL
);
"""


def has_flag_message(db: sqlite3.Connection) -> bool:
    """True when the flags table has the ``message`` column."""
    return any(row[1] == "message" for row in db.execute("PRAGMA table_info(flags)"))


def add_flag_message(db: sqlite3.Connection) -> None:
    """Add the flags' ``message`` column to a file written before it (a no-op when present)."""
    if not has_flag_message(db):
        db.execute("ALTER TABLE flags ADD COLUMN message TEXT NOT NULL DEFAULT ''")


def has_v1_readings(db: sqlite3.Connection) -> bool:
    """True when the file holds the version-1 ``readings`` table."""
    row = db.execute(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name='readings'"
    ).fetchone()
    return row is not None


def has_v1_tables(db: sqlite3.Connection) -> bool:
    """True when the file holds any version-1 PlantMeter table (readings, flags, dead letters)."""
    row = db.execute(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name IN ('readings', 'flags', 'dead_letters')"
    ).fetchone()
    return row is not None


def migrate_v1(
    db: sqlite3.Connection,
    path: str,
    write_series: Callable[[int, np.ndarray, np.ndarray], None],
) -> int:
    """Rewrite a version-1 file as version 2: readings into series and blocks, flags with their
    cost columns, the flag-runs table; return the values moved.

    Runs inside the caller's write transaction (nothing changes unless all of it commits).
    ``write_series(series_id, ts, values)`` packs one series' sorted readings into blocks.
    """
    started = time.monotonic()
    readings = has_v1_readings(db)
    (total,) = db.execute("SELECT COUNT(*) FROM readings").fetchone() if readings else (0,)
    logger.warning(
        "SQLite store %s has the version-1 schema (one row per value): migrating %d readings "
        "to version %d (day blocks); this runs once",
        path,
        total,
        SCHEMA_VERSION,
    )
    for statement in SCHEMA.split(";"):
        if statement.strip():
            db.execute(statement)
    columns = {row[1] for row in db.execute("PRAGMA table_info(flags)")}
    for column in ("excess_per_day", "cost_per_day"):  # flags written before they had a cost
        if column not in columns:
            db.execute(f"ALTER TABLE flags ADD COLUMN {column} REAL")
    if not readings:
        db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        return 0
    db.execute(
        "INSERT OR IGNORE INTO series (site, meter, quantity) "
        "SELECT DISTINCT site, meter, quantity FROM readings ORDER BY site, meter, quantity"
    )
    moved = 0
    for series_id, site, meter, quantity in db.execute(
        "SELECT id, site, meter, quantity FROM series ORDER BY id"
    ).fetchall():
        cursor = db.execute(
            "SELECT ts, value FROM readings WHERE site=? AND meter=? AND quantity=? ORDER BY ts",
            (site, meter, quantity),
        )
        while rows := cursor.fetchmany(1_000_000):
            pairs = np.array(rows, dtype=np.float64)  # ts are ms < 2**53: exact in float64
            write_series(int(series_id), pairs[:, 0].astype(np.int64), pairs[:, 1])
            moved += len(rows)
        logger.debug("migrated %s/%s %s", site, meter, quantity)
    db.execute("DROP TABLE readings")
    db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
    logger.warning(
        "SQLite store %s migrated: %d readings in %.1f s", path, moved, time.monotonic() - started
    )
    return moved
