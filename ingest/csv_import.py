"""Historical import: a CSV of a meter's readings -> SeriesStore, idempotently.

Format: a ``timestamp`` column and one column per quantity, named by the meter's
profile (``energy_import_total``), optionally with the unit in brackets
(``energy_import_total [kWh]``), which is then checked against the profile. The dialect
(delimiter, decimal mark) and the timestamps are read as ``ingest.csv_read`` describes.
Rows with an unreadable or implausible timestamp (before 2000, more than a day ahead) or a
cell that is not a finite number are reported and skipped whole; empty cells are missing
values. Then, before anything is written, the whole file is checked and refused with the fix:

* values implausible for their quantity and unit (``plantmeter.ranges``: °F in a °C column,
  negative counters, humidity above 100 %RH); ``force`` imports anyway;
* a counter column that goes down in more than 2 % of its steps: that is use per interval,
  not a meter's cumulative reading; import it with ``interval_use`` (``ingest.interval_use``
  accumulates it into a counter), or ``force``;
* with ``interval_use``, a column that rises in nearly every step: that is a counter already;
* stored readings that differ from the file's at the same timestamps: nothing is overwritten
  unless ``replace``; a file identical to what is stored imports again silently.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from plantmeter.errors import InputError
from plantmeter.i18n import _, format_percent
from plantmeter.message import MAX_FUTURE_MS, MIN_TS_MS
from plantmeter.ranges import canonical_unit, check_values, unit_conversion_hint
from plantmeter.store import SeriesRow, SeriesStore

from .csv_read import Ambiguous, CsvDialect, parse_timestamps, read_table
from .interval_use import IntervalLabel, accumulate, interval_step

__all__ = ["ImportOptions", "ImportReport", "import_csv", "parse_interval_csv"]

logger = logging.getLogger(__name__)

_HEADER = re.compile(r"^\s*([a-z][a-z0-9_]*)\s*(?:\[(.*)\]|\((.*)\))?\s*$")
CHUNK = 50_000
MAX_PROBLEMS = 20  # problem rows listed one by one; the rest are counted
DOWN_SHARE = 0.02  # a counter going down in more steps than this is interval use
UP_SHARE = 0.98  # interval use rising in more steps than this is a counter


@dataclass
class ImportReport:
    rows: int = 0
    values: int = 0
    skipped_rows: list[str] = field(default_factory=list)
    replaced: int = 0  # stored readings overwritten (``replace``)


@dataclass(frozen=True)
class ImportOptions:
    """How to read and check one file (the ``import-csv`` options)."""

    dialect: CsvDialect = CsvDialect()
    ambiguous: Ambiguous = "refuse"
    interval_use: IntervalLabel | None = None  # counter columns hold use per interval, labelled so
    interval: pd.Timedelta | None = None  # interval length; None = the most common spacing
    replace: bool = False
    force: bool = False


def parse_interval_csv(
    path: Path,
    timezone: str,
    units: dict[str, str] | None = None,
    dialect: CsvDialect | None = None,
    ambiguous: Ambiguous = "refuse",
) -> tuple[pd.DataFrame, list[str]]:
    """Read and check the CSV; returns (frame indexed by UTC timestamp, problems with skipped rows)."""
    raw, dialect = read_table(path, dialect or CsvDialect())
    if "timestamp" not in raw.columns:
        sep = dialect.delimiter or ","
        raise InputError(
            _("{file}: no 'timestamp' column; the header must be: {header}").format(
                file=path, header=f"timestamp{sep}<quantity>{sep}..."
            )
        )
    columns = _columns(path, list(raw.columns), units)
    if raw.empty:
        raise InputError(
            _("{file}: only a header line, no data rows; nothing to import").format(file=path)
        )
    problems: list[str] = []
    stamps = parse_timestamps(raw["timestamp"], timezone, ambiguous, path, dialect.dates)
    now_ms = int(time.time() * 1000)
    bad_ts = stamps.isna().to_numpy()
    ts_ms = np.where(
        bad_ts, 0, stamps.dt.tz_convert(None).to_numpy(dtype="datetime64[ms]").astype(np.int64)
    )
    implausible = ~bad_ts & ((ts_ms < MIN_TS_MS) | (ts_ms > now_ms + MAX_FUTURE_MS))
    text = raw[list(columns)].rename(columns=columns)
    values = text.apply(pd.to_numeric, errors="coerce").astype("float64")
    bad_val = ((values.isna() & text.ne("")) | np.isinf(values)).to_numpy()
    bad_rows = bad_ts | implausible | bad_val.any(axis=1)
    at = (
        pd.Timestamp("2025-03-01 00:15").tz_localize(timezone).strftime("%z")
    )  # the hint's date, site offset
    offset = f"{at[:3]}:{at[3:]}"
    for i in np.flatnonzero(bad_rows)[:MAX_PROBLEMS]:
        line, stamp = i + 2, raw["timestamp"].iloc[i]
        if bad_ts[i] and "/" in str(stamp) and dialect.dates == "iso":
            problems.append(
                _(
                    "line {line}: timestamp {stamp} is not ISO 8601 or does not exist in {zone} "
                    "(write 2025-03-01 00:15 in site time or 2025-03-01T00:15:00{offset}; for "
                    "31/03/2025 00:15 say --dates day-first, or month-first for 03/31/2025)"
                ).format(line=line, stamp=repr(stamp), zone=timezone, offset=offset)
            )
        elif bad_ts[i]:
            problems.append(
                _(
                    "line {line}: timestamp {stamp} is not ISO 8601 or does not exist in {zone} "
                    "(write 2025-03-01 00:15 in site time or 2025-03-01T00:15:00{offset})"
                ).format(line=line, stamp=repr(stamp), zone=timezone, offset=offset)
            )
        elif implausible[i]:
            problems.append(
                _(
                    "line {line}: timestamp {stamp} is before 2000 or more than a day in the future"
                ).format(line=line, stamp=repr(stamp))
            )
        else:
            names = [q for q, bad in zip(values.columns, bad_val[i], strict=True) if bad]
            cells = ", ".join(
                f"{q}={text[q].iloc[i].removeprefix('not-a-number:')!r}" for q in names
            )
            problems.append(
                _("line {line}: not a finite number: {cells}").format(line=line, cells=cells)
            )
    total_bad = int(bad_rows.sum())
    if total_bad > MAX_PROBLEMS:
        problems.append(_("... {n} rows skipped in all").format(n=total_bad))
    frame = values[~bad_rows]
    frame.index = pd.DatetimeIndex(stamps[~bad_rows]).rename("timestamp")
    return frame, problems


def _columns(path: Path, headers: list[str], units: dict[str, str] | None) -> dict[str, str]:
    columns: dict[str, str] = {}
    for header in headers:
        if header == "timestamp":
            continue
        match = _HEADER.match(header)
        if not match:
            raise InputError(
                _(
                    "{file}: column {column} is not a quantity name (snake_case, optional [unit])"
                ).format(file=path, column=repr(header))
            )
        name, unit = match.group(1), match.group(2) or match.group(3)
        if units is not None:
            if name not in units:
                raise InputError(
                    _(
                        "{file}: column {column} is not a quantity of this meter; known: {known}"
                    ).format(file=path, column=repr(name), known=", ".join(sorted(units)))
                )
            if unit is not None and canonical_unit(unit) != units[name]:
                hint = unit_conversion_hint(canonical_unit(unit), units[name])
                raise InputError(
                    _(
                        "{file}: column {column} is in {unit} but the meter records {quantity} in "
                        "{meter_unit}; convert the column first"
                    ).format(
                        file=path,
                        column=repr(header),
                        unit=repr(unit.strip()),
                        quantity=name,
                        meter_unit=repr(units[name]),
                    )
                    + (f" ({hint})" if hint else "")
                )
        if name in columns.values():
            raise InputError(
                _("{file}: quantity {quantity} has two columns; keep one").format(
                    file=path, quantity=repr(name)
                )
            )
        columns[header] = name
    if not columns:
        raise InputError(_("{file}: no value columns besides 'timestamp'").format(file=path))
    return columns


def _share(values: np.ndarray, up: bool) -> tuple[int, int]:
    steps = np.diff(values)
    return int(((steps > 0) if up else (steps < 0)).sum()), int(steps.size)


def _check_frame(
    path: Path,
    frame: pd.DataFrame,
    units: dict[str, str],
    counters: Collection[str],
    options: ImportOptions,
) -> None:
    """Refuse a file whose values do not fit their quantity (see the module docstring)."""
    if options.force:
        return
    found: list[str] = []
    for q in frame.columns:
        v = frame[q].dropna().to_numpy(dtype=np.float64)
        is_counter = q in counters
        reason = check_values(
            q, units.get(q, ""), v, counter=is_counter and options.interval_use is None
        )
        if reason is None and is_counter and options.interval_use is not None and (v < 0).any():
            reason = _("{n} negative values: use per interval is never negative").format(
                n=int((v < 0).sum())
            )
        if reason:
            found.append(_("column {quantity}: {reason}").format(quantity=q, reason=reason))
            continue
        if not is_counter or v.size < 3:
            continue
        if options.interval_use is None:
            down, n = _share(v, up=False)
            if down >= 3 and down > DOWN_SHARE * n:
                found.append(
                    _(
                        "column {quantity} goes down in {down} of its {n} steps ({share}): a "
                        "cumulative counter goes down only at a reset or rollover, so this looks "
                        "like use per interval. Import it with --interval-use start (each "
                        "timestamp starts its interval) or --interval-use end (it ends it)"
                    ).format(quantity=q, down=down, n=n, share=format_percent(down / n, digits=0))
                )
        else:
            rises, n = _share(v, up=True)
            if rises > UP_SHARE * n:
                found.append(
                    _(
                        "column {quantity} rises in {rises} of its {n} steps ({first} to {last}): "
                        "it looks like a cumulative counter already, not use per interval; import "
                        "it without --interval-use"
                    ).format(quantity=q, rises=rises, n=n, first=f"{v[0]:.6g}", last=f"{v[-1]:.6g}")
                )
    if found:
        raise InputError(
            _("{file}: nothing was imported: {problems} (or --force to import as it is)").format(
                file=path, problems="; ".join(found)
            )
        )


def _as_counters(
    store: SeriesStore,
    site: str,
    meter: str,
    path: Path,
    frame: pd.DataFrame,
    counters: Collection[str],
    options: ImportOptions,
) -> pd.DataFrame:
    """Counter columns of interval use -> counter readings continuing the stored counter."""
    label = options.interval_use
    assert label is not None
    if not any(q in counters for q in frame.columns):
        raise InputError(
            _(
                "{file}: --interval-use needs a counter column to accumulate ({counters} for this "
                "meter); the file has {columns}"
            ).format(
                file=path,
                counters=", ".join(sorted(counters)) or _("none"),
                columns=", ".join(frame.columns),
            )
        )
    parts = []
    for q in frame.columns:
        s = frame[q]
        if q not in counters:
            parts.append(s.dropna())
            continue
        if s.isna().any():
            at = s.index[s.isna()][0]
            raise InputError(
                _(
                    "{file}: column {quantity} has no value for the interval at {at}; fill it (0 if "
                    "the plant was off)"
                ).format(file=path, quantity=q, at=at.isoformat())
            )
        step = interval_step(
            pd.DatetimeIndex(s.index),
            options.interval,
            _("{file}: column {quantity}").format(file=path, quantity=q),
        )
        first = s.index[0] if label == "start" else s.index[0] - step
        last = s.index[-1] + step if label == "start" else s.index[-1]
        before = store.read(site, meter, [q], None, first + pd.Timedelta(milliseconds=1))
        base = (
            float(before[q].dropna().iloc[-1]) if q in before and before[q].notna().any() else 0.0
        )
        counter = accumulate(s, label, step, base)
        later = store.read(site, meter, [q], last + pd.Timedelta(milliseconds=1), None)
        if q in later and later[q].notna().any():
            at_end = store.read(site, meter, [q], last, last + pd.Timedelta(milliseconds=1))
            continues = (
                q in at_end
                and not at_end.empty
                and np.isclose(at_end[q].iloc[0], counter.iloc[-1], rtol=1e-12)
            )
            if not continues:
                raise InputError(
                    _(
                        "{file}: column {quantity}: readings are stored after this file's last "
                        "interval (from {at}) and would not continue the counter built from it; "
                        "import interval files oldest first"
                    ).format(file=path, quantity=q, at=later.index[0].isoformat())
                )
        logger.info(
            "%s: %s as a counter from %.6g over %d intervals of %s", path, q, base, len(s), step
        )
        parts.append(counter)
    return pd.concat(parts, axis=1).sort_index()


def _differing(store: SeriesStore, site: str, meter: str, frame: pd.DataFrame) -> tuple[int, str]:
    """How many stored readings differ from the frame's at the same timestamps, and the first."""
    start, end = frame.index[0], frame.index[-1] + pd.Timedelta(milliseconds=1)
    stored = store.read(site, meter, list(frame.columns), start, end)
    if stored.empty:
        return 0, ""
    common = stored.index.intersection(frame.index)
    count, first = 0, ""
    for q in frame.columns:
        if q not in stored:
            continue
        old, new = stored.loc[common, q], frame.loc[common, q]
        both = old.notna() & new.notna()
        bad = both & ~pd.Series(np.isclose(old, new, rtol=1e-12, atol=0.0), index=common)
        if bad.any():
            at = bad.index[bad.to_numpy()][0]
            count += int(bad.sum())
            first = first or _("{quantity} at {at}: stored {stored}, file {file}").format(
                quantity=q, at=at.isoformat(), stored=f"{old[at]:.10g}", file=f"{new[at]:.10g}"
            )
    return count, first


def import_csv(
    store: SeriesStore,
    site: str,
    meter: str,
    path: Path,
    timezone: str,
    units: dict[str, str] | None = None,
    progress: bool = True,
    counters: Collection[str] = (),
    options: ImportOptions = ImportOptions(),
) -> ImportReport:
    """Import ``path`` for ``meter``; running it twice stores the same rows once.

    ``counters`` are the meter's cumulative quantities (profile ``kind: counter``). Raises
    ``InputError`` before writing anything when the file does not fit (module docstring).
    """
    frame, problems = parse_interval_csv(path, timezone, units, options.dialect, options.ambiguous)
    frame = frame[~frame.index.duplicated(keep="last")].sort_index()
    report = ImportReport(rows=len(frame), skipped_rows=problems)
    if frame.empty:
        return report
    _check_frame(path, frame, units or {}, counters, options)
    if options.interval_use is not None:
        frame = _as_counters(store, site, meter, path, frame, counters, options)
    differ, first = _differing(store, site, meter, frame)
    if differ and not options.replace:
        raise InputError(
            _(
                "{file}: {n} stored readings of meter {meter} differ from the file's (first: "
                "{first}); nothing was imported. Give --replace to overwrite them with the file's "
                "values"
            ).format(file=path, n=differ, meter=meter, first=first)
        )
    report.replaced = differ
    ts_ms = frame.index.as_unit("ms").asi8.astype(np.int64)  # asi8 counts in the index's own unit
    columns = list(frame.columns)
    with tqdm(total=len(frame), unit="rows", desc=f"import {meter}", disable=not progress) as bar:
        for start in range(0, len(frame), CHUNK):
            chunk = frame.iloc[start : start + CHUNK]
            stamps = ts_ms[start : start + CHUNK]
            rows = []
            for t, values in zip(
                stamps.tolist(), chunk.to_numpy(dtype=np.float64).tolist(), strict=True
            ):
                kept = {
                    q: v for q, v in zip(columns, values, strict=True) if v == v
                }  # NaN: a missing cell
                if kept:
                    rows.append(SeriesRow(site, meter, t, kept))
            report.values += store.write_rows(rows)
            bar.update(len(chunk))
    return report
