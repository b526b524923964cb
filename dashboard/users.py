"""The dashboard's own SQLite file (``DATA_DIR/users.db``): users, sessions, API tokens, the
audit log and alarm acknowledgements.

Passwords are stored as Argon2 hashes only; sessions and tokens as the SHA-256 of their secret
(``auth.digest``). The file is created with mode 0600 in a 0700 directory. One connection
guarded by a lock serves the threads of the web server (WAL mode, so the CLI may add users
while the dashboard runs).
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from plantmeter.errors import ConfigError

from .auth import digest, hash_password, needs_rehash, new_secret, verify_password
from .roles import ROLES, Principal, Role

__all__ = [
    "Acknowledgement",
    "AuditEntry",
    "Session",
    "User",
    "UserStore",
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


@dataclass(frozen=True, slots=True)
class User:
    """A stored user (never carries the password hash out of this module)."""

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
class Session:
    user: User
    csrf: str
    expires: float


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


class UserStore:
    """Users, sessions, tokens, audit log and acknowledgements in one SQLite file."""

    def __init__(self, path: str | Path, clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path)
        self._now = clock  # seconds since the epoch; tests pass their own to expire sessions
        memory = str(path) == ":memory:"
        if not memory:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            if not self.path.exists():
                fd = os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600)
                os.close(fd)
        try:
            self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA foreign_keys = ON")
            self._db.execute("PRAGMA busy_timeout = 5000")
            if not memory:
                self._db.execute("PRAGMA journal_mode = WAL")
            self._db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise ConfigError(
                f"users database {self.path}: {exc}; is it a PlantMeter users.db?"
            ) from exc
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> UserStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _query(self, sql: str, args: Sequence[object] = ()) -> list[tuple[object, ...]]:
        with self._lock:
            return list(self._db.execute(sql, args).fetchall())

    # users -----------------------------------------------------------------------------
    def add_user(
        self,
        username: str,
        password: str,
        role: str,
        *,
        sites: Sequence[str] = (),
        loans: Sequence[str] = (),
        email: str | None = None,
    ) -> User:
        check_username(username)
        if role not in ROLES:
            raise ConfigError(f"role {role!r}: choose one of {', '.join(ROLES)}")
        if not password:
            raise ConfigError("the password is empty; give one (PLANTMETER_PASSWORD or the prompt)")
        if role in (Role.plant_manager, Role.auditor) and not sites:
            raise ConfigError(f"a {role} needs the sites they see: add --site ID (one per site)")
        if role == Role.financier and not loans:
            raise ConfigError("a financier needs the loans they fund: add --loan ID (one per loan)")
        if email is not None and (
            "@" not in email or len(email) > 254 or any(c.isspace() for c in email)
        ):
            raise ConfigError(f"e-mail {email!r}: write an address like name@example.org")
        encoded = hash_password(password)
        with self._tx() as db:
            if db.execute("SELECT 1 FROM users WHERE username = ?", (username,)).fetchone():
                raise ConfigError(
                    f"user {username!r} exists already; `plantmeter user remove {username}` first, "
                    "or `user passwd` to change the password"
                )
            db.execute(
                "INSERT INTO users (username, password_hash, role, sites, loans, email, created) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    username,
                    encoded,
                    role,
                    json.dumps(sorted(set(sites))),
                    json.dumps(sorted(set(loans))),
                    email,
                    self._now(),
                ),
            )
        logger.info("user %s added (%s)", username, role)
        return self.user(username)

    def user(self, username: str) -> User:
        rows = self._query(
            "SELECT username, role, sites, loans, email, locale, created FROM users WHERE username = ?",
            (username,),
        )
        if not rows:
            raise ConfigError(f"no user {username!r}; `plantmeter user list` shows who exists")
        return _user(rows[0])

    def users(self) -> list[User]:
        return [
            _user(r)
            for r in self._query(
                "SELECT username, role, sites, loans, email, locale, created FROM users ORDER BY username"
            )
        ]

    def remove_user(self, username: str) -> None:
        with self._tx() as db:
            if not db.execute("DELETE FROM users WHERE username = ?", (username,)).rowcount:
                raise ConfigError(f"no user {username!r}; `plantmeter user list` shows who exists")
        logger.info("user %s removed (their sessions and tokens with them)", username)

    def set_password(self, username: str, password: str) -> None:
        if not password:
            raise ConfigError("the password is empty; give one (PLANTMETER_PASSWORD or the prompt)")
        encoded = hash_password(password)
        with self._tx() as db:
            if not db.execute(
                "UPDATE users SET password_hash = ? WHERE username = ?", (encoded, username)
            ).rowcount:
                raise ConfigError(f"no user {username!r}; `plantmeter user list` shows who exists")
            # a new password ends every session and token of the old one
            db.execute("DELETE FROM sessions WHERE username = ?", (username,))
            db.execute("DELETE FROM tokens WHERE username = ?", (username,))
        logger.info("password of %s changed; their sessions and tokens ended", username)

    def authenticate(self, username: str, password: str) -> User | None:
        """The user when ``password`` is theirs, else None (same work done for unknown names)."""
        rows = self._query("SELECT password_hash FROM users WHERE username = ?", (username,))
        encoded = str(rows[0][0]) if rows else _dummy_hash()
        ok = verify_password(encoded, password)
        if not rows or not ok:
            return None
        if needs_rehash(encoded):
            with self._tx() as db:
                db.execute(
                    "UPDATE users SET password_hash = ? WHERE username = ?",
                    (hash_password(password), username),
                )
        return self.user(username)

    def password_hash(self, username: str) -> str:
        """The stored encoded hash (for tests and audits: it is never sent to a client)."""
        rows = self._query("SELECT password_hash FROM users WHERE username = ?", (username,))
        if not rows:
            raise ConfigError(f"no user {username!r}")
        return str(rows[0][0])

    # sessions and tokens ---------------------------------------------------------------
    def create_session(self, username: str, ttl_s: float) -> tuple[str, Session]:
        """A new session: (the secret for the cookie, the session)."""
        secret, csrf, now = new_secret(), new_secret(), self._now()
        with self._tx() as db:
            db.execute("DELETE FROM sessions WHERE expires <= ?", (now,))
            db.execute(
                "INSERT INTO sessions (id_digest, username, csrf, created, expires) VALUES (?, ?, ?, ?, ?)",
                (digest(secret), username, csrf, now, now + ttl_s),
            )
        return secret, Session(self.user(username), csrf, now + ttl_s)

    def session(self, secret: str) -> Session | None:
        rows = self._query(
            "SELECT username, csrf, expires FROM sessions WHERE id_digest = ? AND expires > ?",
            (digest(secret), self._now()),
        )
        if not rows:
            return None
        username, csrf, expires = rows[0]
        return Session(self.user(str(username)), str(csrf), float(expires))  # type: ignore[arg-type]

    def end_session(self, secret: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM sessions WHERE id_digest = ?", (digest(secret),))

    def create_token(self, username: str, ttl_s: float) -> str:
        secret, now = new_secret(), self._now()
        with self._tx() as db:
            db.execute("DELETE FROM tokens WHERE expires <= ?", (now,))
            db.execute(
                "INSERT INTO tokens (token_digest, username, created, expires) VALUES (?, ?, ?, ?)",
                (digest(secret), username, now, now + ttl_s),
            )
        return secret

    def token_user(self, secret: str) -> User | None:
        rows = self._query(
            "SELECT username FROM tokens WHERE token_digest = ? AND expires > ?",
            (digest(secret), self._now()),
        )
        return self.user(str(rows[0][0])) if rows else None

    # audit log -------------------------------------------------------------------------
    def audit(self, action: str, username: str | None, detail: str = "", client: str = "") -> None:
        with self._tx() as db:
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
        return [AuditEntry(float(t), u, str(a), str(d), str(c)) for t, u, a, d, c in rows]  # type: ignore[arg-type]

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
        with self._tx() as db:
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
            Acknowledgement(str(s), str(m), str(d), str(q), int(st), str(u), float(t), str(c))  # type: ignore[call-overload, arg-type]
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


@cache
def _dummy_hash() -> str:
    """Verified against for unknown usernames, so they take as long as a wrong password."""
    return hash_password(new_secret())
