"""SeriesStore implementations and the URL that chooses one."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from plantmeter.errors import ConfigError
from plantmeter.redact import redact_url
from plantmeter.store import SeriesStore

from .sqlite import SqliteStore

__all__ = ["SqliteStore", "open_store"]


def open_store(url: str, *, create: bool = True) -> SeriesStore:
    """Open the store named by ``url``.

    ``sqlite:///relative/path.db``, ``sqlite:////absolute/path.db``,
    ``influxdb://[user:pass@]host:port/db`` (InfluxDB 1.x API, also 2.x/3.x v1 compatibility),
    ``influxdb2://TOKEN@host:port/ORG/BUCKET`` (InfluxDB 2.x/3.x, ``/api/v2/write``).
    """
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        path = url.removeprefix("sqlite://").removeprefix("/")
        if url.startswith("sqlite:////"):
            path = "/" + path.lstrip("/")
        if not path:
            raise ConfigError(f"store URL {url!r} has no file path; write sqlite:///var/plantmeter.db")
        return SqliteStore(Path(path))
    if parts.scheme in ("influxdb", "influxdb2"):
        from .influx import InfluxStore  # only needed when InfluxDB is used

        return InfluxStore.from_url(url, create=create)
    raise ConfigError(
        f"store URL {redact_url(url)!r} has an unknown scheme; use sqlite:///PATH, influxdb://HOST:PORT/DB "
        "or influxdb2://TOKEN@HOST:PORT/ORG/BUCKET"
    )
