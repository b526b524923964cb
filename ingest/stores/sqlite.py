"""SQLite SeriesStore: the embedded default (WAL mode, idempotent upserts).

Schema (one file per store)::

    readings(site, meter, quantity, ts, value)   PRIMARY KEY (site, meter, quantity, ts)
    flags(site, meter, kind, quantity, start_ms, end_ms, severity, reason, detector,
          excess_per_day, cost_per_day)
    flag_runs(site, meter, start_ms, end_ms, computed_ms)   flags computed over [start, end)
    dead_letters(id, received_ms, topic, reason, detail, payload)

``ts`` is UTC integer milliseconds. A rewrite of the same key keeps one row (last
value wins), which is what makes at-least-once delivery safe.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from plantmeter.errors import StoreError
from plantmeter.store import DeadLetter, Flag, FlagRun, SeriesPoint, SeriesRow, to_ms

if TYPE_CHECKING:  # imported where frames are built: CLI start-up (even --help) skips pandas
    import pandas as pd

__all__ = ["SqliteStore"]

logger = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS readings (
    site TEXT NOT NULL, meter TEXT NOT NULL, quantity TEXT NOT NULL,
    ts INTEGER NOT NULL, value REAL NOT NULL,
    PRIMARY KEY (site, meter, quantity, ts)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS flags (
    site TEXT NOT NULL, meter TEXT NOT NULL, kind TEXT NOT NULL, quantity TEXT NOT NULL,
    start_ms INTEGER NOT NULL, end_ms INTEGER NOT NULL, severity TEXT NOT NULL,
    reason TEXT NOT NULL, detector TEXT NOT NULL,
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


def _add_flag_costs(db: sqlite3.Connection) -> None:
    """Stores created before flags carried their excess and cost get the two columns."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(flags)")}
    for column in ("excess_per_day", "cost_per_day"):
        if column not in columns:
            db.execute(f"ALTER TABLE flags ADD COLUMN {column} REAL")
    db.commit()


def _real(value: float | None) -> float | None:
    return None if value is None else float(value)


class SqliteStore:
    """SeriesStore on one SQLite file. Safe to share between threads (one lock)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
            _add_flag_costs(self._db)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open SQLite store {path}: {exc}") from exc
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"SqliteStore({str(self.path)!r})"

    def write_points(self, points: Sequence[SeriesPoint]) -> int:
        return self._upsert_values([(p.site, p.meter, p.quantity, p.ts_ms, p.value) for p in points])

    def write_rows(self, rows: Sequence[SeriesRow]) -> int:
        return self._upsert_values([(r.site, r.meter, q, r.ts_ms, v) for r in rows for q, v in r.values.items()])

    def _upsert_values(self, items: list[tuple[str, str, str, int, float]]) -> int:
        # int()/float(): sqlite3 would store a numpy integer as an 8-byte BLOB, unreadable as a
        # timestamp later. Coerce (numpy scalars, numeric strings), or name what cannot be.
        try:
            values = [(site, meter, quantity, int(ts), float(v)) for site, meter, quantity, ts, v in items]
        except (TypeError, ValueError):
            for site, meter, quantity, ts, v in items:
                if not (_coerces(int, ts) and _coerces(float, v)):
                    raise StoreError(
                        f"{site}/{meter} {quantity}: timestamp {ts!r} and value {v!r} must both be numbers"
                    ) from None
            raise
        self._execute_many(
            "INSERT INTO readings VALUES (?,?,?,?,?) "
            "ON CONFLICT(site, meter, quantity, ts) DO UPDATE SET value=excluded.value",
            values,
        )
        return len(values)

    def read(
        self,
        site: str,
        meter: str,
        quantities: Sequence[str] | None = None,
        start: pd.Timestamp | None = None,
        end: pd.Timestamp | None = None,
    ) -> pd.DataFrame:
        sql = "SELECT ts, quantity, value FROM readings WHERE site=? AND meter=?"
        args: list[object] = [site, meter]
        if quantities:
            sql += f" AND quantity IN ({','.join('?' * len(quantities))})"
            args += list(quantities)
        if (start_ms := to_ms(start)) is not None:
            sql += " AND ts >= ?"
            args.append(start_ms)
        if (end_ms := to_ms(end)) is not None:
            sql += " AND ts < ?"
            args.append(end_ms)
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY ts", args).fetchall()
        return _wide_frame(rows, quantities)

    def meters(self, site: str | None = None) -> list[tuple[str, str]]:
        sql = "SELECT DISTINCT site, meter FROM readings"
        args: tuple[str, ...] = ()
        if site is not None:
            sql += " WHERE site=?"
            args = (site,)
        with self._lock:
            return sorted((s, m) for s, m in self._db.execute(sql, args).fetchall())

    def write_flags(self, flags: Sequence[Flag]) -> int:
        rows = [
            (f.site, f.meter, f.kind, f.quantity, int(f.start_ms), int(f.end_ms), f.severity, f.reason, f.detector,
             _real(f.excess_per_day), _real(f.cost_per_day))
            for f in flags
        ]
        self._execute_many(
            "INSERT OR REPLACE INTO flags (site, meter, kind, quantity, start_ms, end_ms, severity, reason, "
            "detector, excess_per_day, cost_per_day) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
        return len(rows)

    def read_flags(
        self,
        site: str | None = None,
        meter: str | None = None,
        start: pd.Timestamp | None = None,
        end: pd.Timestamp | None = None,
    ) -> list[Flag]:
        sql = (
            "SELECT site, meter, kind, start_ms, end_ms, severity, reason, quantity, detector, "
            "excess_per_day, cost_per_day FROM flags WHERE 1=1"
        )
        args: list[object] = []
        for column, value in (("site", site), ("meter", meter)):
            if value is not None:
                sql += f" AND {column}=?"
                args.append(value)
        if (start_ms := to_ms(start)) is not None:
            sql += " AND end_ms >= ?"
            args.append(start_ms)
        if (end_ms := to_ms(end)) is not None:
            sql += " AND start_ms < ?"
            args.append(end_ms)
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY start_ms", args).fetchall()
        return [Flag(*row) for row in rows]

    def write_flag_runs(self, runs: Sequence[FlagRun]) -> int:
        rows = [(r.site, r.meter, int(r.start_ms), int(r.end_ms), int(r.computed_ms)) for r in runs]
        self._execute_many("INSERT OR REPLACE INTO flag_runs VALUES (?,?,?,?,?)", rows)
        return len(rows)

    def read_flag_runs(self, site: str, meter: str | None = None) -> list[FlagRun]:
        sql = "SELECT site, meter, start_ms, end_ms, computed_ms FROM flag_runs WHERE site=?"
        args: list[object] = [site]
        if meter is not None:
            sql += " AND meter=?"
            args.append(meter)
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY meter, start_ms, end_ms", args).fetchall()
        return [FlagRun(*row) for row in rows]

    def write_dead_letters(self, letters: Sequence[DeadLetter]) -> int:
        rows = [(d.received_ms, d.topic, d.reason, d.detail, d.payload) for d in letters]
        self._execute_many(
            "INSERT INTO dead_letters (received_ms, topic, reason, detail, payload) VALUES (?,?,?,?,?)",
            rows,
        )
        return len(rows)

    def read_dead_letters(self, limit: int = 1000) -> list[DeadLetter]:
        with self._lock:
            rows = self._db.execute(
                "SELECT received_ms, topic, reason, detail, payload FROM "
                "(SELECT * FROM dead_letters ORDER BY id DESC LIMIT ?) ORDER BY id",
                (limit,),
            ).fetchall()
        return [DeadLetter(r[0], r[1], r[2], r[3], bytes(r[4])) for r in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _execute_many(self, sql: str, rows: list[tuple[object, ...]]) -> None:
        if not rows:
            return
        try:
            with self._lock, self._db:
                self._db.executemany(sql, rows)
        except sqlite3.Error as exc:
            raise StoreError(f"write to {self.path} failed: {exc}") from exc


def _coerces(kind: type, value: object) -> bool:
    try:
        kind(value)
    except (TypeError, ValueError):
        return False
    return True


def _wide_frame(rows: list[tuple[int, str, float]], quantities: Sequence[str] | None) -> pd.DataFrame:
    """Long (ts, quantity, value) rows -> wide frame indexed by UTC timestamp."""
    import pandas as pd

    long = pd.DataFrame(rows, columns=["ts", "quantity", "value"])
    wide = long.pivot_table(index="ts", columns="quantity", values="value", aggfunc="last")
    wide.columns.name = None
    wide.index = pd.to_datetime(wide.index.astype("int64"), unit="ms", utc=True)
    wide.index.name = "timestamp"
    if quantities:
        wide = wide.reindex(columns=list(quantities))
    return wide.sort_index().astype("float64")
