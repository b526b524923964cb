"""The accounts file (``DATA_DIR/users.db``): users with their role, sites, loans and e-mail,
the audit log and alarm acknowledgements, read and written by the dashboard and the alert
service alike.

Passwords, sessions and API tokens live in the same file, but only the dashboard writes or
checks them (``dashboard.users.UserStore`` extends this store with Argon2 hashing); this module
never reads a password hash. The file is created with mode 0600 in a 0700 directory; one
connection guarded by a lock serves a process's threads (WAL mode, so the CLI, the dashboard
and the alert service may use it at once).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from plantmeter.errors import ConfigError

from .statefile import StateFile

__all__ = [
    "ROLES",
    "AccountStore",
    "Acknowledgement",
    "AuditEntry",
    "Principal",
    "Role",
    "User",
    "check_email",
    "check_username",
]

logger = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    username TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    sites TEXT NOT NULL DEFAULT '[]',
    loans TEXT NOT NULL DEFAULT '[]',
    email TEXT,
    locale TEXT,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    id_digest TEXT PRIMARY KEY,
    username TEXT NOT NULL REFERENCES users(username) ON DELETE CASCADE,
    csrf TEXT NOT NULL,
    created REAL NOT NULL,
    expires REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
    token_digest TEXT PRIMARY KEY,
    username TEXT NOT NULL REFERENCES users(username) ON DELETE CASCADE,
    created REAL NOT NULL,
    expires REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    time REAL NOT NULL,
    username TEXT,
    action TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    client TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS acks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    site TEXT NOT NULL,
    meter TEXT NOT NULL,
    detector TEXT NOT NULL,
    quantity TEXT NOT NULL,
    start_ms INTEGER NOT NULL,
    username TEXT NOT NULL,
    time REAL NOT NULL,
    comment TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS acks_flag ON acks (site, meter, detector, quantity, start_ms);
"""

_USERNAME_MAX = 64
_USER_COLUMNS = "username, role, sites, loans, email, locale, created"


class Role(StrEnum):
    admin = "admin"
    plant_manager = "plant_manager"
    financier = "financier"
    auditor = "auditor"


ROLES: tuple[str, ...] = tuple(r.value for r in Role)


@dataclass(frozen=True, slots=True)
class Principal:
    """A user as the authorisation rule (``dashboard.roles``) sees them: role and scopes."""

    username: str
    role: Role
    sites: frozenset[str] = frozenset()
    loans: frozenset[str] = frozenset()


def check_username(name: str) -> str:
    """``name`` if it is a usable username (1-64 printable characters, no spaces), else ConfigError."""
    if (
        not name
        or len(name) > _USERNAME_MAX
        or not name.isprintable()
        or any(c.isspace() for c in name)
    ):
        raise ConfigError(
            f"username {name!r}: use 1 to {_USERNAME_MAX} printable characters without spaces"
        )
    return name


def check_email(email: str) -> str:
    """``email`` if it looks like an address (``name@host``, no spaces, <= 254), else ConfigError."""
    local, at, host = email.partition("@")
    if not at or not local or not host or len(email) > 254 or any(c.isspace() for c in email):
        raise ConfigError(f"e-mail {email!r}: write an address like name@example.org")
    return email


@dataclass(frozen=True, slots=True)
class User:
    """A stored user (never carries the password hash out of the store)."""

    username: str
    role: Role
    sites: tuple[str, ...]
    loans: tuple[str, ...]
    email: str | None
    locale: str | None
    created: float

    @property
    def principal(self) -> Principal:
        return Principal(self.username, self.role, frozenset(self.sites), frozenset(self.loans))


@dataclass(frozen=True, slots=True)
class AuditEntry:
    time: float
    username: str | None
    action: str  # login, login_failed, logout, token, acknowledge, report_download
    detail: str
    client: str


@dataclass(frozen=True, slots=True)
class Acknowledgement:
    site: str
    meter: str
    detector: str
    quantity: str
    start_ms: int
    username: str
    time: float
    comment: str


class AccountStore(StateFile):
    """Users (read, remove), the audit log and acknowledgements in one SQLite file."""

    def __init__(self, path: str | Path, clock: Callable[[], float] = time.time) -> None:
        self._now = clock  # seconds since the epoch; tests pass their own
        super().__init__(path, _SCHEMA, "users database")

    # users -----------------------------------------------------------------------------
    def user(self, username: str) -> User:
        rows = self._query(f"SELECT {_USER_COLUMNS} FROM users WHERE username = ?", (username,))
        if not rows:
            raise ConfigError(f"no user {username!r}; `plantmeter user list` shows who exists")
        return _user(rows[0])

    def users(self) -> list[User]:
        return [
            _user(r) for r in self._query(f"SELECT {_USER_COLUMNS} FROM users ORDER BY username")
        ]

    def remove_user(self, username: str) -> None:
        with self.transaction() as db:
            if not db.execute("DELETE FROM users WHERE username = ?", (username,)).rowcount:
                raise ConfigError(f"no user {username!r}; `plantmeter user list` shows who exists")
        logger.info("user %s removed (their sessions and tokens with them)", username)

    # audit log -------------------------------------------------------------------------
    def audit(self, action: str, username: str | None, detail: str = "", client: str = "") -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO audit (time, username, action, detail, client) VALUES (?, ?, ?, ?, ?)",
                (self._now(), username, action, detail[:500], client[:100]),
            )

    def audit_log(self, limit: int = 200, action: str | None = None) -> list[AuditEntry]:
        """Newest first."""
        where, args = ("WHERE action = ?", [action]) if action else ("", [])
        rows = self._query(
            f"SELECT time, username, action, detail, client FROM audit {where} ORDER BY id DESC LIMIT ?",
            [*args, limit],
        )
        return [AuditEntry(float(t), u, str(a), str(d), str(c)) for t, u, a, d, c in rows]

    # acknowledgements ------------------------------------------------------------------
    def acknowledge(
        self,
        site: str,
        meter: str,
        detector: str,
        quantity: str,
        start_ms: int,
        username: str,
        comment: str,
    ) -> Acknowledgement:
        now = self._now()
        with self.transaction() as db:
            db.execute(
                "INSERT INTO acks (site, meter, detector, quantity, start_ms, username, time, comment) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (site, meter, detector, quantity, start_ms, username, now, comment),
            )
        return Acknowledgement(site, meter, detector, quantity, start_ms, username, now, comment)

    def acknowledgements(self, site: str, meter: str | None = None) -> list[Acknowledgement]:
        """Oldest first (a flag may be acknowledged more than once: the history is kept)."""
        where, args = (
            ("site = ?", [site]) if meter is None else ("site = ? AND meter = ?", [site, meter])
        )
        rows = self._query(
            "SELECT site, meter, detector, quantity, start_ms, username, time, comment FROM acks "
            f"WHERE {where} ORDER BY id",
            args,
        )
        return [
            Acknowledgement(str(s), str(m), str(d), str(q), int(st), str(u), float(t), str(c))
            for s, m, d, q, st, u, t, c in rows
        ]


def _user(row: tuple[object, ...]) -> User:
    username, role, sites, loans, email, locale, created = row
    return User(
        str(username),
        Role(str(role)),
        tuple(json.loads(str(sites))),
        tuple(json.loads(str(loans))),
        None if email is None else str(email),
        None if locale is None else str(locale),
        float(created),  # type: ignore[arg-type]
    )
