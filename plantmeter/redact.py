"""Secrets out of messages: one function that makes a URL safe to print or log.

Store and broker URLs may carry credentials (``influxdb://user:pass@host/db``,
``influxdb2://TOKEN@host/org/bucket``, ``mqtt://user:pass@host``), and an error about
a mistyped URL is exactly when a user pastes it into a ticket. Every message that
echoes a URL passes it through :func:`redact_url` first. :func:`read_secret` is where a
configured password is read (the broker's, the SMTP server's), never logged.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = ["SECRET_PARAMS", "read_secret", "redact_url"]


def read_secret(password: str | None, password_file: Path | None) -> str | None:
    """``password``, else the stripped contents of ``password_file``, else None."""
    if password is not None:
        return password
    if password_file is not None:
        return password_file.read_text(encoding="utf-8").strip()
    return None


# schemes whose user-info without a password is a plain user name (safe to show)
_USER_SCHEMES = frozenset({"mqtt", "mqtts", "influxdb", "sqlite"})
SECRET_PARAMS = frozenset({"password", "passwd", "pwd", "token", "secret", "key", "apikey"})
"""Query parameters whose values are never shown."""

MASK = "***"


def redact_url(url: str) -> str:
    """``url`` with any password, token or secret query value replaced by ``***``.

    ``user:pass@`` keeps the user name; a bare ``NAME@`` keeps it only for schemes where it
    is a user (mqtt, mqtts, influxdb), because in ``influxdb2://TOKEN@…`` — or a mistyped
    scheme — the user-info is the secret itself. Text that is not a URL at all is returned
    with everything before the last ``@`` masked.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return _mask_userinfo(url)
    if not parts.netloc:
        return _mask_userinfo(url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user, has_password, _ = userinfo.partition(":")
        if has_password:
            netloc = f"{user}:{MASK}@{hostport}"
        elif parts.scheme.lower() in _USER_SCHEMES:
            netloc = f"{user}@{hostport}"
        else:
            netloc = f"{MASK}@{hostport}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode(
            [(k, MASK if k.lower() in SECRET_PARAMS else v) for k, v in pairs], safe="*"
        )
    if (netloc, query) == (parts.netloc, parts.query):
        return url  # nothing secret: keep the text exactly as the user wrote it
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def _mask_userinfo(text: str) -> str:
    head, at, tail = text.rpartition("@")
    if not at:
        return text
    scheme, sep, _ = head.partition("://")
    return f"{scheme}{sep}{MASK}@{tail}" if sep else f"{MASK}@{tail}"
