"""The gateway's on-disk outbox: every reading is written here before it is published.

A message leaves the outbox only when the broker acknowledged it (QoS 1 PUBACK), so a
broker outage or a killed gateway loses nothing that was queued. An acknowledged message
is kept a while longer (``acked_ms`` set, no longer waiting): a broker that crashes loses
what it acknowledged since its last save, so after a reconnect the publisher puts the
messages acknowledged within its replay window back in the queue (``requeue``) and sends
them again; ``purge`` deletes the older ones. A write that fails (a full disk) keeps the
staged messages in memory and raises, so the caller retries; nothing staged is dropped. The same SQLite file
keeps each meter's sequence number and last counter values, so ``seq`` stays
contiguous and counter events stay correct across restarts.

When the outbox holds ``max_messages``:

* ``drop-oldest`` (default) deletes the oldest messages to make room. Counters travel
  raw, so a dropped reading loses time resolution, never energy; a WARNING says how many.
* ``drop-newest`` refuses new readings until the backlog drains.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from plantmeter.logstate import Problems

__all__ = ["Outbox", "OutboxMessage"]

logger = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT, topic TEXT NOT NULL, payload BLOB NOT NULL,
    retain INTEGER NOT NULL DEFAULT 0, created_ms INTEGER NOT NULL, acked_ms INTEGER
);
CREATE TABLE IF NOT EXISTS meter_state (
    meter TEXT PRIMARY KEY, seq INTEGER NOT NULL, counters TEXT NOT NULL
);
"""


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    id: int
    topic: str
    payload: bytes
    retain: bool


class Outbox:
    """FIFO of messages waiting for a broker acknowledgement, on one SQLite file."""

    def __init__(
        self, path: str | Path, max_messages: int = 1_000_000, policy: str = "drop-oldest"
    ) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.max_messages = max_messages
        self.policy = policy
        self.dropped = 0
        self._full = Problems(logger)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(self.path), check_same_thread=False, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")  # a reading is on disk before we say so
        self._db.executescript(_SCHEMA)
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(outbox)")}
        if "acked_ms" not in columns:  # an outbox of an earlier release
            self._db.execute("ALTER TABLE outbox ADD COLUMN acked_ms INTEGER")
        self._depth = int(
            self._db.execute("SELECT COUNT(*) FROM outbox WHERE acked_ms IS NULL").fetchone()[0]
        )
        self._staged: list[
            tuple[str, bytes, int, bool, tuple[str, int, dict[str, float]] | None]
        ] = []
        self._stage_lock = threading.Lock()

    @property
    def depth(self) -> int:
        """Messages waiting for an acknowledgement."""
        return self._depth

    def put(
        self,
        topic: str,
        payload: bytes,
        created_ms: int,
        retain: bool = False,
        meter_state: tuple[str, int, dict[str, float]] | None = None,
    ) -> bool:
        """Queue one message durably now. Returns False when full under ``drop-newest``."""
        self.stage(topic, payload, created_ms, retain, meter_state)
        return self.flush() == 1

    def stage(
        self,
        topic: str,
        payload: bytes,
        created_ms: int,
        retain: bool = False,
        meter_state: tuple[str, int, dict[str, float]] | None = None,
    ) -> None:
        """Hold a message in memory until the next ``flush`` (no I/O: safe on the event loop)."""
        with self._stage_lock:
            self._staged.append((topic, payload, created_ms, retain, meter_state))

    @property
    def staged(self) -> int:
        return len(self._staged)

    def flush(self) -> int:
        """Write every staged message (and meter states) in one durable transaction (group commit).

        Returns how many messages were queued; under ``drop-newest`` a full outbox refuses the rest.
        """
        with self._stage_lock:
            staged, self._staged = self._staged, []
        if not staged:
            return 0
        queued = 0
        with self._lock:
            depth, dropped = self._depth, self.dropped
            try:
                queued = self._write(staged)
            except sqlite3.Error:
                # nothing of the transaction is stored (a failed COMMIT may leave it open: roll
                # it back): keep every staged message for the retry
                with contextlib.suppress(sqlite3.Error):
                    self._db.rollback()
                self._depth, self.dropped = depth, dropped
                with self._stage_lock:
                    self._staged = staged + self._staged
                raise
        return queued

    def _write(
        self, staged: list[tuple[str, bytes, int, bool, tuple[str, int, dict[str, float]] | None]]
    ) -> int:
        queued = 0
        with self._db:
            for topic, payload, created_ms, retain, meter_state in staged:
                if self._depth >= self.max_messages:
                    self._full.report(
                        "full",
                        "outbox full (%d messages): %s; the broker has been away too long, "
                        "or raise gateway.outbox_max_messages",
                        self.max_messages,
                        "refusing new readings (drop-newest)"
                        if self.policy == "drop-newest"
                        else "dropping the oldest to keep the newest",
                    )
                    if self.policy == "drop-newest":
                        self.dropped += 1
                        continue
                    excess = self._depth - self.max_messages + 1
                    self._db.execute(
                        "DELETE FROM outbox WHERE id IN "
                        "(SELECT id FROM outbox WHERE acked_ms IS NULL ORDER BY id LIMIT ?)",
                        (excess,),
                    )
                    self._depth -= excess
                    self.dropped += excess
                self._db.execute(
                    "INSERT INTO outbox (topic, payload, retain, created_ms) VALUES (?,?,?,?)",
                    (topic, payload, int(retain), created_ms),
                )
                self._depth += 1
                queued += 1
                if meter_state is not None:
                    meter, seq, counters = meter_state
                    self._db.execute(
                        "INSERT OR REPLACE INTO meter_state VALUES (?,?,?)",
                        (meter, seq, json.dumps(counters)),
                    )
        return queued

    def after(self, last_id: int, limit: int) -> list[OutboxMessage]:
        """Up to ``limit`` messages with id above ``last_id``, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, topic, payload, retain FROM outbox WHERE id > ? AND acked_ms IS NULL "
                "ORDER BY id LIMIT ?",
                (last_id, limit),
            ).fetchall()
        return [OutboxMessage(r[0], r[1], bytes(r[2]), bool(r[3])) for r in rows]

    def ack(self, ids: list[int], now_ms: int | None = None) -> None:
        """Mark messages the broker acknowledged (kept until ``purge``, for a replay)."""
        if not ids:
            return
        if now_ms is None:
            now_ms = int(time.time() * 1000)
        with self._lock, self._db:
            cur = self._db.executemany(
                "UPDATE outbox SET acked_ms = ? WHERE id = ? AND acked_ms IS NULL",
                [(now_ms, i) for i in ids],
            )
            self._depth -= cur.rowcount if cur.rowcount >= 0 else len(ids)
            if self._depth < self.max_messages:
                self._full.clear(
                    "full",
                    "outbox has room again; %d readings dropped while it was full",
                    self.dropped,
                )

    def requeue(self, since_ms: int) -> int:
        """Put messages acknowledged at or after ``since_ms`` back in the queue; how many."""
        with self._lock, self._db:
            cur = self._db.execute(
                "UPDATE outbox SET acked_ms = NULL WHERE acked_ms >= ?", (since_ms,)
            )
            self._depth += cur.rowcount
        return int(cur.rowcount)

    def purge(self, before_ms: int) -> None:
        """Delete messages acknowledged before ``before_ms``."""
        with self._lock, self._db:
            self._db.execute("DELETE FROM outbox WHERE acked_ms < ?", (before_ms,))

    def meter_state(self, meter: str) -> tuple[int, dict[str, float]]:
        """(last seq, last counter values) of a meter; (0, {}) for a new meter."""
        with self._lock:
            row = self._db.execute(
                "SELECT seq, counters FROM meter_state WHERE meter=?", (meter,)
            ).fetchone()
        return (int(row[0]), json.loads(row[1])) if row else (0, {})

    def close(self) -> None:
        with self._lock:
            self._db.close()
