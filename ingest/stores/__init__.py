"""SeriesStore implementations and the URL that chooses one."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from plantmeter.errors import ConfigError
from plantmeter.redact import redact_url
from plantmeter.store import SeriesStore

from .sqlite import SqliteStore

__all__ = ["SqliteStore", "open_store"]


def open_store(url: str, *, create: bool = True, read_only: bool = False) -> SeriesStore:
    """Open the store named by ``url``.

    ``create=False``: the store must exist (SQLite: the file; InfluxDB: the database), else
    a ``StoreError`` names what was looked for. ``read_only=True`` (readers: export,
    reports, dashboard) implies ``create=False`` and makes every write raise ``StoreError``.
    SQLite URLs take ``?durable=false`` (synchronous=NORMAL: faster, may lose the last
    writes on power loss; for scratch stores only).

    ``sqlite:///relative/path.db``, ``sqlite:////absolute/path.db``,
    ``influxdb://[user:pass@]host:port/db`` (InfluxDB 1.x API, also 2.x/3.x v1 compatibility),
    ``influxdb2://TOKEN@host:port/ORG/BUCKET`` (InfluxDB 2.x/3.x, ``/api/v2/write``).
    """
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        bare, _, query = url.partition("?")
        path = bare.removeprefix("sqlite://").removeprefix("/")
        if bare.startswith("sqlite:////"):
            path = "/" + path.lstrip("/")
        if not path:
            raise ConfigError(
                f"store URL {url!r} has no file path; write sqlite:///var/plantmeter.db"
            )
        return SqliteStore(
            Path(path), create=create, read_only=read_only, durable=_durable(url, query)
        )
    if parts.scheme in ("influxdb", "influxdb2"):
        from .influx import InfluxStore  # only needed when InfluxDB is used

        return InfluxStore.from_url(url, create=create and not read_only, read_only=read_only)
    raise ConfigError(
        f"store URL {redact_url(url)!r} has an unknown scheme; use sqlite:///PATH, influxdb://HOST:PORT/DB "
        "or influxdb2://TOKEN@HOST:PORT/ORG/BUCKET"
    )


def _durable(url: str, query: str) -> bool:
    params = dict(parse_qsl(query, keep_blank_values=True))
    unknown = sorted(set(params) - {"durable"})
    if unknown:
        raise ConfigError(
            f"store URL {url!r}: unknown parameter(s) {unknown}; SQLite knows durable=true|false"
        )
    raw = params.get("durable", "true").lower()
    if raw not in ("true", "false", "1", "0", "yes", "no"):
        raise ConfigError(
            f"store URL {url!r}: durable={raw!r}; write durable=true or durable=false"
        )
    return raw in ("true", "1", "yes")
