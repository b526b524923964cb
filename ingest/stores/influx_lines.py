"""Pure mapping between PlantMeter records and InfluxDB: line protocol out, InfluxQL results in.

Line protocol is built by influxdb-client's ``Point`` (its escaping and float formatting);
InfluxQL identifiers and string literals are quoted here. No network.

Schema (see ingest/README.md, "InfluxDB schema")::

    measurement   tags                            fields                          time
    readings      site, meter                     <quantity>=float ...            ts (ms)
    flags         site, meter, kind, quantity     end_ms (int), severity,         start (ms)
                                                  reason, detector (strings),
                                                  excess_per_day, cost_per_day
                                                  (floats, when known)
    flag_runs     site, meter, end_ms             computed_ms (int)               start (ms)
    dead_letters  reason                          topic, detail, payload (b64)    received (ms)
                                                                                  + hash (ns)
"""

from __future__ import annotations

import base64
import math
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import pandas as pd
from influxdb_client.client.write.point import Point
from influxdb_client.domain.write_precision import WritePrecision

from plantmeter.errors import StoreError
from plantmeter.store import AGGREGATES, DeadLetter, Flag, FlagRun, SeriesPoint, SeriesRow

__all__ = [
    "DEAD_LETTERS",
    "bucket_frame_from_series",
    "FLAGS",
    "FLAG_RUNS",
    "READINGS",
    "check_name",
    "dead_letter_lines",
    "flag_lines",
    "flag_run_lines",
    "frame_from_series",
    "iter_reading_lines",
    "iter_row_lines",
    "quote_ident",
    "quote_string",
    "reading_lines",
    "rows_from_series",
]

READINGS = "readings"
FLAGS = "flags"
FLAG_RUNS = "flag_runs"
DEAD_LETTERS = "dead_letters"


def check_name(what: str, value: str) -> str:
    """Reject names line protocol cannot carry faithfully (empty, control chars, backslash)."""
    if not isinstance(value, str) or not value:
        raise StoreError(f"{what} must be a non-empty string, got {value!r}")
    if "\\" in value or any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise StoreError(
            f"{what} {value!r} contains a backslash or control character, which InfluxDB "
            "line protocol cannot store faithfully; rename it"
        )
    return value


def quote_ident(name: str) -> str:
    """An InfluxQL identifier in double quotes, escaped."""
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def quote_string(value: str) -> str:
    """An InfluxQL string literal in single quotes, escaped (no injection)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _series_prefix(site: str, meter: str) -> str:
    """``readings,meter=..,site=..`` escaped by influxdb-client (once per series per batch)."""
    check_name("site", site)
    check_name("meter", meter)
    line = Point(READINGS).tag("site", site).tag("meter", meter).field("x", 0.0).to_line_protocol()
    return str(line)[: -len(" x=0")]


def _field_key(quantity: str) -> str:
    """A quantity name escaped as a field key by influxdb-client (once per name per batch)."""
    check_name("quantity", quantity)
    return str(Point("m").field(quantity, 0.0).to_line_protocol())[2:-2]


def reading_lines(points: Sequence[SeriesPoint]) -> list[str]:
    """All lines of ``iter_reading_lines``."""
    return list(iter_reading_lines(points))


def iter_reading_lines(points: Sequence[SeriesPoint]) -> Iterator[str]:
    """Points grouped into one line per (site, meter, ts); within one call a later value for
    the same key wins, as a later write does. See ``iter_row_lines``."""
    rows: dict[tuple[str, str, int], dict[str, float]] = {}
    for p in points:
        rows.setdefault((p.site, p.meter, p.ts_ms), {})[p.quantity] = p.value
    return iter_row_lines(
        [SeriesRow(site, meter, ts, values) for (site, meter, ts), values in rows.items()]
    )


def iter_row_lines(rows: Iterable[SeriesRow]) -> Iterator[str]:
    """One line per row with a float field per quantity (ms precision).

    The series prefix and field keys are escaped by influxdb-client's ``Point`` (once per
    name per call); values are written as Python writes floats (an integer-looking ``5`` is
    a float in line protocol). Lines parse to what ``Point(...).to_line_protocol()`` gives
    (tested), at several times its speed: per-value work is the hot path of ingest.
    """
    prefixes: dict[tuple[str, str], str] = {}
    keys: dict[str, str] = {}
    for site, meter, ts, fields in rows:
        if not fields:
            continue  # a line needs a field; a row without values writes nothing
        prefix = prefixes.get((site, meter))
        if prefix is None:
            prefix = prefixes[(site, meter)] = _series_prefix(site, meter)
        if not keys.keys() >= fields.keys():  # a quantity not seen yet in this call
            for quantity in fields.keys() - keys.keys():
                keys[quantity] = _field_key(quantity)
        values = ",".join([f"{keys[q]}={v}" for q, v in fields.items()])
        try:
            finite = math.isfinite(sum(fields.values()))  # one check per line, not per value
        except TypeError:
            finite = False
        if not finite:
            _raise_not_finite(site, meter, ts, fields)
        yield f"{prefix} {values} {int(ts)}"


def _raise_not_finite(site: str, meter: str, ts: int, fields: Mapping[str, float]) -> None:
    """Name the offending value; a sum that merely overflowed is fine and returns."""
    for quantity, value in fields.items():
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not number or not math.isfinite(value):
            raise StoreError(
                f"{site}/{meter} {quantity} at {ts}: value {value!r} is not a finite number; "
                "InfluxDB stores only finite numbers (reject it before the store)"
            )


def flag_lines(flags: Sequence[Flag]) -> list[str]:
    """One point per flag, keyed on (site, meter, kind, quantity, start) as the port requires."""
    lines = []
    for f in flags:
        point = Point(FLAGS).tag("site", check_name("site", f.site))
        point.tag("meter", check_name("meter", f.meter)).tag("kind", check_name("kind", f.kind))
        if f.quantity:  # InfluxDB drops empty tags; an absent tag reads back as ""
            point.tag("quantity", check_name("quantity", f.quantity))
        point.field("end_ms", int(f.end_ms)).field("severity", f.severity)
        point.field("reason", f.reason).field("detector", f.detector)
        for name, value in (("excess_per_day", f.excess_per_day), ("cost_per_day", f.cost_per_day)):
            if value is not None and math.isfinite(value):
                point.field(name, float(value))
        if f.message:  # the reason's message id and parameters (absent on older flags)
            point.field("message", f.message)
        lines.append(point.time(int(f.start_ms), WritePrecision.MS).to_line_protocol())
    return lines


def flag_run_lines(runs: Sequence[FlagRun]) -> list[str]:
    """One point per run, keyed on (site, meter, start, end): ``end_ms`` is a tag so that two
    runs from the same start over different windows are two points."""
    lines = []
    for r in runs:
        point = Point(FLAG_RUNS).tag("site", check_name("site", r.site))
        point.tag("meter", check_name("meter", r.meter)).tag("end_ms", str(int(r.end_ms)))
        point.field("computed_ms", int(r.computed_ms))
        lines.append(point.time(int(r.start_ms), WritePrecision.MS).to_line_protocol())
    return lines


def dead_letter_lines(letters: Sequence[DeadLetter]) -> list[str]:
    """Dead letters at ns precision: received_ms plus a content hash below the millisecond.

    Distinct letters received in the same millisecond get distinct timestamps (no overwrite),
    an identical letter written twice keeps one copy, and series cardinality stays small.
    """
    lines = []
    for d in letters:
        digest = zlib.crc32(d.payload, zlib.crc32(f"{d.topic}\0{d.reason}\0{d.detail}".encode()))
        ns = int(d.received_ms) * 1_000_000 + digest % 1_000_000
        point = Point(DEAD_LETTERS).tag("reason", d.reason)  # empty: no tag
        point.field("topic", d.topic).field("detail", d.detail)
        point.field("payload", base64.b64encode(d.payload).decode("ascii"))
        lines.append(point.time(ns, WritePrecision.NS).to_line_protocol())
    return lines


def rows_from_series(series: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """InfluxQL result series -> list of {column: value} rows (tags of GROUP BY merged in)."""
    out: list[dict[str, Any]] = []
    for s in series:
        columns = s.get("columns", [])
        tags = s.get("tags") or {}
        for values in s.get("values", []):
            row = dict(tags)
            row.update(zip(columns, values, strict=False))
            out.append(row)
    return out


def frame_from_series(
    series: Sequence[dict[str, Any]], quantities: Sequence[str] | None
) -> pd.DataFrame:
    """``SELECT`` results with ``epoch=ms`` -> the wide frame SqliteStore returns.

    UTC ``DatetimeIndex`` named ``timestamp``, sorted, float64 columns; with ``quantities``
    None, only columns that hold a value in the range (as SQLite's pivot gives).
    """
    parts = [pd.DataFrame(s["values"], columns=s["columns"]) for s in series if s.get("values")]
    long = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame({"time": []})
    times = long.pop("time").to_numpy(dtype="int64")
    data = long.apply(pd.to_numeric, errors="coerce").astype("float64")
    if quantities is None:
        data = data.dropna(axis=1, how="all")
        data = data[sorted(data.columns)]
    data.index = pd.DatetimeIndex(pd.to_datetime(times, unit="ms", utc=True), name="timestamp")
    if not data.index.is_monotonic_increasing or data.index.has_duplicates:
        data = data.groupby(level=0).last().sort_index()  # one series split across chunks
    if quantities:
        data = data.reindex(columns=list(quantities))
    data.columns.name = None
    return data.astype("float64")


def bucket_frame_from_series(
    series: Sequence[dict[str, Any]], quantities: Sequence[str] | None
) -> pd.DataFrame:
    """``SELECT first(..), last(..), min, max, mean, count ... GROUP BY time()`` results ->
    the (quantity, statistic) frame of ``SeriesStore.read_buckets``.

    Columns come back as ``<statistic>_<quantity>`` (InfluxQL's names for ``first(*)`` and
    the aliases ``read_buckets`` gives); a quantity without a reading in the range is left
    out when ``quantities`` is None, as in ``read``.
    """
    parts = [pd.DataFrame(s["values"], columns=s["columns"]) for s in series if s.get("values")]
    long = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame({"time": []})
    long = long.groupby("time", sort=True).first() if len(long) else long.set_index("time")
    found: dict[str, dict[str, pd.Series]] = {}
    for column in long.columns:
        stat, _, quantity = str(column).partition("_")
        if stat in AGGREGATES and quantity:
            found.setdefault(quantity, {})[stat] = pd.to_numeric(long[column], errors="coerce")
    if quantities:
        names = list(dict.fromkeys(quantities))
    else:
        names = sorted(
            q for q, stats in found.items() if stats.get("count", pd.Series()).fillna(0).sum() > 0
        )
    n = len(long)
    data: list[Any] = []
    for quantity in names:
        stats = found.get(quantity, {})
        for stat in AGGREGATES:
            column = stats.get(stat)
            if stat == "count":
                values = column.fillna(0).to_numpy(dtype="int64") if column is not None else [0] * n
                data.append(pd.array(values, dtype="int64"))
            else:
                data.append(
                    column.to_numpy(dtype="float64") if column is not None else [float("nan")] * n
                )
    times = long.index.to_numpy(dtype="int64")
    index = pd.DatetimeIndex(pd.to_datetime(times, unit="ms", utc=True), name="timestamp")
    frame = pd.DataFrame(dict(enumerate(data)), index=index)
    if not data:
        frame = pd.DataFrame(index=index)
    frame.columns = pd.MultiIndex.from_arrays(
        [[q for q in names for _ in AGGREGATES], [s for _ in names for s in AGGREGATES]],
        names=["quantity", "statistic"],
    )
    for quantity in names:
        frame[(quantity, "count")] = frame[(quantity, "count")].astype("int64")
    return frame
