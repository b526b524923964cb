"""The alert ledger (``DATA_DIR/alerts.db``, SQLite, WAL): episodes, the outbox of
notifications, and how far the flags were evaluated.

An **episode** is one stretch of one trouble on one meter (``type`` = a flag kind or
``offline``, with the flag's quantity and detector): opened once, extended while the detectors
keep flagging it, closed when they stop. Every notification is first written to the
**outbox** in the same transaction as the episode change that causes it (intent), then sent,
then marked sent; a send that fails is retried later with backoff. So a restart repeats nothing
(the outbox rows are unique per episode, event, reminder number, channel and recipient) and
forgets nothing (an unsent row stays until it is sent).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from plantmeter.text import stored
from services.statefile import StateFile

__all__ = [
    "BACKOFF_MAX_S",
    "BACKOFF_MIN_S",
    "Episode",
    "Ledger",
    "Notice",
    "OutboxItem",
    "backoff_s",
]

Event = Literal["open", "remind", "close", "report"]
BACKOFF_MIN_S = 60.0
BACKOFF_MAX_S = 3600.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS episodes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    site TEXT NOT NULL,
    meter TEXT NOT NULL,
    type TEXT NOT NULL,
    quantity TEXT NOT NULL,
    detector TEXT NOT NULL,
    severity TEXT NOT NULL,
    reason TEXT NOT NULL,
    start_ms INTEGER NOT NULL,
    end_ms INTEGER NOT NULL,
    excess_per_day REAL,
    cost_per_day REAL,
    opened_ms INTEGER NOT NULL,
    closed_ms INTEGER,
    reminded_ms INTEGER,
    reminders INTEGER NOT NULL DEFAULT 0,
    notify INTEGER NOT NULL DEFAULT 1,
    incident INTEGER,  -- the first episode of the incident it joined (NULL: it leads its own)
    message TEXT NOT NULL DEFAULT ''  -- the reason to translate (plantmeter.text); '' before it
);
CREATE INDEX IF NOT EXISTS episodes_open ON episodes (site, closed_ms);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    episode INTEGER NOT NULL,  -- 0: not about an episode (a scheduled report)
    event TEXT NOT NULL,
    number INTEGER NOT NULL DEFAULT 0,
    channel TEXT NOT NULL,
    recipient TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    not_before_ms INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_try_ms INTEGER NOT NULL,
    sent_ms INTEGER,
    last_error TEXT NOT NULL DEFAULT '',
    ref TEXT NOT NULL DEFAULT '',  -- what a report row delivers: loan:ID:YYYY-MM
    UNIQUE (episode, event, number, channel, recipient, ref)
);
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox (sent_ms, next_try_ms);
CREATE TABLE IF NOT EXISTS published (
    site TEXT NOT NULL,
    topic TEXT NOT NULL,
    payload TEXT NOT NULL,
    published_ms INTEGER NOT NULL,
    PRIMARY KEY (site, topic)
);
CREATE TABLE IF NOT EXISTS evaluations (
    site TEXT PRIMARY KEY,
    until_ms INTEGER NOT NULL,
    reference_ms INTEGER,
    evaluated_ms INTEGER NOT NULL
);
"""

_EPISODE_COLUMNS = (
    "id, site, meter, type, quantity, detector, severity, reason, start_ms, end_ms, "
    "excess_per_day, cost_per_day, opened_ms, closed_ms, reminded_ms, reminders, notify, incident, "
    "message"
)


@dataclass(frozen=True, slots=True)
class Episode:
    """One stretch of one trouble on one meter, as the ledger holds it."""

    id: int
    site: str
    meter: str
    type: str
    quantity: str
    detector: str
    severity: str
    reason: str
    start_ms: int
    end_ms: int  # the last instant the trouble was seen
    excess_per_day: float | None
    cost_per_day: float | None
    opened_ms: int  # when the ledger opened it (wall clock)
    closed_ms: int | None
    reminded_ms: int | None
    reminders: int
    notify: bool  # False: found already over on a first evaluation (history, not news)
    incident: int | None = None  # the episode whose incident this one joined (None: its own)
    message: str = ""  # ``reason`` as a message to show in the reader's language (plantmeter.text)

    @property
    def said(self) -> str:
        """The reason in the current locale (the stored English one when it has no message)."""
        return stored(self.message, self.reason)

    @property
    def is_open(self) -> bool:
        return self.closed_ms is None

    @property
    def root(self) -> int:
        """The incident's id: the episode that opened it."""
        return self.incident if self.incident is not None else self.id


@dataclass(frozen=True, slots=True)
class Notice:
    """A notification to record: one channel, one recipient, its rendered payload."""

    channel: str  # email | webhook
    recipient: str
    payload: dict[str, Any]
    not_before_ms: int


@dataclass(frozen=True, slots=True)
class OutboxItem:
    id: int
    episode: int
    event: str
    number: int
    channel: str
    recipient: str
    payload: dict[str, Any]
    attempts: int
    sent_ms: int | None
    last_error: str


def backoff_s(attempts: int) -> float:
    """Seconds before the next try after ``attempts`` failures: 1, 2, 4 ... minutes, at most an hour."""
    return float(min(BACKOFF_MIN_S * 2 ** max(attempts - 1, 0), BACKOFF_MAX_S))


class Ledger(StateFile):
    """Episodes, outbox and evaluation marks of the alert service in one SQLite file."""

    def __init__(self, path: str | Path) -> None:
        super().__init__(path, _SCHEMA, "alert ledger")
        with self.transaction() as db:  # a ledger written before incidents existed
            columns = {row[1] for row in db.execute("PRAGMA table_info(episodes)")}
            if "incident" not in columns:
                db.execute("ALTER TABLE episodes ADD COLUMN incident INTEGER")
            if "message" not in columns:  # nor messages: the English reason is shown
                db.execute("ALTER TABLE episodes ADD COLUMN message TEXT NOT NULL DEFAULT ''")

    # evaluation marks ------------------------------------------------------------------
    def evaluated(self, site: str) -> tuple[int | None, int | None]:
        """(until_ms, reference_ms) of the site's last evaluation, (None, None) before the first."""
        rows = self._query("SELECT until_ms, reference_ms FROM evaluations WHERE site = ?", (site,))
        return (int(rows[0][0]), rows[0][1]) if rows else (None, None)

    @staticmethod
    def mark_evaluated(
        db: sqlite3.Connection, site: str, until_ms: int, reference_ms: int | None, now_ms: int
    ) -> None:
        db.execute(
            "INSERT INTO evaluations (site, until_ms, reference_ms, evaluated_ms) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(site) DO UPDATE SET until_ms = excluded.until_ms, "
            "reference_ms = COALESCE(evaluations.reference_ms, excluded.reference_ms), "
            "evaluated_ms = excluded.evaluated_ms",
            (site, until_ms, reference_ms, now_ms),
        )

    # the retained alert topic ------------------------------------------------------------
    def published(self, site: str, topic: str) -> str | None:
        """The payload last published on ``topic`` (None before the first)."""
        rows = self._query(
            "SELECT payload FROM published WHERE site = ? AND topic = ?", (site, topic)
        )
        return str(rows[0][0]) if rows else None

    def mark_published(self, site: str, topic: str, payload: str, now_ms: int) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO published (site, topic, payload, published_ms) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(site, topic) DO UPDATE SET payload = excluded.payload, "
                "published_ms = excluded.published_ms",
                (site, topic, payload, now_ms),
            )

    # episodes --------------------------------------------------------------------------
    def episodes(self, site: str, *, open_only: bool = False) -> list[Episode]:
        where = "site = ? AND closed_ms IS NULL" if open_only else "site = ?"
        rows = self._query(
            f"SELECT {_EPISODE_COLUMNS} FROM episodes WHERE {where} ORDER BY id", (site,)
        )
        return [_episode(r) for r in rows]

    def episode(self, episode_id: int) -> Episode:
        rows = self._query(f"SELECT {_EPISODE_COLUMNS} FROM episodes WHERE id = ?", (episode_id,))
        if not rows:
            raise KeyError(episode_id)
        return _episode(rows[0])

    @staticmethod
    def open_episode(db: sqlite3.Connection, episode: Episode) -> int:
        """Insert ``episode`` (its ``id`` is ignored); the new id."""
        cur = db.execute(
            "INSERT INTO episodes (site, meter, type, quantity, detector, severity, reason, start_ms, "
            "end_ms, excess_per_day, cost_per_day, opened_ms, closed_ms, reminded_ms, reminders, notify, "
            "incident, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                episode.site,
                episode.meter,
                episode.type,
                episode.quantity,
                episode.detector,
                episode.severity,
                episode.reason,
                episode.start_ms,
                episode.end_ms,
                episode.excess_per_day,
                episode.cost_per_day,
                episode.opened_ms,
                episode.closed_ms,
                episode.reminded_ms,
                episode.reminders,
                int(episode.notify),
                episode.incident,
                episode.message,
            ),
        )
        assert cur.lastrowid is not None
        return int(cur.lastrowid)

    @staticmethod
    def update_episode(db: sqlite3.Connection, episode: Episode) -> None:
        db.execute(
            "UPDATE episodes SET severity = ?, reason = ?, start_ms = ?, end_ms = ?, excess_per_day = ?, "
            "cost_per_day = ?, closed_ms = ?, reminded_ms = ?, reminders = ?, incident = ?, "
            "message = ? WHERE id = ?",
            (
                episode.severity,
                episode.reason,
                episode.start_ms,
                episode.end_ms,
                episode.excess_per_day,
                episode.cost_per_day,
                episode.closed_ms,
                episode.reminded_ms,
                episode.reminders,
                episode.incident,
                episode.message,
                episode.id,
            ),
        )

    # outbox ----------------------------------------------------------------------------
    @staticmethod
    def record(
        db: sqlite3.Connection,
        episode_id: int,
        event: Event,
        number: int,
        notices: Sequence[Notice],
        now_ms: int,
        ref: str = "",
    ) -> int:
        """Write the intents (a notice already recorded is left as it is); how many are new."""
        new = 0
        for n in notices:
            cur = db.execute(
                "INSERT OR IGNORE INTO outbox (episode, event, number, channel, recipient, payload, "
                "created_ms, not_before_ms, next_try_ms, ref) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    episode_id,
                    event,
                    number,
                    n.channel,
                    n.recipient,
                    json.dumps(n.payload, sort_keys=True),
                    now_ms,
                    n.not_before_ms,
                    max(now_ms, n.not_before_ms),
                    ref,
                ),
            )
            new += cur.rowcount
        return new

    @staticmethod
    def told(db: sqlite3.Connection, episode_ids: Sequence[int]) -> set[tuple[str, str]]:
        """(channel, recipient) of every opening notice recorded for these episodes."""
        if not episode_ids:
            return set()
        marks = ", ".join("?" * len(episode_ids))
        rows = db.execute(
            f"SELECT channel, recipient FROM outbox WHERE event = 'open' AND episode IN ({marks})",
            list(episode_ids),
        ).fetchall()
        return {(str(c), str(r)) for c, r in rows}

    def recorded(self, ref: str, recipient: str) -> bool:
        """Whether a report row ``ref`` for ``recipient`` is in the outbox (sent or not)."""
        return bool(
            self._query("SELECT 1 FROM outbox WHERE ref = ? AND recipient = ?", (ref, recipient))
        )

    def due(self, now_ms: int, channel: str | None = None) -> list[OutboxItem]:
        """Unsent notices whose time has come (quiet hours over, backoff elapsed), oldest first."""
        where, args = ("AND channel = ?", [channel]) if channel else ("", [])
        rows = self._query(
            "SELECT id, episode, event, number, channel, recipient, payload, attempts, sent_ms, last_error "
            f"FROM outbox WHERE sent_ms IS NULL AND next_try_ms <= ? {where} ORDER BY id",
            [now_ms, *args],
        )
        return [_item(r) for r in rows]

    def outbox(self) -> list[OutboxItem]:
        """Every notice, sent or not, oldest first."""
        rows = self._query(
            "SELECT id, episode, event, number, channel, recipient, payload, attempts, sent_ms, last_error "
            "FROM outbox ORDER BY id"
        )
        return [_item(r) for r in rows]

    def mark_sent(self, item_id: int, now_ms: int) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE outbox SET sent_ms = ?, attempts = attempts + 1 WHERE id = ?",
                (now_ms, item_id),
            )

    def mark_failed(self, item_id: int, error: str, now_ms: int) -> float:
        """Count a failed try and push the next one back; the backoff in seconds."""
        with self.transaction() as db:
            row = db.execute("SELECT attempts FROM outbox WHERE id = ?", (item_id,)).fetchone()
            attempts = int(row[0]) + 1
            wait = backoff_s(attempts)
            db.execute(
                "UPDATE outbox SET attempts = ?, next_try_ms = ?, last_error = ? WHERE id = ?",
                (attempts, now_ms + int(wait * 1000), error[:500], item_id),
            )
        return wait


def _episode(r: tuple[Any, ...]) -> Episode:
    return Episode(
        int(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]), str(r[5]), str(r[6]), str(r[7]),
        int(r[8]), int(r[9]), r[10], r[11], int(r[12]), r[13], r[14], int(r[15]), bool(r[16]),
        r[17], str(r[18] or ""),
    )  # fmt: skip


def _item(r: tuple[Any, ...]) -> OutboxItem:
    return OutboxItem(
        int(r[0]), int(r[1]), str(r[2]), int(r[3]), str(r[4]), str(r[5]), json.loads(r[6]),
        int(r[7]), r[8], str(r[9]),
    )  # fmt: skip
