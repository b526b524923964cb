"""Historical import: a CSV of interval data -> SeriesStore, idempotently.

Format: a ``timestamp`` column and one column per quantity, named by the meter's
profile (``energy_import_total``), optionally with the unit in brackets
(``energy_import_total [kWh]``), which is then checked against the profile. Timestamps
with an offset are honoured; naive timestamps are read in the site's time zone.
Timestamps are ISO 8601; rows with an unreadable or implausible timestamp (before 2000,
more than a day ahead) or a cell that is not a finite number are reported and skipped
whole; empty cells are missing values; the rest is stored.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from plantmeter.errors import ConfigError
from plantmeter.message import MAX_FUTURE_MS, MIN_TS_MS
from plantmeter.store import SeriesRow, SeriesStore

__all__ = ["ImportReport", "import_csv", "parse_interval_csv"]

logger = logging.getLogger(__name__)

_HEADER = re.compile(r"^\s*([a-z][a-z0-9_]*)\s*(?:\[(.*)\]|\((.*)\))?\s*$")
CHUNK = 50_000
MAX_PROBLEMS = 20  # problem rows listed one by one; the rest are counted
_AWARE = re.compile(r"(?:[Zz]|[+-]\d{2}:?\d{2})\s*$")


@dataclass
class ImportReport:
    rows: int = 0
    values: int = 0
    skipped_rows: list[str] = field(default_factory=list)


def parse_interval_csv(
    path: Path, timezone: str, units: dict[str, str] | None = None
) -> tuple[pd.DataFrame, list[str]]:
    """Read and check the CSV; returns (frame indexed by UTC timestamp, problems with skipped rows)."""
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read as CSV ({exc})") from exc
    if "timestamp" not in raw.columns:
        raise ConfigError(f"{path}: no 'timestamp' column; the header must be: timestamp,<quantity>,...")
    columns: dict[str, str] = {}
    for header in raw.columns:
        if header == "timestamp":
            continue
        match = _HEADER.match(header)
        if not match:
            raise ConfigError(f"{path}: column {header!r} is not a quantity name (snake_case, optional [unit])")
        name, unit = match.group(1), match.group(2) or match.group(3)
        if units is not None:
            if name not in units:
                raise ConfigError(
                    f"{path}: column {name!r} is not a quantity of this meter; known: {', '.join(sorted(units))}"
                )
            if unit is not None and unit.strip() != units[name]:
                raise ConfigError(
                    f"{path}: column {header!r} is in {unit.strip()!r} but the meter records {name} in "
                    f"{units[name]!r}; convert the column first"
                )
        if name in columns.values():
            raise ConfigError(f"{path}: quantity {name!r} has two columns; keep one")
        columns[header] = name
    if not columns:
        raise ConfigError(f"{path}: no value columns besides 'timestamp'")
    problems: list[str] = []
    stamps = _parse_timestamps(raw["timestamp"], timezone)
    now_ms = int(time.time() * 1000)
    bad_ts = stamps.isna().to_numpy()
    ts_ms = np.where(bad_ts, 0, stamps.dt.tz_convert(None).to_numpy(dtype="datetime64[ms]").astype(np.int64))
    implausible = ~bad_ts & ((ts_ms < MIN_TS_MS) | (ts_ms > now_ms + MAX_FUTURE_MS))
    text = raw[list(columns)].rename(columns=columns)
    values = text.apply(pd.to_numeric, errors="coerce").astype("float64")
    bad_val = ((values.isna() & text.ne("")) | np.isinf(values)).to_numpy()
    bad_rows = bad_ts | implausible | bad_val.any(axis=1)
    for i in np.flatnonzero(bad_rows)[:MAX_PROBLEMS]:
        line, stamp = i + 2, raw["timestamp"].iloc[i]
        if bad_ts[i]:
            problems.append(
                f"line {line}: timestamp {stamp!r} is not ISO 8601 or does not exist in {timezone} "
                "(write 2025-03-01 00:15 in site time or 2025-03-01T00:15:00-06:00)"
            )
        elif implausible[i]:
            problems.append(f"line {line}: timestamp {stamp!r} is before 2000 or more than a day in the future")
        else:
            names = [q for q, bad in zip(values.columns, bad_val[i], strict=True) if bad]
            cells = ", ".join(f"{q}={text[q].iloc[i]!r}" for q in names)
            problems.append(f"line {line}: not a finite number: {cells}")
    total_bad = int(bad_rows.sum())
    if total_bad > MAX_PROBLEMS:
        problems.append(f"... {total_bad} rows skipped in all")
    frame = values[~bad_rows]
    frame.index = pd.DatetimeIndex(stamps[~bad_rows]).rename("timestamp")
    return frame, problems


def _parse_timestamps(column: pd.Series, timezone: str) -> pd.Series:
    """ISO 8601 strings -> UTC timestamps (NaT where unreadable or nonexistent/ambiguous locally).

    Each row is read on its own: with an offset (``Z``, ``-06:00``) as that instant, without
    one in the site's time zone, so an export whose offset changes at DST reads right.
    Non-ISO forms (``01/03/2025``) are refused rather than guessed day- or month-first.
    """
    aware = column.str.contains(_AWARE).to_numpy()
    out = pd.Series(pd.NaT, index=column.index, dtype="datetime64[ms, UTC]")
    if aware.any():
        parsed = pd.to_datetime(column[aware], errors="coerce", utc=True, format="ISO8601")
        out[aware] = parsed.dt.as_unit("ms")
    if (~aware).any():
        naive = pd.to_datetime(column[~aware], errors="coerce", format="ISO8601")
        local = naive.dt.tz_localize(timezone, ambiguous="NaT", nonexistent="NaT")
        out[~aware] = local.dt.tz_convert("UTC").dt.as_unit("ms")
    return out


def import_csv(
    store: SeriesStore, site: str, meter: str, path: Path, timezone: str,
    units: dict[str, str] | None = None, progress: bool = True,
) -> ImportReport:
    """Import ``path`` for ``meter``; running it twice stores the same rows once."""
    frame, problems = parse_interval_csv(path, timezone, units)
    report = ImportReport(rows=len(frame), skipped_rows=problems)
    ts_ms = frame.index.as_unit("ms").asi8.astype(np.int64)  # asi8 counts in the index's own unit
    columns = list(frame.columns)
    with tqdm(total=len(frame), unit="rows", desc=f"import {meter}", disable=not progress) as bar:
        for start in range(0, len(frame), CHUNK):
            chunk = frame.iloc[start : start + CHUNK]
            stamps = ts_ms[start : start + CHUNK]
            rows = []
            for t, values in zip(stamps.tolist(), chunk.to_numpy(dtype=np.float64).tolist(), strict=True):
                kept = {q: v for q, v in zip(columns, values, strict=True) if v == v}  # NaN: a missing cell
                if kept:
                    rows.append(SeriesRow(site, meter, t, kept))
            report.values += store.write_rows(rows)
            bar.update(len(chunk))
    return report
