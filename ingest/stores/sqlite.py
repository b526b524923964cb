"""SQLite SeriesStore: the embedded default (WAL mode, synchronous=FULL, idempotent writes).

Schema version 2 (``sqlite_schema``): a ``series`` table gives each (site, meter, quantity)
an integer id; readings are kept in day blocks per series (``sqlite_blocks``: packed,
compressed timestamps and values with a summary), and readings written one at a time wait in
``recent`` until their day is over. About 3.6 bytes a value instead of 58 in version 1 (``python -m bench.store``).
A version-1 file (one row per value) is migrated on the first read-write open.

Durability: every write is one transaction committed with ``synchronous=FULL`` in WAL mode,
so a write that returned survives a power cut, not only a crash of this process
(``synchronous=NORMAL`` may lose the last commits on power loss; ingest acknowledges MQTT
messages after the write, so it would lose acknowledged readings). ``durable=False`` chooses
NORMAL for a throw-away store (benchmarks, scratch analysis); the cost of FULL is measured
in ingest/README.md.

``create=False`` opens an existing store only (a mistyped path is an error naming the file);
``read_only=True`` opens the file with ``mode=ro``: writes raise ``StoreError``.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

import numpy as np

from plantmeter.errors import StoreError
from plantmeter.store import (
    AGGREGATES,
    DeadLetter,
    Flag,
    FlagRun,
    LatestValue,
    SeriesPoint,
    SeriesRow,
    bucket_ms,
    to_ms,
)

from .sqlite_blocks import (
    BLOCK_MS,
    HOUR_MS,
    Pieces,
    block_starts,
    combine_pieces,
    decode_block,
    decode_hours,
    encode_block,
    encode_hours,
    hour_pieces,
    merge_last_wins,
    pieces_from_values,
)
from .sqlite_schema import (
    SCHEMA,
    SCHEMA_VERSION,
    add_flag_message,
    has_flag_message,
    has_v1_tables,
    migrate_v1,
)

if TYPE_CHECKING:  # imported where frames are built: CLI start-up (even --help) skips pandas
    import pandas as pd

__all__ = ["SqliteStore"]

logger = logging.getLogger(__name__)

_BULK = 64  # values of one series and day in one write that go straight into the day block
_MIN_MS, _MAX_MS = -(2**62), 2**62


class SqliteStore:
    """SeriesStore on one SQLite file. Safe to share between threads (one lock); several
    processes may write the same file (each write is an immediate transaction)."""

    def __init__(
        self,
        path: str | Path,
        *,
        create: bool = True,
        read_only: bool = False,
        durable: bool = True,
    ) -> None:
        self.path = Path(path)
        self.read_only = read_only
        self._lock = threading.Lock()
        self._ids: dict[tuple[str, str, str], int] = {}
        memory = str(path) == ":memory:"
        if not memory and not self.path.exists() and (read_only or not create):
            raise StoreError(
                f"no SQLite store at {self.path.resolve()}: check the store URL (site file "
                "store.url or PLANTMETER_STORE_URL); the store is created by ingest or import-csv"
            )
        if not memory and create and not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            if read_only:
                uri = f"file:{quote(str(self.path.resolve()))}?mode=ro"
                self._db = sqlite3.connect(
                    uri, uri=True, check_same_thread=False, timeout=30, isolation_level=None
                )
            else:
                self._db = sqlite3.connect(
                    str(path), check_same_thread=False, timeout=30, isolation_level=None
                )
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open SQLite store {self.path}: {exc}") from exc
        try:
            self._prepare(durable, fresh_allowed=create and not read_only)
        except BaseException:
            self._db.close()
            raise

    def _prepare(self, durable: bool, fresh_allowed: bool) -> None:
        try:
            if not self.read_only:
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
            (version,) = self._db.execute("PRAGMA user_version").fetchone()
            v1 = has_v1_tables(self._db)
            empty = self._db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0] == 0
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"{self.path} is not a SQLite store ({exc}); check the store URL"
            ) from exc
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"SQLite store {self.path} has schema version {version}, newer than this "
                f"PlantMeter's {SCHEMA_VERSION}: upgrade PlantMeter"
            )
        if version == SCHEMA_VERSION:
            self._flag_message_column()
            return
        if v1:
            if self.read_only:
                raise StoreError(
                    f"SQLite store {self.path} has the old (version-1) schema and is opened "
                    "read-only: open it once for writing (ingest or import-csv do) to migrate it"
                )
            self._migrate()
            self._flag_message_column()
            return
        if not empty:
            raise StoreError(
                f"{self.path} is a SQLite file but not a PlantMeter store; check the store URL"
            )
        if not fresh_allowed:
            raise StoreError(
                f"{self.path} is an empty file, not a PlantMeter store: check the store URL "
                "(the store is created by ingest or import-csv)"
            )
        with self._transaction():
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    self._db.execute(statement)
            self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        self._flag_message = True

    def _flag_message_column(self) -> None:
        """Whether flags carry their ``message``: added to a file opened for writing."""
        if not self.read_only and not has_flag_message(self._db):
            with self._transaction():
                add_flag_message(self._db)
        self._flag_message = has_flag_message(self._db)

    def _migrate(self) -> None:
        with self._transaction():
            (version,) = self._db.execute("PRAGMA user_version").fetchone()
            if version == SCHEMA_VERSION:  # another process (ingest --processes N) did it
                return
            migrate_v1(self._db, str(self.path), self._write_series_sorted)
        logger.warning("SQLite store %s: reclaiming the space of the old table (VACUUM)", self.path)
        self._db.execute("VACUUM")

    def __repr__(self) -> str:
        return f"SqliteStore({str(self.path)!r}{', read_only=True' if self.read_only else ''})"

    # -- transactions and series ids -------------------------------------------------------

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """One immediate write transaction (lock held by the caller or not needed)."""
        if self.read_only:
            raise StoreError(
                f"SQLite store {self.path} is open read-only; open it without read_only to write"
            )
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            self._ids.clear()  # ids created in the rolled-back transaction are gone
            raise
        self._db.execute("COMMIT")

    @contextmanager
    def _snapshot(self) -> Iterator[None]:
        """One read transaction: the several SELECTs of a read see one state of the file, even
        while another process folds ``recent`` rows into a block (lock held by the caller)."""
        self._db.execute("BEGIN")
        try:
            yield
        finally:
            self._db.execute("COMMIT")

    def _series_id(self, site: str, meter: str, quantity: str) -> int:
        key = (site, meter, quantity)
        found = self._ids.get(key)
        if found is None:
            self._db.execute(
                "INSERT OR IGNORE INTO series (site, meter, quantity) VALUES (?,?,?)", key
            )
            (found,) = self._db.execute(
                "SELECT id FROM series WHERE site=? AND meter=? AND quantity=?", key
            ).fetchone()
            self._ids[key] = found
        return found

    def _series(
        self, site: str, meter: str, quantities: Sequence[str] | None
    ) -> list[tuple[str, int]]:
        """(quantity, id) of a meter's stored series: all of them, or those asked for."""
        rows = self._db.execute(
            "SELECT quantity, id FROM series WHERE site=? AND meter=? ORDER BY quantity",
            (site, meter),
        ).fetchall()
        if quantities is None:
            return [(q, int(i)) for q, i in rows]
        known = dict(rows)
        return [(q, int(known[q])) for q in dict.fromkeys(quantities) if q in known]

    # -- writes ----------------------------------------------------------------------------

    def write_points(self, points: Sequence[SeriesPoint]) -> int:
        return self._write([(p.site, p.meter, p.quantity, p.ts_ms, p.value) for p in points])

    def write_rows(self, rows: Sequence[SeriesRow]) -> int:
        return self._write(
            [(r.site, r.meter, q, r.ts_ms, v) for r in rows for q, v in r.values.items()]
        )

    def _write(self, items: list[tuple[str, str, str, int, float]]) -> int:
        if not items:
            return 0
        ts, values = _numbers(items)
        with self._lock:
            try:
                with self._transaction():
                    ids = np.fromiter(
                        (self._series_id(site, meter, q) for site, meter, q, _, _ in items),
                        dtype=np.int64,
                        count=len(items),
                    )
                    self._store(ids, ts, values)
            except sqlite3.Error as exc:
                raise StoreError(f"write to {self.path} failed: {exc}") from exc
        return len(items)

    def _store(self, ids: np.ndarray, ts: np.ndarray, values: np.ndarray) -> None:
        """Write values (input order: later wins); small groups to ``recent``, big ones to blocks."""
        days = block_starts(ts)
        order = np.lexsort((ts, days, ids))  # stable: equal (id, ts) keep their input order
        ids, ts, values, days = ids[order], ts[order], values[order], days[order]
        keep = np.ones(ts.size, dtype=bool)
        keep[:-1] = (ids[1:] != ids[:-1]) | (ts[1:] != ts[:-1])
        ids, ts, values, days = ids[keep], ts[keep], values[keep], days[keep]
        bounds = np.flatnonzero(np.r_[True, (ids[1:] != ids[:-1]) | (days[1:] != days[:-1]), True])
        loose: list[tuple[int, int, float]] = []
        newest: dict[int, int] = {}
        for a, b in zip(bounds[:-1], bounds[1:], strict=True):
            sid, day = int(ids[a]), int(days[a])
            newest[sid] = max(newest.get(sid, day), day)
            if b - a >= _BULK:
                self._merge_block(sid, day, ts[a:b], values[a:b])
            else:
                loose += zip(ids[a:b].tolist(), ts[a:b].tolist(), values[a:b].tolist(), strict=True)
        if loose:
            self._db.executemany(
                "INSERT INTO recent VALUES (?,?,?) ON CONFLICT(series, ts) DO UPDATE SET value=excluded.value",
                loose,
            )
        for sid, day in newest.items():  # fold the readings of days that are over
            (oldest,) = self._db.execute(
                "SELECT MIN(ts) FROM recent WHERE series=?", (sid,)
            ).fetchone()
            if oldest is not None and oldest < day:
                self._fold_recent(sid, day)

    def _write_series_sorted(self, sid: int, ts: np.ndarray, values: np.ndarray) -> None:
        """Sorted, unique readings of one series into its blocks (migration)."""
        days = block_starts(ts)
        bounds = np.flatnonzero(np.r_[True, days[1:] != days[:-1], True])
        for a, b in zip(bounds[:-1], bounds[1:], strict=True):
            self._merge_block(sid, int(days[a]), ts[a:b], values[a:b])

    def _fold_recent(self, sid: int, before: int) -> None:
        rows = self._db.execute(
            "SELECT ts, value FROM recent WHERE series=? AND ts < ? ORDER BY ts", (sid, before)
        ).fetchall()
        pairs = np.array(rows, dtype=np.float64).reshape(-1, 2)
        ts, values = pairs[:, 0].astype(np.int64), pairs[:, 1]
        days = block_starts(ts)
        bounds = np.flatnonzero(np.r_[True, days[1:] != days[:-1], True])
        for a, b in zip(bounds[:-1], bounds[1:], strict=True):
            self._merge_block(sid, int(days[a]), ts[a:b], values[a:b], recent_read=True)
        logger.debug("folded %d readings of series %d into day blocks", len(rows), sid)

    def _merge_block(
        self, sid: int, day: int, ts: np.ndarray, values: np.ndarray, *, recent_read: bool = False
    ) -> None:
        """Block of (sid, day) := old block, then that day's ``recent`` rows, then ``ts``/``values``
        (later wins); the day's ``recent`` rows are deleted."""
        parts_ts, parts_v = [], []
        old = self._db.execute(
            "SELECT n, ts, vals FROM blocks WHERE series=? AND start=?", (sid, day)
        ).fetchone()
        if old is not None:
            t, v = decode_block(old[1], old[2], day, old[0])
            parts_ts.append(t)
            parts_v.append(v)
        if not recent_read:
            rows = self._db.execute(
                "SELECT ts, value FROM recent WHERE series=? AND ts >= ? AND ts < ? ORDER BY ts",
                (sid, day, day + BLOCK_MS),
            ).fetchall()
            if rows:
                pairs = np.array(rows, dtype=np.float64)
                parts_ts.append(pairs[:, 0].astype(np.int64))
                parts_v.append(pairs[:, 1])
        self._db.execute(
            "DELETE FROM recent WHERE series=? AND ts >= ? AND ts < ?", (sid, day, day + BLOCK_MS)
        )
        if parts_ts:
            ts, values = merge_last_wins(
                np.concatenate([*parts_ts, ts]), np.concatenate([*parts_v, values])
            )
        ts_blob, value_blob = encode_block(ts, values, day)
        self._db.execute(
            "INSERT OR REPLACE INTO blocks VALUES (?,?,?,?,?,?,?,?,?)",
            (
                sid,
                day,
                int(ts.size),
                int(ts[0]),
                int(ts[-1]),
                float(values[-1]),
                encode_hours(ts, values, day),
                ts_blob,
                value_blob,
            ),
        )

    # -- reads -----------------------------------------------------------------------------

    def _series_values(self, sid: int, start_ms: int, end_ms: int) -> tuple[np.ndarray, np.ndarray]:
        """One series' readings in [start_ms, end_ms), sorted, last write winning."""
        parts_ts, parts_v = [], []
        for day, n, ts_blob, value_blob in self._db.execute(
            "SELECT start, n, ts, vals FROM blocks WHERE series=? AND start > ? AND start < ? ORDER BY start",
            (sid, start_ms - BLOCK_MS, end_ms),
        ):
            t, v = decode_block(ts_blob, value_blob, day, n)
            parts_ts.append(t)
            parts_v.append(v)
        ts = np.concatenate(parts_ts) if parts_ts else np.empty(0, np.int64)
        values = np.concatenate(parts_v) if parts_v else np.empty(0)
        rows = self._db.execute(
            "SELECT ts, value FROM recent WHERE series=? AND ts >= ? AND ts < ?",
            (sid, start_ms, end_ms),
        ).fetchall()
        if rows:
            pairs = np.array(rows, dtype=np.float64)
            ts, values = merge_last_wins(
                np.concatenate([ts, pairs[:, 0].astype(np.int64)]),
                np.concatenate([values, pairs[:, 1]]),
            )
        inside = (ts >= start_ms) & (ts < end_ms)
        if not inside.all():
            ts, values = ts[inside], values[inside]
        return ts, values

    def read(
        self,
        site: str,
        meter: str,
        quantities: Sequence[str] | None = None,
        start: pd.Timestamp | None = None,
        end: pd.Timestamp | None = None,
    ) -> pd.DataFrame:
        start_ms, end_ms = _range(start, end)
        with self._lock, self._snapshot():
            columns = {
                q: self._series_values(sid, start_ms, end_ms)
                for q, sid in self._series(site, meter, quantities)
            }
        columns = {q: tv for q, tv in columns.items() if tv[0].size}
        return _wide_frame(columns, quantities)

    def latest(self, site: str, meters: Sequence[str] | None = None) -> list[LatestValue]:
        where, args = "s.site=?", [site]
        if meters is not None:
            if not meters:
                return []
            where += f" AND s.meter IN ({','.join('?' * len(meters))})"
            args += list(meters)
        with self._lock, self._snapshot():
            from_blocks = self._db.execute(
                "SELECT s.meter, s.quantity, b.last_ts, b.last FROM series s JOIN blocks b ON b.series = s.id "
                "AND b.start = (SELECT MAX(start) FROM blocks WHERE series = s.id) WHERE " + where,
                args,
            ).fetchall()
            from_recent = self._db.execute(
                "SELECT s.meter, s.quantity, r.ts, r.value FROM series s JOIN recent r ON r.series = s.id "
                "AND r.ts = (SELECT MAX(ts) FROM recent WHERE series = s.id) WHERE " + where,
                args,
            ).fetchall()
        newest: dict[tuple[str, str], tuple[int, float]] = {}
        for meter, quantity, ts, value in [*from_blocks, *from_recent]:  # recent wins a tie
            key = (meter, quantity)
            if key not in newest or ts >= newest[key][0]:
                newest[key] = (int(ts), float(value))
        return [LatestValue(site, m, q, ts, v) for (m, q), (ts, v) in sorted(newest.items())]

    def read_buckets(
        self,
        site: str,
        meter: str,
        every: str | float | pd.Timedelta,
        quantities: Sequence[str] | None = None,
        start: pd.Timestamp | None = None,
        end: pd.Timestamp | None = None,
        tz: str | None = None,
    ) -> pd.DataFrame:
        width = bucket_ms(every, tz)
        start_ms, end_ms = _range(start, end)
        result: dict[str, Pieces] = {}
        with self._lock, self._snapshot():
            for quantity, sid in self._series(site, meter, quantities):
                pieces = self._series_pieces(sid, start_ms, end_ms, width, tz)
                if pieces.count.size:
                    result[quantity] = pieces
        return _bucket_frame(result, quantities)

    def _series_pieces(
        self, sid: int, start_ms: int, end_ms: int, width: int, tz: str | None
    ) -> Pieces:
        """Aggregates per bucket of one series: from the hour summaries of blocks when buckets
        and range are made of whole hours, else numpy over decoded values (always for days
        with readings still in ``recent``)."""
        recent = self._db.execute(
            "SELECT ts, value FROM recent WHERE series=? AND ts >= ? AND ts < ? ORDER BY ts",
            (sid, start_ms, end_ms),
        ).fetchall()
        recent_pairs = np.array(recent, dtype=np.float64).reshape(-1, 2)
        recent_ts = recent_pairs[:, 0].astype(np.int64)
        blocks = self._db.execute(
            "SELECT start, first_ts, last_ts, hours FROM blocks "
            "WHERE series=? AND start > ? AND start < ? ORDER BY start",
            (sid, start_ms - BLOCK_MS, end_ms),
        ).fetchall()
        if not blocks and not recent:
            return combine_pieces([])
        lo = min([b[1] for b in blocks] + recent_ts[:1].tolist())
        hi = max([b[2] for b in blocks] + recent_ts[-1:].tolist())
        label = _labeller(width, tz, max(lo, start_ms), min(hi, end_ms - 1))
        starts = np.array([b[0] for b in blocks], dtype=np.int64)
        touched = np.unique(block_starts(recent_ts))
        whole_hours = label.hour_aligned and all(
            edge in (_MIN_MS, _MAX_MS) or edge % HOUR_MS == 0 for edge in (start_ms, end_ms)
        )
        from_hours = (
            np.zeros(starts.size, dtype=bool) if not whole_hours else ~np.isin(starts, touched)
        )
        parts = []
        if from_hours.any():
            chosen = np.flatnonzero(from_hours)
            hours, table = decode_hours([blocks[i][3] for i in chosen], starts[chosen])
            inside = (hours >= start_ms) & (hours + HOUR_MS <= end_ms)
            hours, table = hours[inside], table[inside]
            parts.append(hour_pieces(hours, table, label(hours)))
        days = sorted(set(starts[~from_hours].tolist()) | set(touched.tolist()))
        if days:
            parts.append(self._decoded_pieces(sid, days, start_ms, end_ms, recent_pairs, label))
        return combine_pieces(parts)

    def _decoded_pieces(
        self,
        sid: int,
        days: list[int],
        start_ms: int,
        end_ms: int,
        recent: np.ndarray,
        label: _Labeller,
    ) -> Pieces:
        wanted = set(days)
        parts_ts, parts_v = [], []
        for day, n, ts_blob, value_blob in self._db.execute(
            "SELECT start, n, ts, vals FROM blocks WHERE series=? AND start >= ? AND start <= ? "
            "ORDER BY start",
            (sid, days[0], days[-1]),
        ):
            if day in wanted:
                t, v = decode_block(ts_blob, value_blob, day, n)
                parts_ts.append(t)
                parts_v.append(v)
        ts = np.concatenate(parts_ts) if parts_ts else np.empty(0, np.int64)
        values = np.concatenate(parts_v) if parts_v else np.empty(0)
        if recent.size:
            ts, values = merge_last_wins(
                np.concatenate([ts, recent[:, 0].astype(np.int64)]),
                np.concatenate([values, recent[:, 1]]),
            )
        inside = (ts >= start_ms) & (ts < end_ms)
        ts, values = ts[inside], values[inside]
        return pieces_from_values(ts, values, label(ts))

    def meters(self, site: str | None = None) -> list[tuple[str, str]]:
        sql = "SELECT DISTINCT site, meter FROM series"
        args: tuple[str, ...] = ()
        if site is not None:
            sql += " WHERE site=?"
            args = (site,)
        with self._lock:
            return sorted((s, m) for s, m in self._db.execute(sql, args).fetchall())

    # -- flags and dead letters ------------------------------------------------------------

    def write_flags(self, flags: Sequence[Flag]) -> int:
        rows = [
            (
                f.site,
                f.meter,
                f.kind,
                f.quantity,
                int(f.start_ms),
                int(f.end_ms),
                f.severity,
                f.reason,
                f.detector,
                _real(f.excess_per_day),
                _real(f.cost_per_day),
                f.message,
            )
            for f in flags
        ]
        self._execute_many(
            "INSERT OR REPLACE INTO flags (site, meter, kind, quantity, start_ms, end_ms, severity, "
            "reason, detector, excess_per_day, cost_per_day, message) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
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
            "excess_per_day, cost_per_day, "
            + ("message" if self._flag_message else "''")
            + " FROM flags WHERE 1=1"
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
        with self._lock:
            try:
                with self._transaction():
                    self._db.executemany(sql, rows)
            except sqlite3.Error as exc:
                raise StoreError(f"write to {self.path} failed: {exc}") from exc


# -- helpers ---------------------------------------------------------------------------------


def _numbers(items: list[tuple[str, str, str, int, float]]) -> tuple[np.ndarray, np.ndarray]:
    """Timestamps (int64) and values (float64) of ``items``, or a StoreError naming the bad one.

    numpy scalars and numeric strings are numbers; a value must be finite (as in InfluxDB).
    """
    try:
        ts = np.array([int(t) for _, _, _, t, _ in items], dtype=np.int64)
        values = np.array([float(v) for _, _, _, _, v in items], dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        for site, meter, quantity, t, v in items:
            if not (_coerces(int, t) and _coerces(float, v)):
                raise StoreError(
                    f"{site}/{meter} {quantity}: timestamp {t!r} and value {v!r} must both be numbers"
                ) from None
        raise
    if not np.isfinite(values).all():
        site, meter, quantity, t, v = items[int(np.flatnonzero(~np.isfinite(values))[0])]
        raise StoreError(
            f"{site}/{meter} {quantity} at {t}: value {v!r} is not a finite number; "
            "the store keeps only finite numbers (reject it before the store)"
        )
    return ts, values


def _real(value: float | None) -> float | None:
    return None if value is None else float(value)


def _coerces(kind: type, value: object) -> bool:
    try:
        kind(value)
    except (TypeError, ValueError, OverflowError):
        return False
    return True


def _range(start: pd.Timestamp | None, end: pd.Timestamp | None) -> tuple[int, int]:
    start_ms, end_ms = to_ms(start), to_ms(end)
    return (_MIN_MS if start_ms is None else start_ms), (_MAX_MS if end_ms is None else end_ms)


class _Labeller:
    """Bucket start of each timestamp: UTC multiples of the width, or local days."""

    def __init__(self, width: int, edges: np.ndarray | None) -> None:
        self.width = width
        self.edges = edges
        # every bucket edge on a whole UTC hour: hour summaries fall wholly in one bucket
        self.hour_aligned = bool(
            width % HOUR_MS == 0 if edges is None else (edges % HOUR_MS == 0).all()
        )

    def __call__(self, ts: np.ndarray) -> np.ndarray:
        ts = np.asarray(ts, dtype=np.int64)
        if self.edges is None:
            return (ts // self.width) * self.width
        return self.edges[np.searchsorted(self.edges, ts, side="right") - 1]


def _labeller(width: int, tz: str | None, lo: int, hi: int) -> _Labeller:
    if tz is None:
        return _Labeller(width, None)
    import pandas as pd

    try:
        first = pd.Timestamp(lo, unit="ms", tz="UTC").tz_convert(tz).normalize()
    except Exception as exc:  # an unknown zone name: pytz/zoneinfo raise different types
        raise StoreError(
            f"unknown time zone {tz!r}; give an IANA name such as 'America/Guatemala'"
        ) from exc
    last = pd.Timestamp(hi, unit="ms", tz="UTC").tz_convert(tz).normalize() + pd.Timedelta(days=1)
    days = pd.date_range(first, last, freq="D")
    return _Labeller(width, days.tz_convert("UTC").as_unit("ms").asi8.astype(np.int64))


def _wide_frame(
    columns: dict[str, tuple[np.ndarray, np.ndarray]], quantities: Sequence[str] | None
) -> pd.DataFrame:
    """Per-quantity sorted (ts, values) -> wide frame indexed by UTC timestamp."""
    import pandas as pd

    arrays = list(columns.values())
    if not arrays:
        index = np.empty(0, np.int64)
    elif all(
        a[0].size == arrays[0][0].size and np.array_equal(a[0], arrays[0][0]) for a in arrays[1:]
    ):
        index = arrays[0][0]  # one poll carries all quantities: the same timestamps
    else:
        index = np.unique(np.concatenate([a[0] for a in arrays]))
    data: dict[str, np.ndarray] = {}
    for quantity, (ts, values) in columns.items():
        if ts.size == index.size:
            data[quantity] = values
        else:
            column = np.full(index.size, np.nan)
            column[np.searchsorted(index, ts)] = values
            data[quantity] = column
    names = list(dict.fromkeys(quantities)) if quantities else sorted(data)
    frame = pd.DataFrame(
        {q: data.get(q, np.full(index.size, np.nan)) for q in names},
        index=_utc_index(index),
        dtype="float64",
    )
    return frame


def _bucket_frame(result: dict[str, Pieces], quantities: Sequence[str] | None) -> pd.DataFrame:
    """Per-quantity pieces -> (quantity, statistic) columns over the union of their buckets."""
    import pandas as pd

    names = list(dict.fromkeys(quantities)) if quantities else sorted(result)
    if len(result) == 1:  # one quantity asked for: its buckets are sorted and unique already
        buckets = next(iter(result.values())).bucket
    elif result:
        buckets = np.unique(np.concatenate([p.bucket for p in result.values()]))
    else:
        buckets = np.empty(0, np.int64)
    data: dict[tuple[str, str], np.ndarray] = {}
    for quantity in names:
        p = result.get(quantity)
        where = np.searchsorted(buckets, p.bucket) if p is not None else np.empty(0, np.int64)
        count = np.zeros(buckets.size, dtype=np.int64)
        stats = {s: np.full(buckets.size, np.nan) for s in AGGREGATES if s != "count"}
        if p is not None:
            count[where] = p.count
            stats["first"][where], stats["last"][where] = p.first, p.last
            stats["min"][where], stats["max"][where] = p.min, p.max
            stats["mean"][where] = p.sum / p.count
        for stat in AGGREGATES:
            data[(quantity, stat)] = count if stat == "count" else stats[stat]
    columns = pd.MultiIndex(  # levels and codes given: from_product would factorize them again
        levels=[pd.Index(names, dtype=object), pd.Index(AGGREGATES, dtype=object)],
        codes=[
            np.repeat(np.arange(len(names)), len(AGGREGATES)),
            np.tile(np.arange(len(AGGREGATES)), len(names)),
        ],
        names=["quantity", "statistic"],
        verify_integrity=False,
    )
    index = _utc_index(buckets)
    frame = pd.DataFrame(dict(zip(range(len(data)), data.values(), strict=True)), index=index)
    frame.columns = columns
    return frame


def _utc_index(ms: np.ndarray) -> pd.DatetimeIndex:
    """UTC ms -> the ``timestamp`` index (microsecond unit, as ``pd.to_datetime`` gives)."""
    import pandas as pd

    micro = np.asarray(ms, dtype=np.int64).astype("datetime64[ms]").astype("datetime64[us]")
    return pd.DatetimeIndex(micro, name="timestamp").tz_localize("UTC")
