"""The dashboard's users file (``DATA_DIR/users.db``): ``services.accounts.AccountStore`` (users,
audit log, alarm acknowledgements, shared with the alert service) plus what only the dashboard
does: adding users and checking passwords (Argon2 hashes only), sessions and API tokens (stored
as the SHA-256 of their secret, ``auth.digest``).

The names of ``services.accounts`` (``User``, ``Acknowledgement``, ``AuditEntry``,
``check_username``) stay importable from here.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from plantmeter.errors import ConfigError
from plantmeter.i18n import check_locale
from services.accounts import (
    ROLES,
    AccountStore,
    Acknowledgement,
    AuditEntry,
    Role,
    User,
    check_email,
    check_username,
)

from .auth import digest, hash_password, needs_rehash, new_secret, verify_password

__all__ = [
    "Acknowledgement",
    "AuditEntry",
    "Session",
    "User",
    "UserStore",
    "check_username",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Session:
    user: User
    csrf: str
    expires: float


class UserStore(AccountStore):
    """Users, sessions, tokens, audit log and acknowledgements in one SQLite file."""

    def __enter__(self) -> UserStore:
        return self

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
        locale: str | None = None,
    ) -> User:
        """Add a user; ``locale`` (``es_GT``, ``pt_BR``...) is their language and number format
        on the dashboard and in their e-mails (default: Accept-Language, the site's locale)."""
        check_username(username)
        if role not in ROLES:
            raise ConfigError(f"role {role!r}: choose one of {', '.join(ROLES)}")
        if not password:
            raise ConfigError("the password is empty; give one (PLANTMETER_PASSWORD or the prompt)")
        if role in (Role.plant_manager, Role.auditor) and not sites:
            raise ConfigError(f"a {role} needs the sites they see: add --site ID (one per site)")
        if role == Role.financier and not loans:
            raise ConfigError("a financier needs the loans they fund: add --loan ID (one per loan)")
        if email is not None:
            check_email(email)
        if locale is not None:
            try:
                locale = check_locale(locale)
            except ValueError as exc:
                raise ConfigError(f"--locale {locale}: {exc}") from None
        encoded = hash_password(password)
        with self.transaction() as db:
            if db.execute("SELECT 1 FROM users WHERE username = ?", (username,)).fetchone():
                raise ConfigError(
                    f"user {username!r} exists already; `plantmeter user remove {username}` first, "
                    "or `user passwd` to change the password"
                )
            db.execute(
                "INSERT INTO users (username, password_hash, role, sites, loans, email, locale, "
                "created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    username,
                    encoded,
                    role,
                    json.dumps(sorted(set(sites))),
                    json.dumps(sorted(set(loans))),
                    email,
                    locale,
                    self._now(),
                ),
            )
        logger.info("user %s added (%s)", username, role)
        return self.user(username)

    def set_password(self, username: str, password: str) -> None:
        if not password:
            raise ConfigError("the password is empty; give one (PLANTMETER_PASSWORD or the prompt)")
        encoded = hash_password(password)
        with self.transaction() as db:
            if not db.execute(
                "UPDATE users SET password_hash = ? WHERE username = ?", (encoded, username)
            ).rowcount:
                raise ConfigError(f"no user {username!r}; `plantmeter user list` shows who exists")
            # a new password ends every session and token of the old one
            db.execute("DELETE FROM sessions WHERE username = ?", (username,))
            db.execute("DELETE FROM tokens WHERE username = ?", (username,))
        logger.info("password of %s changed; their sessions and tokens ended", username)

    def set_locale(self, username: str, locale: str | None) -> None:
        """The user's language and number format (None: the browser's, then the site's)."""
        value = None if locale is None else check_locale(locale)
        with self.transaction() as db:
            if not db.execute(
                "UPDATE users SET locale = ? WHERE username = ?", (value, username)
            ).rowcount:
                raise ConfigError(f"no user {username!r}; `plantmeter user list` shows who exists")

    def authenticate(self, username: str, password: str) -> User | None:
        """The user when ``password`` is theirs, else None (same work done for unknown names)."""
        rows = self._query("SELECT password_hash FROM users WHERE username = ?", (username,))
        encoded = str(rows[0][0]) if rows else _dummy_hash()
        ok = verify_password(encoded, password)
        if not rows or not ok:
            return None
        if needs_rehash(encoded):
            with self.transaction() as db:
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
        with self.transaction() as db:
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
        return Session(self.user(str(username)), str(csrf), float(expires))

    def end_session(self, secret: str) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM sessions WHERE id_digest = ?", (digest(secret),))

    def create_token(self, username: str, ttl_s: float) -> str:
        secret, now = new_secret(), self._now()
        with self.transaction() as db:
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


@cache
def _dummy_hash() -> str:
    """Verified against for unknown usernames, so they take as long as a wrong password."""
    return hash_password(new_secret())
