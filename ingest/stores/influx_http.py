"""HTTP transport to InfluxDB: ``/ping``, v1 ``/write``, InfluxQL ``/query``, and the v2 writer.

Errors are mapped once, here:

* connection refused / reset, timeout, HTTP 5xx -> ``StoreUnavailable`` (retry later);
* HTTP 4xx (bad auth, unknown database, partial write, bad query) -> ``StoreError`` with the fix.

Messages name ``host:port``, never a password or token.
"""

from __future__ import annotations

import http.client
import json
import logging
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, NamedTuple
from urllib.parse import urlencode

from urllib3.exceptions import HTTPError as Urllib3Error

from plantmeter.errors import StoreError, StoreUnavailable

from .influx_config import InfluxConfig

__all__ = ["InfluxHttp", "V2Writer", "raise_for_status"]

logger = logging.getLogger(__name__)

# A kept-alive connection the server closed meanwhile fails with one of these.
_STALE = (
    http.client.RemoteDisconnected,
    BrokenPipeError,
    ConnectionResetError,
    ConnectionAbortedError,
)


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
    if "page not found" in detail:
        raise StoreError(
            f"{where}: {what} failed, HTTP {status} ({detail}): no such endpoint; InfluxDB "
            f"before 1.8 has no /api/v2/write: use influxdb://{config.address}/DB or api=v1"
        )
    if status == 404 or "not found" in detail:
        raise StoreError(
            f"{where}: {what} failed, HTTP {status} ({detail}); create the database/bucket "
            f"{config.database!r} (or open the store with create=true)"
        )
    raise StoreError(f"{where}: {what} rejected, HTTP {status} ({detail})")


class _Answer(NamedTuple):
    status: int
    headers: Mapping[str, str]
    data: bytes


class InfluxHttp:
    """One kept-alive HTTP connection to InfluxDB (stdlib ``http.client``), used in turn.

    A connection the server dropped (e.g. after a restart) is reopened and the request
    sent once more; that is safe because every request sent here is idempotent.
    """

    def __init__(self, config: InfluxConfig) -> None:
        self.config = config
        self._conn: http.client.HTTPConnection | None = None
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._drop()

    def _drop(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            cls = http.client.HTTPSConnection if self.config.ssl else http.client.HTTPConnection
            self._conn = cls(self.config.host, self.config.port, timeout=self.config.timeout)
        return self._conn

    def _url(self, path: str, params: Mapping[str, str] | None) -> str:
        return f"{path}?{urlencode(params)}" if params else path

    def _headers(self, auth: bool, body: bytes | None) -> dict[str, str]:
        headers = self.config.auth_header() if auth else {}
        if body is not None:
            headers["Content-Type"] = "text/plain; charset=utf-8"
        return headers

    def _exchange(
        self,
        method: str,
        url: str,
        what: str,
        body: bytes | None,
        headers: dict[str, str],
        meanwhile: Callable[[], object] | None = None,
    ) -> tuple[_Answer, object]:
        """Send, run ``meanwhile`` while InfluxDB works, then read the answer. Lock held."""
        result: object = None
        ran = False
        for attempt in (1, 2):
            reused = self._conn is not None
            conn = self._connection()
            try:
                conn.request(method, url, body=body, headers=headers)
                if meanwhile is not None and not ran:
                    ran = True
                    result = meanwhile()
                response = conn.getresponse()
                data = response.read()
            except _STALE as exc:
                self._drop()
                if reused and attempt == 1:
                    logger.debug(
                        "InfluxDB at %s closed the connection; resending", self.config.address
                    )
                    continue
                raise self._unavailable(what, exc) from exc
            except (OSError, http.client.HTTPException) as exc:
                self._drop()
                raise self._unavailable(what, exc) from exc
            except BaseException:
                self._drop()  # ``meanwhile`` failed: the answer is unread, the connection unusable
                raise
            if response.will_close:
                self._drop()
            raise_for_status(response.status, data, self.config, what)
            return _Answer(response.status, dict(response.getheaders()), data), result
        raise AssertionError("unreachable")  # pragma: no cover

    def request(
        self,
        method: str,
        path: str,
        what: str,
        params: Mapping[str, str] | None = None,
        body: bytes | None = None,
        auth: bool = True,
    ) -> _Answer:
        """One request; raises ``StoreUnavailable`` / ``StoreError`` as the module says."""
        with self._lock:
            answer, _ = self._exchange(
                method, self._url(path, params), what, body, self._headers(auth, body)
            )
        return answer

    def _unavailable(self, what: str, exc: BaseException) -> StoreUnavailable:
        text = str(exc).lower()
        reason = type(exc).__name__
        if isinstance(exc, ConnectionRefusedError) or "refused" in text:
            reason = "connection refused"
        elif isinstance(exc, TimeoutError) or "timed out" in text:
            reason = "timed out"
        return StoreUnavailable(
            f"InfluxDB at {self.config.address} is unreachable ({reason}) during {what}; "
            "it will be retried"
        )

    def ping(self) -> str:
        """The server's version from ``/ping``'s ``X-Influxdb-Version`` header ("" if absent)."""
        headers = self.request("GET", "/ping", "ping", auth=False).headers
        return next((v for k, v in headers.items() if k.lower() == "x-influxdb-version"), "")

    def write_v1(self, bodies: Iterable[bytes], precision: str) -> None:
        """POST line-protocol bodies to ``/write``, pipelined with producing them.

        While InfluxDB parses and stores body *k*, the iterator produces body *k+1*
        (formatting lines is the client's main cost). Returns once InfluxDB answered 204
        for every body (1.x: the points are in its WAL). If a body fails, the ones before it
        are stored and the error is raised; writing everything again is safe.
        """
        params = {"db": self.config.database, "precision": precision}
        if self.config.rp:
            params["rp"] = self.config.rp
        url = self._url("/write", params)
        headers = self._headers(True, b"")
        items = iter(bodies)
        with self._lock:
            body = next(items, None)
            while body is not None:
                _, following = self._exchange(
                    "POST", url, "write", body, headers, lambda: next(items, None)
                )
                body = following if isinstance(following, bytes) else None

    def query(self, q: str, *, write: bool = False, chunk_size: int = 0) -> list[dict[str, Any]]:
        """Run InfluxQL; return the series of all statements. Errors in results raise."""
        return [
            s for answer in self.query_each([q], write=write, chunk_size=chunk_size) for s in answer
        ]

    def query_each(
        self, statements: Sequence[str], *, write: bool = False, chunk_size: int = 0
    ) -> list[list[dict[str, Any]]]:
        """Run InfluxQL statements in one request; return the series of each, in order."""
        q = ";".join(statements)
        params = {"q": q, "epoch": "ms"}
        if self.config.database:
            params["db"] = self.config.database
        if chunk_size:
            params.update(chunked="true", chunk_size=str(chunk_size))
        response = self.request("POST" if write else "GET", "/query", "query", params)
        series: dict[int, list[dict[str, Any]]] = {}
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
                series.setdefault(int(result.get("statement_id", 0)), []).extend(
                    result.get("series", [])
                )
        if len(statements) == 1:  # one statement (even with ';' inside): all series are its own
            return [[s for answer in series.values() for s in answer]]
        return [series.get(i, []) for i in range(len(statements))]


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
