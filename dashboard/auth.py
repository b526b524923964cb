"""Passwords, session and token secrets, CSRF tokens and login rate limiting.

* Passwords: Argon2id (argon2-cffi's ``PasswordHasher`` with its RFC 9106 low-memory defaults);
  only the encoded hash is stored; a hash made with older parameters is upgraded at the next
  login (``needs_rehash``).
* Sessions and API tokens: 256-bit random secrets (``secrets.token_urlsafe(32)``) handed to the
  client once; the server keeps only their SHA-256 digest, so a copy of ``users.db`` opens no
  session.
* CSRF: every session has its own random CSRF token, put in each form as a hidden field
  ``csrf_token`` (or sent as the ``X-CSRF-Token`` header by scripts); the login form, which has
  no session yet, uses a double-submit cookie. Compared in constant time.
* Login rate limiting: at most ``attempts`` failed logins per username and per client address
  in a sliding ``window_s``; then 429 with ``Retry-After`` until the oldest failure ages out.
  Kept in memory per process (one uvicorn worker serves the dashboard).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

__all__ = [
    "LoginLimiter",
    "digest",
    "hash_password",
    "needs_rehash",
    "new_secret",
    "same",
    "verify_password",
]

_hasher = PasswordHasher()  # immutable parameters, not state


def hash_password(password: str) -> str:
    """The Argon2id encoded hash (``$argon2id$v=19$m=...``) of ``password``."""
    if not password:
        raise ValueError("the password is empty")
    return _hasher.hash(password)


def verify_password(encoded: str, password: str) -> bool:
    """True when ``password`` matches the stored hash (False on a mismatch or a broken hash)."""
    try:
        return _hasher.verify(encoded, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(encoded: str) -> bool:
    return _hasher.check_needs_rehash(encoded)


def new_secret() -> str:
    """A fresh URL-safe 256-bit secret (session id, API token, CSRF token)."""
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """What the server stores of a session id or token: its SHA-256, hex."""
    return hashlib.sha256(secret.encode()).hexdigest()


def same(a: str | None, b: str | None) -> bool:
    """Constant-time equality of two secrets (False when either is missing)."""
    if not a or not b:
        return False
    return hmac.compare_digest(a.encode(), b.encode())


class LoginLimiter:
    """Failed logins per key (``user:NAME``, ``ip:ADDRESS``) in a sliding window."""

    def __init__(
        self, attempts: int, window_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.attempts = attempts
        self.window_s = window_s
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        q = self._failures.setdefault(key, deque())
        while q and q[0] <= now - self.window_s:
            q.popleft()
        return q

    def retry_after(self, *keys: str) -> float:
        """Seconds until a login may be tried again (0 when allowed now)."""
        now = self._clock()
        wait = 0.0
        with self._lock:
            for k in keys:
                q = self._recent(k, now)
                if len(q) >= self.attempts:
                    wait = max(wait, q[0] + self.window_s - now)
        return wait

    def failed(self, *keys: str) -> None:
        now = self._clock()
        with self._lock:
            for k in keys:
                self._recent(k, now).append(now)
            if len(self._failures) > 10_000:  # bound the memory an address sweep could take
                for k in [k for k, q in self._failures.items() if not q]:
                    del self._failures[k]

    def succeeded(self, *keys: str) -> None:
        with self._lock:
            for k in keys:
                self._failures.pop(k, None)
