"""InfluxDB store settings: URL parsing, secrets from the environment, redaction, API choice.

Pure functions, no network. URL forms::

    influxdb://[user[:password]@]host[:port]/db[?rp=RP&create=true&api=v1|v2&ssl=true&timeout=10]
    influxdb2://TOKEN@host[:port]/ORG/BUCKET[?create=true&api=v2&ssl=true&timeout=10]

Secrets may stay out of the URL: ``PLANTMETER_INFLUX_PASSWORD`` (with a user in an
``influxdb://`` URL) and ``PLANTMETER_INFLUX_TOKEN`` (``influxdb2://host:port/ORG/BUCKET``).
A value in the URL wins over the environment. Percent-encode ``@ / : ? #`` in URL secrets.
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import parse_qs, quote, unquote, urlsplit

from plantmeter.errors import ConfigError
from plantmeter.redact import redact_url

__all__ = [
    "ENV_PASSWORD",
    "ENV_TOKEN",
    "InfluxConfig",
    "choose_api",
    "parse_influx_url",
    "parse_version",
]

ENV_PASSWORD = "PLANTMETER_INFLUX_PASSWORD"
ENV_TOKEN = "PLANTMETER_INFLUX_TOKEN"
DEFAULT_PORT = 8086

Api = Literal["v1", "v2"]

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_KNOWN_PARAMS = {"rp", "create", "api", "ssl", "timeout"}


@dataclass(frozen=True)
class InfluxConfig:
    """Where and how to reach InfluxDB. Secrets are kept out of ``repr``."""

    scheme: str  # "influxdb" (v1 addressing: db + rp) or "influxdb2" (org + bucket)
    host: str
    port: int
    database: str  # v1 database, or the v2 bucket
    rp: str = ""
    org: str = ""
    username: str = ""
    password: str = field(default="", repr=False)
    token: str = field(default="", repr=False)
    api: Literal["auto", "v1", "v2"] = "auto"
    create: bool | None = None  # None: the caller decides
    ssl: bool = False
    timeout: float = 10.0

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{'https' if self.ssl else 'http'}://{self.address}"

    def redacted(self) -> str:
        """The URL with any password or token replaced by ``***``; safe to log."""
        if self.scheme == "influxdb2":
            who = "***@" if self.token else ""
            path = f"/{quote(self.org, safe='')}/{quote(self.database, safe='')}"
        else:
            who = ""
            if self.username:
                who = quote(self.username, safe="") + (":***" if self.password else "") + "@"
            path = f"/{quote(self.database, safe='')}"
        return f"{self.scheme}://{who}{self.address}{path}"

    def auth_header(self) -> dict[str, str]:
        """The HTTP Authorization header for ``/write`` and ``/query`` (empty without auth)."""
        if self.token:
            return {"Authorization": f"Token {self.token}"}
        if self.username:
            raw = f"{self.username}:{self.password}".encode()
            return {"Authorization": "Basic " + base64.b64encode(raw).decode("ascii")}
        return {}

    def client_token(self) -> str:
        """The token influxdb-client sends: the v2 token, or ``user:password`` for 1.8+."""
        if self.token:
            return self.token
        return f"{self.username}:{self.password}" if self.username else ""

    def client_bucket(self) -> str:
        """The bucket influxdb-client writes to (``db/rp`` on 1.8+)."""
        if self.scheme == "influxdb2":
            return self.database
        return f"{self.database}/{self.rp}" if self.rp else self.database

    def client_org(self) -> str:
        return self.org if self.scheme == "influxdb2" else "-"


def _flag(name: str, raw: str, url: str) -> bool:
    if raw.lower() in _TRUE:
        return True
    if raw.lower() in _FALSE:
        return False
    raise ConfigError(
        f"store URL {url}: {name}={raw!r} is not a boolean; write {name}=true or {name}=false"
    )


def parse_influx_url(url: str, env: Mapping[str, str] | None = None) -> InfluxConfig:
    """Parse an ``influxdb://`` or ``influxdb2://`` URL (secrets from ``env`` when absent)."""
    env = os.environ if env is None else env
    parts = urlsplit(url)
    scheme = parts.scheme
    if scheme not in ("influxdb", "influxdb2"):
        raise ConfigError(
            f"not an InfluxDB URL (scheme {scheme!r}); use influxdb:// or influxdb2://"
        )
    try:
        host = parts.hostname or ""
        port = parts.port or DEFAULT_PORT
    except ValueError as exc:
        raise ConfigError(f"InfluxDB store URL has a bad port: {exc}") from None
    username = unquote(parts.username or "")
    secret = unquote(parts.password or "")
    safe = redact_url(url)  # for messages
    if not host:
        raise ConfigError(f"store URL {safe} has no host; write {scheme}://HOST:8086/...")
    segments = [unquote(s) for s in parts.path.split("/") if s]
    params = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    unknown = sorted(set(params) - _KNOWN_PARAMS)
    if unknown:
        raise ConfigError(
            f"store URL {safe}: unknown parameter(s) {unknown}; known: {sorted(_KNOWN_PARAMS)}"
        )
    api = params.get("api", "auto").lower()
    if api not in ("auto", "v1", "v2"):
        raise ConfigError(f"store URL {safe}: api={api!r}; write api=v1, api=v2 or leave it out")
    create = _flag("create", params["create"], safe) if "create" in params else None
    ssl = _flag("ssl", params["ssl"], safe) if "ssl" in params else False
    try:
        timeout = float(params.get("timeout", "10"))
    except ValueError:
        raise ConfigError(f"store URL {safe}: timeout must be seconds, e.g. timeout=10") from None
    common = {
        "host": host,
        "port": port,
        "api": api,
        "create": create,
        "ssl": ssl,
        "timeout": timeout,
    }
    if scheme == "influxdb":
        if len(segments) != 1:
            raise ConfigError(
                f"store URL {safe}: give exactly one database, e.g. influxdb://{host}:{port}/plantmeter"
            )
        password = secret or (env.get(ENV_PASSWORD, "") if username else "")
        if env.get(ENV_PASSWORD) and not username:
            raise ConfigError(
                f"{ENV_PASSWORD} is set but store URL {safe} names no user; "
                f"write influxdb://USER@{host}:{port}/{segments[0]}"
            )
        return InfluxConfig(
            scheme,
            database=segments[0],
            rp=params.get("rp", ""),
            username=username,
            password=password,
            **common,  # type: ignore[arg-type]
        )
    if len(segments) != 2:
        raise ConfigError(
            f"store URL {safe}: give org and bucket, e.g. influxdb2://TOKEN@{host}:{port}/ORG/BUCKET"
        )
    if "rp" in params:
        raise ConfigError(
            f"store URL {safe}: rp= is for influxdb:// URLs; a v2 bucket has its own retention"
        )
    # The token may sit in the user part (TOKEN@host) or, if it contains ':', across user:password.
    token = f"{username}:{secret}" if secret else username
    token = token or env.get(ENV_TOKEN, "")
    if not token:
        raise ConfigError(
            f"store URL {safe} has no token; write influxdb2://TOKEN@{host}:{port}/ORG/BUCKET "
            f"or set {ENV_TOKEN}"
        )
    return InfluxConfig(
        scheme,
        org=segments[0],
        database=segments[1],
        token=token,
        **common,  # type: ignore[arg-type]
    )


_VERSION = re.compile(r"v?(\d+)\.(\d+)")


def parse_version(header: str | None) -> tuple[int, int] | None:
    """``"1.6.7~rc0"`` -> ``(1, 6)``; ``"v2.7.4"`` -> ``(2, 7)``; None when unknown."""
    match = _VERSION.match((header or "").strip())
    return (int(match.group(1)), int(match.group(2))) if match else None


def choose_api(config: InfluxConfig, version: tuple[int, int] | None) -> Api:
    """The write API to use: forced by ``api=``, else v2 on 1.8+/2.x/3.x and v1 below.

    Raises ``ConfigError`` when the choice cannot work on that server.
    """
    has_v2 = version is not None and version >= (1, 8)
    old = version is not None and not has_v2
    shown = ".".join(map(str, version)) if version else "unknown"
    if config.api == "v2" or (config.api == "auto" and config.scheme == "influxdb2"):
        if old:
            raise ConfigError(
                f"InfluxDB at {config.address} is {shown}, which has no /api/v2/write; "
                f"use influxdb://{config.address}/DB (or api=v1)"
            )
        return "v2"
    if config.api == "v1":
        return "v1"
    if version is None:
        return "v1"  # /write is served by 1.x, and by 2.x/3.x through the v1 compatibility API
    return "v2" if has_v2 else "v1"
