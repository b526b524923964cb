"""Historical import: a CSV of interval data -> SeriesStore, idempotently.

Format: a ``timestamp`` column and one column per quantity, named by the meter's
profile (``energy_import_total``), optionally with the unit in brackets
(``energy_import_total [kWh]``), which is then checked against the profile. Timestamps
with an offset are honoured; naive timestamps are read in the site's time zone.
Rows with an unreadable timestamp or value are reported and skipped; the rest is stored.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from plantmeter.errors import ConfigError
from plantmeter.store import SeriesPoint, SeriesStore

__all__ = ["ImportReport", "import_csv", "parse_interval_csv"]

logger = logging.getLogger(__name__)

_HEADER = re.compile(r"^\s*([a-z][a-z0-9_]*)\s*(?:\[(.*)\]|\((.*)\))?\s*$")
CHUNK = 50_000


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
        columns[header] = name
    if not columns:
        raise ConfigError(f"{path}: no value columns besides 'timestamp'")
    problems: list[str] = []
    stamps = pd.to_datetime(raw["timestamp"], errors="coerce", utc=False, format="mixed")
    if stamps.dt.tz is None:
        stamps = stamps.dt.tz_localize(timezone, ambiguous="NaT", nonexistent="NaT")
    stamps = stamps.dt.tz_convert("UTC")
    bad_ts = stamps.isna()
    for i in np.flatnonzero(bad_ts.to_numpy())[:20]:
        problems.append(f"line {i + 2}: timestamp {raw['timestamp'].iloc[i]!r} unreadable or ambiguous")
    values = raw[list(columns)].rename(columns=columns).apply(pd.to_numeric, errors="coerce")
    bad_val = values.isna() & raw[list(columns)].rename(columns=columns).ne("").to_numpy()
    for i in np.flatnonzero(bad_val.any(axis=1).to_numpy())[:20]:
        problems.append(f"line {i + 2}: a value is not a number")
    frame = values[~bad_ts.to_numpy()]
    frame.index = pd.DatetimeIndex(stamps[~bad_ts]).rename("timestamp")
    finite = np.isfinite(frame.to_numpy(dtype=float))
    frame = frame.where(finite)
    total_bad = int(bad_ts.sum()) + int(bad_val.any(axis=1).sum())
    if total_bad > 20:
        problems.append(f"... {total_bad} problem rows in all")
    return frame, problems


def import_csv(
    store: SeriesStore, site: str, meter: str, path: Path, timezone: str,
    units: dict[str, str] | None = None, progress: bool = True,
) -> ImportReport:
    """Import ``path`` for ``meter``; running it twice stores the same rows once."""
    frame, problems = parse_interval_csv(path, timezone, units)
    report = ImportReport(rows=len(frame), skipped_rows=problems)
    ts_ms = (frame.index.asi8 // 1_000_000).astype(np.int64) if len(frame) else np.array([], dtype=np.int64)
    with tqdm(total=len(frame), unit="rows", desc=f"import {meter}", disable=not progress) as bar:
        for start in range(0, len(frame), CHUNK):
            chunk = frame.iloc[start : start + CHUNK]
            stamps = ts_ms[start : start + CHUNK]
            points = [
                SeriesPoint(site, meter, quantity, int(t), float(v))
                for quantity in chunk.columns
                for t, v in zip(stamps, chunk[quantity].to_numpy(), strict=True)
                if v == v  # skip NaN (missing cells)
            ]
            store.write_points(points)
            report.values += len(points)
            bar.update(len(chunk))
    return report
