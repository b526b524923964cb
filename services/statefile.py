"""A private SQLite file of application state (users, the alert ledger): created 0600 in a 0700
folder, WAL, foreign keys, one connection shared by threads under a lock, transactions that
commit whole or not at all."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Self

from plantmeter.errors import ConfigError

__all__ = ["StateFile"]


class StateFile:
    """Opens (or creates) ``path`` with ``schema``; ``what`` names the file in errors."""

    def __init__(self, path: str | Path, schema: str, what: str) -> None:
        self.path = Path(path)
        memory = str(path) == ":memory:"
        if not memory:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            if not self.path.exists():
                os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
        try:
            self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA foreign_keys = ON")
            self._db.execute("PRAGMA busy_timeout = 5000")
            if not memory:
                self._db.execute("PRAGMA journal_mode = WAL")
            self._db.executescript(schema)
        except sqlite3.DatabaseError as exc:
            raise ConfigError(
                f"{what} {self.path}: {exc}; is it a PlantMeter {self.path.name}?"
            ) from exc
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic change, or nothing."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _query(self, sql: str, args: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return list(self._db.execute(sql, args).fetchall())
