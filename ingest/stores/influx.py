"""InfluxDB SeriesStore: production storage for readings, flags and dead letters.

Writes go through ``/api/v2/write`` with influxdb-client's synchronous WriteApi on InfluxDB
1.8+, 2.x and 3.x, and as line protocol (built by influxdb-client's ``Point``) POSTed to
``/write`` on 1.x before 1.8, chosen from ``/ping``'s ``X-Influxdb-Version`` header unless
the URL forces ``api=v1|v2``. Reads use InfluxQL on ``/query``, which 1.x, 2.x (v1
compatibility API) and 3.x all serve. The schema is in ``influx_lines`` and ingest/README.md.

Either write path returns only after InfluxDB acknowledged the request (1.x: in its WAL),
so ``write_points`` returning means durable. Every write is idempotent: a point is keyed on
(measurement, tag set, time), and a rewrite replaces the fields it carries.
"""

from __future__ import annotations

import base64
import logging
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import islice

import pandas as pd

from plantmeter.errors import StoreError, StoreUnavailable
from plantmeter.store import (
    DeadLetter,
    Flag,
    FlagRun,
    LatestValue,
    SeriesPoint,
    SeriesRow,
    bucket_ms,
    to_ms,
)

from .influx_config import Api, InfluxConfig, choose_api, parse_influx_url, parse_version
from .influx_http import InfluxHttp, V2Writer
from .influx_lines import (
    DEAD_LETTERS,
    FLAG_RUNS,
    FLAGS,
    READINGS,
    bucket_frame_from_series,
    dead_letter_lines,
    flag_lines,
    flag_run_lines,
    frame_from_series,
    iter_reading_lines,
    iter_row_lines,
    quote_ident,
    quote_string,
    rows_from_series,
)

__all__ = ["InfluxStore"]

logger = logging.getLogger(__name__)


class InfluxStore:
    """SeriesStore on an InfluxDB server. Thread-safe; holds one pooled HTTP connection.

    If the server is down when the store is opened, version detection and database
    creation happen on the first operation instead (which raises ``StoreUnavailable``
    until the server answers).
    """

    batch_lines = 1_000  # lines per write request (pipelined: see InfluxHttp.write_v1)
    query_chunk = 10_000  # rows per chunk of a streamed /query answer

    def __init__(
        self, config: InfluxConfig, *, create: bool = False, read_only: bool = False
    ) -> None:
        self.config = config
        self.read_only = read_only
        self.create = (
            False if read_only else (config.create if config.create is not None else create)
        )
        self._http = InfluxHttp(config)
        self._v2: V2Writer | None = None
        self._api: Api | None = None
        self._version = ""
        self._lock = threading.Lock()
        try:
            self._ready()
        except StoreUnavailable as exc:
            logger.warning("%s; connecting on first use", exc)
        except BaseException:
            self.close()
            raise

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        create: bool = True,
        env: Mapping[str, str] | None = None,
        read_only: bool = False,
    ) -> InfluxStore:
        """Open ``influxdb://...`` or ``influxdb2://...`` (see ``influx_config``)."""
        return cls(parse_influx_url(url, env), create=create, read_only=read_only)

    def __repr__(self) -> str:
        return f"InfluxStore({self.config.redacted()!r})"

    @property
    def api(self) -> Api:
        """The write API in use ("v1": ``/write``, "v2": ``/api/v2/write``)."""
        self._ready()
        assert self._api is not None
        return self._api

    @property
    def server_version(self) -> str:
        self._ready()
        return self._version

    def _ready(self) -> None:
        if self._api is not None:
            return
        with self._lock:
            if self._api is not None:
                return
            version = self._http.ping()
            api = choose_api(self.config, parse_version(version))
            if api == "v2" and self._v2 is None:
                self._v2 = V2Writer(self.config)
            if self.create:
                self._create_database(version)
            self._version = version
            self._api = api
        logger.info(
            "InfluxDB %s at %s: writing through the %s API",
            version or "(version unknown)",
            self.config.redacted(),
            api,
        )

    def _create_database(self, version: str) -> None:
        if self.config.scheme == "influxdb2":
            assert self._v2 is not None, "influxdb2:// always writes through the v2 API"
            self._v2.create_bucket()
            return
        major = (parse_version(version) or (1, 0))[0]
        if major >= 2:
            logger.info(
                "InfluxDB %s has no CREATE DATABASE; create bucket and DBRP mapping for %s",
                version,
                self.config.database,
            )
            return
        self._http.query(f"CREATE DATABASE {quote_ident(self.config.database)}", write=True)

    def _write(self, lines: Iterable[str], precision: str) -> None:
        """Write in requests of ``batch_lines`` lines; lines are produced lazily, so on the
        v1 path formatting the next request overlaps InfluxDB storing the previous one."""
        if self.read_only:
            raise StoreError(
                f"InfluxDB store {self.config.redacted()} is open read-only; open it without "
                "read_only to write"
            )
        self._ready()
        batches = _batches(lines, self.batch_lines)
        if self._v2 is not None and self._api == "v2":
            for batch in batches:
                self._v2.write(batch, precision)
        else:
            self._http.write_v1(("\n".join(b).encode("utf-8") for b in batches), precision)

    def _from(self, measurement: str) -> str:
        if self.config.rp:
            return f"{quote_ident(self.config.rp)}.{quote_ident(measurement)}"
        return quote_ident(measurement)

    @staticmethod
    def _time_range(start: pd.Timestamp | None, end: pd.Timestamp | None) -> list[str]:
        where = []
        if (start_ms := to_ms(start)) is not None:
            where.append(f"time >= {start_ms}ms")
        if (end_ms := to_ms(end)) is not None:
            where.append(f"time < {end_ms}ms")
        return where

    # -- readings --------------------------------------------------------------------------

    def write_points(self, points: Sequence[SeriesPoint]) -> int:
        if points:
            self._write(iter_reading_lines(points), "ms")
        return len(points)

    def write_rows(self, rows: Sequence[SeriesRow]) -> int:
        if rows:
            self._write(iter_row_lines(rows), "ms")
        return sum(len(r.values) for r in rows)

    def read(
        self,
        site: str,
        meter: str,
        quantities: Sequence[str] | None = None,
        start: pd.Timestamp | None = None,
        end: pd.Timestamp | None = None,
    ) -> pd.DataFrame:
        self._ready()
        fields = ", ".join(quote_ident(q) for q in quantities) if quantities else "*::field"
        where = [f'"site" = {quote_string(site)}', f'"meter" = {quote_string(meter)}']
        where += self._time_range(start, end)
        q = f"SELECT {fields} FROM {self._from(READINGS)} WHERE {' AND '.join(where)}"
        series = self._http.query(q, chunk_size=self.query_chunk)
        return frame_from_series(series, quantities)

    def latest(self, site: str, meters: Sequence[str] | None = None) -> list[LatestValue]:
        """One ``last()`` per field key, grouped by meter, all in one request: ``last`` of a
        single field carries that field's own time (of several fields it would not)."""
        self._ready()
        if meters is not None and not meters:
            return []
        source = self._from(READINGS)
        fields = [
            str(r["fieldKey"])
            for r in rows_from_series(self._http.query(f"SHOW FIELD KEYS FROM {source}"))
        ]
        if not fields:
            return []
        where = f'"site" = {quote_string(site)}'
        if meters is not None:
            where += " AND (" + " OR ".join(f'"meter" = {quote_string(m)}' for m in meters) + ")"
        statements = [
            f'SELECT last({quote_ident(f)}) AS "value" FROM {source} WHERE {where} GROUP BY "meter"'
            for f in fields
        ]
        out = []
        answers = self._http.query_each(statements)
        for field, series in zip(fields, answers, strict=True):
            for row in rows_from_series(series):
                if row.get("value") is not None:
                    out.append(
                        LatestValue(
                            site, str(row["meter"]), field, int(row["time"]), float(row["value"])
                        )
                    )
        return sorted(out, key=lambda v: (v.meter, v.quantity))

    def read_buckets(
        self,
        site: str,
        meter: str,
        every: str | float | pd.Timedelta,
        quantities: Sequence[str] | None = None,
        start: pd.Timestamp | None = None,
        end: pd.Timestamp | None = None,
        tz: str | None = None,
    ) -> pd.DataFrame:
        """InfluxQL ``first, last, min, max, mean, count ... GROUP BY time(every) fill(none)``.

        An open range is closed at the meter's first and last reading (InfluxQL would end
        it at ``now()`` and start it at the epoch).
        """
        width = bucket_ms(every, tz)
        self._ready()
        source = self._from(READINGS)
        where = [f'"site" = {quote_string(site)}', f'"meter" = {quote_string(meter)}']
        start_ms, end_ms = to_ms(start), to_ms(end)
        if start_ms is None or end_ms is None:
            bounds = self._time_bounds(source, where, quantities)
            if bounds is None:
                return bucket_frame_from_series([], quantities)
            start_ms = bounds[0] if start_ms is None else start_ms
            end_ms = bounds[1] + 1 if end_ms is None else end_ms
        if quantities:
            selected = ", ".join(
                f"{stat}({quote_ident(q)}) AS {quote_ident(f'{stat}_{q}')}"
                for q in dict.fromkeys(quantities)
                for stat in ("first", "last", "min", "max", "mean", "count")
            )
        else:
            selected = "first(*), last(*), min(*), max(*), mean(*), count(*)"
        q = (
            f"SELECT {selected} FROM {source} WHERE {' AND '.join(where)} "
            f"AND time >= {int(start_ms)}ms AND time < {int(end_ms)}ms "
            f"GROUP BY time({width}ms) fill(none)"
        )
        if tz is not None:
            q += f" tz({quote_string(tz)})"
        return bucket_frame_from_series(
            self._http.query(q, chunk_size=self.query_chunk), quantities
        )

    def _time_bounds(
        self, source: str, where: list[str], quantities: Sequence[str] | None
    ) -> tuple[int, int] | None:
        """(first, last) time of a meter's readings, or None when it has none."""
        fields = ", ".join(quote_ident(q) for q in quantities) if quantities else "*"
        base = f"SELECT {fields} FROM {source} WHERE {' AND '.join(where)}"
        first, last = self._http.query_each(
            [f"{base} ORDER BY time ASC LIMIT 1", f"{base} ORDER BY time DESC LIMIT 1"]
        )
        times = [int(r["time"]) for r in rows_from_series(first) + rows_from_series(last)]
        return (min(times), max(times)) if times else None

    def meters(self, site: str | None = None) -> list[tuple[str, str]]:
        self._ready()
        source = self._from(READINGS)
        if site is None:
            series = self._http.query(f'SHOW TAG VALUES FROM {source} WITH KEY = "site"')
            sites = sorted({str(r["value"]) for r in rows_from_series(series)})
        else:
            sites = [site]
        out = []
        for s in sites:
            series = self._http.query(
                f'SHOW TAG VALUES FROM {source} WITH KEY = "meter" WHERE "site" = {quote_string(s)}'
            )
            out += [(s, str(r["value"])) for r in rows_from_series(series)]
        return sorted(set(out))

    # -- flags -----------------------------------------------------------------------------

    def write_flags(self, flags: Sequence[Flag]) -> int:
        if flags:
            self._write(flag_lines(flags), "ms")
        return len(flags)

    def read_flags(
        self,
        site: str | None = None,
        meter: str | None = None,
        start: pd.Timestamp | None = None,
        end: pd.Timestamp | None = None,
    ) -> list[Flag]:
        self._ready()
        where = [
            f"{quote_ident(k)} = {quote_string(v)}"
            for k, v in (("site", site), ("meter", meter))
            if v is not None
        ]
        if (start_ms := to_ms(start)) is not None:
            where.append(f'"end_ms" >= {int(start_ms)}')  # overlaps [start, end)
        where += self._time_range(None, end)
        q = (
            'SELECT "end_ms", "severity", "reason", "detector", "excess_per_day", "cost_per_day", '
            f'"message", "site", "meter", "kind", "quantity" FROM {self._from(FLAGS)}'
        )
        if where:
            q += " WHERE " + " AND ".join(where)
        rows = rows_from_series(self._http.query(q, chunk_size=self.query_chunk))
        flags = [
            Flag(
                site=r["site"] or "",
                meter=r["meter"] or "",
                kind=r["kind"] or "",
                start_ms=int(r["time"]),
                end_ms=int(r["end_ms"]),
                severity=r["severity"] or "",
                reason=r["reason"] or "",
                quantity=r["quantity"] or "",
                detector=r["detector"] or "",
                excess_per_day=_float_or_none(r.get("excess_per_day")),
                cost_per_day=_float_or_none(r.get("cost_per_day")),
                message=r.get("message") or "",
            )
            for r in rows
        ]
        return sorted(flags, key=lambda f: (f.start_ms, f.site, f.meter, f.kind, f.quantity))

    def write_flag_runs(self, runs: Sequence[FlagRun]) -> int:
        if runs:
            self._write(flag_run_lines(runs), "ms")
        return len(runs)

    def read_flag_runs(self, site: str, meter: str | None = None) -> list[FlagRun]:
        self._ready()
        where = [f'"site" = {quote_string(site)}']
        if meter is not None:
            where.append(f'"meter" = {quote_string(meter)}')
        q = (
            f'SELECT "computed_ms", "site", "meter", "end_ms" FROM {self._from(FLAG_RUNS)} '
            "WHERE " + " AND ".join(where)
        )
        rows = rows_from_series(self._http.query(q, chunk_size=self.query_chunk))
        runs = [
            FlagRun(
                r["site"] or "",
                r["meter"] or "",
                int(r["time"]),
                int(r["end_ms"]),
                int(r["computed_ms"]),
            )
            for r in rows
        ]
        return sorted(runs, key=lambda r: (r.meter, r.start_ms, r.end_ms))

    # -- dead letters ----------------------------------------------------------------------

    def write_dead_letters(self, letters: Sequence[DeadLetter]) -> int:
        if letters:
            self._write(dead_letter_lines(letters), "ns")
        return len(letters)

    def read_dead_letters(self, limit: int = 1000) -> list[DeadLetter]:
        if limit <= 0:
            return []
        self._ready()
        q = (
            f'SELECT "topic", "reason", "detail", "payload" FROM {self._from(DEAD_LETTERS)} '
            f"ORDER BY time DESC LIMIT {int(limit)}"
        )
        rows = rows_from_series(self._http.query(q))
        rows.sort(key=lambda r: int(r["time"]))
        return [
            DeadLetter(
                received_ms=int(r["time"]),
                topic=r["topic"] or "",
                reason=r["reason"] or "",
                detail=r["detail"] or "",
                payload=base64.b64decode(r["payload"] or ""),
            )
            for r in rows[-int(limit) :]
        ]

    def close(self) -> None:
        self._http.close()
        if self._v2 is not None:
            self._v2.close()


def _batches(lines: Iterable[str], size: int) -> Iterator[list[str]]:
    items = iter(lines)
    while batch := list(islice(items, size)):
        yield batch


def _float_or_none(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]
