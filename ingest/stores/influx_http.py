"""HTTP transport to InfluxDB: ``/ping``, v1 ``/write``, InfluxQL ``/query``, and the v2 writer.

Errors are mapped once, here:

* connection refused / reset, timeout, HTTP 5xx -> ``StoreUnavailable`` (retry later);
* HTTP 4xx (bad auth, unknown database, partial write, bad query) -> ``StoreError`` with the fix.

Messages name ``host:port``, never a password or token.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

import urllib3
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import ProtocolError

from plantmeter.errors import StoreError, StoreUnavailable

from .influx_config import InfluxConfig

__all__ = ["InfluxHttp", "V2Writer", "raise_for_status"]

logger = logging.getLogger(__name__)


def _message(body: bytes) -> str:
    text = body.decode("utf-8", "replace").strip()
    try:
        doc = json.loads(text)
    except ValueError:
        return text[:500]
    if isinstance(doc, dict):
        return str(doc.get("error") or doc.get("message") or doc)[:500]
    return text[:500]


def raise_for_status(status: int, body: bytes, config: InfluxConfig, what: str) -> None:
    """Raise the PlantMeter error for an unsuccessful InfluxDB answer (no-op on 2xx)."""
    if 200 <= status < 300:
        return
    where = f"InfluxDB at {config.address}"
    detail = _message(body)
    if status >= 500 or status == 429:
        raise StoreUnavailable(
            f"{where}: {what} failed with HTTP {status} ({detail}); it will be retried"
        )
    if status in (401, 403):
        fix = (
            "check the token and its permissions (PLANTMETER_INFLUX_TOKEN)"
            if config.token
            else "check the user and password (PLANTMETER_INFLUX_PASSWORD)"
        )
        raise StoreError(f"{where}: {what} refused, HTTP {status} ({detail}); {fix}")
    if status == 404 or "not found" in detail:
        raise StoreError(
            f"{where}: {what} failed, HTTP {status} ({detail}); create the database/bucket "
            f"{config.database!r} (or open the store with create=true)"
        )
    raise StoreError(f"{where}: {what} rejected, HTTP {status} ({detail})")


class InfluxHttp:
    """One pooled HTTP connection to InfluxDB (thread-safe: the pool hands it out in turn)."""

    def __init__(self, config: InfluxConfig) -> None:
        self.config = config
        pool_cls = urllib3.HTTPSConnectionPool if config.ssl else urllib3.HTTPConnectionPool
        self._pool = pool_cls(
            config.host,
            config.port,
            maxsize=1,
            block=True,
            timeout=urllib3.Timeout(connect=min(config.timeout, 5.0), read=config.timeout),
            retries=False,
        )

    def close(self) -> None:
        self._pool.close()

    def request(
        self,
        method: str,
        path: str,
        what: str,
        params: Mapping[str, str] | None = None,
        body: bytes | None = None,
        auth: bool = True,
    ) -> urllib3.BaseHTTPResponse:
        """Send one request; a connection dropped by a restarted server is retried once.

        Only idempotent requests go through here (writes are idempotent by schema).
        """
        url = path
        if params:
            url += "?" + urlencode(params)
        headers = self.config.auth_header() if auth else {}
        if body is not None:
            headers = {**headers, "Content-Type": "text/plain; charset=utf-8"}
        for attempt in (1, 2):
            try:
                response = self._pool.urlopen(
                    method, url, body=body, headers=headers, retries=False, pool_timeout=60
                )
            except ProtocolError as exc:
                if attempt == 1:
                    logger.debug(
                        "InfluxDB at %s dropped the connection; retrying once", self.config.address
                    )
                    continue
                raise self._unavailable(what, exc) from exc
            except (Urllib3Error, OSError) as exc:
                raise self._unavailable(what, exc) from exc
            raise_for_status(response.status, response.data, self.config, what)
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    def _unavailable(self, what: str, exc: BaseException) -> StoreUnavailable:
        reason = type(exc).__name__
        if "refused" in str(exc).lower():
            reason = "connection refused"
        elif "timed out" in str(exc).lower() or "timeout" in reason.lower():
            reason = "timed out"
        return StoreUnavailable(
            f"InfluxDB at {self.config.address} is unreachable ({reason}) during {what}; "
            "it will be retried"
        )

    def ping(self) -> str:
        """The server's version from ``/ping``'s ``X-Influxdb-Version`` header ("" if absent)."""
        response = self.request("GET", "/ping", "ping", auth=False)
        return response.headers.get("X-Influxdb-Version", "")

    def write_v1(self, lines: Sequence[str], precision: str) -> None:
        """POST line protocol to ``/write``; returns once InfluxDB answered 204 (in its WAL)."""
        params = {"db": self.config.database, "precision": precision}
        if self.config.rp:
            params["rp"] = self.config.rp
        self.request("POST", "/write", "write", params, "\n".join(lines).encode("utf-8"))

    def query(self, q: str, *, write: bool = False, chunk_size: int = 0) -> list[dict[str, Any]]:
        """Run InfluxQL; return the series of all statements. Errors in results raise."""
        params = {"q": q, "epoch": "ms"}
        if self.config.database:
            params["db"] = self.config.database
        if chunk_size:
            params.update(chunked="true", chunk_size=str(chunk_size))
        response = self.request("POST" if write else "GET", "/query", "query", params)
        series: list[dict[str, Any]] = []
        decoder = json.JSONDecoder()
        text = response.data.decode("utf-8")
        pos = 0
        while pos < len(text):
            while pos < len(text) and text[pos].isspace():
                pos += 1
            if pos >= len(text):
                break
            doc, pos = decoder.raw_decode(text, pos)  # chunked: one JSON document per chunk
            if doc.get("error"):
                raise StoreError(f"InfluxDB at {self.config.address}: query failed: {doc['error']}")
            for result in doc.get("results", []):
                if result.get("error"):
                    error = result["error"]
                    if "database not found" in error:
                        raise_for_status(404, error.encode(), self.config, "query")
                    raise StoreError(f"InfluxDB at {self.config.address}: query failed: {error}")
                series.extend(result.get("series", []))
        return series


class V2Writer:
    """Writes through influxdb-client's synchronous WriteApi (``/api/v2/write``; 1.8+, 2.x, 3.x)."""

    def __init__(self, config: InfluxConfig) -> None:
        from influxdb_client.client.influxdb_client import InfluxDBClient
        from influxdb_client.client.write_api import SYNCHRONOUS

        self.config = config
        self._client = InfluxDBClient(
            url=config.base_url,
            token=config.client_token(),
            org=config.client_org(),
            timeout=int(config.timeout * 1000),
            retries=False,
        )
        self._write = self._client.write_api(write_options=SYNCHRONOUS)

    def write(self, lines: Sequence[str], precision: str) -> None:
        from influxdb_client.domain.write_precision import WritePrecision

        wp: Any = {"ms": WritePrecision.MS, "ns": WritePrecision.NS}[precision]
        self._call(
            "write",
            lambda: self._write.write(
                bucket=self.config.client_bucket(),
                org=self.config.client_org(),
                record=list(lines),
                write_precision=wp,
            ),
        )

    def create_bucket(self) -> None:
        """Create the bucket if it is missing; a clear error when the token may not."""
        api = self._client.buckets_api()
        name = self.config.database
        if self._call("bucket lookup", lambda: api.find_bucket_by_name(name)) is not None:
            return
        try:
            self._call(
                "bucket creation", lambda: api.create_bucket(bucket_name=name, org=self.config.org)
            )
        except StoreUnavailable:
            raise
        except StoreError as exc:
            raise StoreError(
                f"{exc}; create bucket {name!r} in org {self.config.org!r} yourself "
                f"(`influx bucket create -n {name} -o {self.config.org}`) or use a token "
                "allowed to write buckets"
            ) from exc
        logger.info("created InfluxDB bucket %s in org %s", name, self.config.org)

    def _call(self, what: str, fn: Any) -> Any:
        from influxdb_client.rest import ApiException

        try:
            return fn()
        except ApiException as exc:
            body = exc.body or exc.reason or ""
            raw = body.encode() if isinstance(body, str) else bytes(body)
            raise_for_status(int(exc.status or 500), raw, self.config, what)
            raise StoreError(f"InfluxDB at {self.config.address}: {what} failed") from exc
        except (Urllib3Error, OSError) as exc:
            raise StoreUnavailable(
                f"InfluxDB at {self.config.address} is unreachable ({type(exc).__name__}) during "
                f"{what}; it will be retried"
            ) from exc

    def close(self) -> None:
        self._client.close()
