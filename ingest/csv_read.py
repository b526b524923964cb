"""Reading a CSV file as spreadsheets write it: the dialect and the timestamps.

* **Dialect.** The delimiter is the one the header line uses (``,``, ``;`` or a tab) unless
  given; the decimal mark is ``.`` or, when the numbers carry commas and no points (Spanish and
  Portuguese spreadsheets: ``;`` between cells, ``12,5`` in them), ``,``. With a decimal comma,
  points that group thousands (``1.234,5``) are dropped. When the file leaves it open
  (points and commas both in numbers) the reader refuses and asks for ``--decimal``.
* **Timestamps.** ISO 8601. With an offset (``Z``, ``-06:00``) a timestamp is that instant;
  without one it is the site's local time. A local time in the hour that happens twice when
  clocks fall back is ambiguous, never dropped: ``ambiguous`` chooses (``earliest``: the first
  pass, daylight time; ``latest``: the second; ``infer``: from the order of the rows, a file
  that runs through the repeated hour twice), and by default the import is refused with the
  choices spelled out in the site's own offsets. A local time that does not exist (clocks jump
  forward) is a bad row.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from plantmeter.errors import InputError
from plantmeter.i18n import N_, _
from plantmeter.times import local_offsets

__all__ = ["Ambiguous", "CsvDialect", "DateOrder", "parse_timestamps", "read_table"]

Ambiguous = Literal["refuse", "earliest", "latest", "infer"]
DateOrder = Literal["iso", "day-first", "month-first"]
_AWARE = re.compile(r"(?:[Zz]|[+-]\d{2}:?\d{2})\s*$")
# each delimiter's name, singular (a message's "with semicolon delimiters") and plural ("the
# header has commas and semicolons"): whole words of the catalogue, never an English plural "s"
_DELIMITERS = {",": N_("comma"), ";": N_("semicolon"), "\t": N_("tab")}
_DELIMITERS_PLURAL = {",": N_("commas"), ";": N_("semicolons"), "\t": N_("tabs")}
_GROUPED = re.compile(r"^[+-]?\d{1,3}(?:\.\d{3})+(?:,\d*)?$")


@dataclass(frozen=True, slots=True)
class CsvDialect:
    """How the file separates cells and writes decimals; None = detect."""

    delimiter: str | None = None
    decimal: str | None = None
    dates: DateOrder = "iso"  # day-first / month-first: also read 01/03/2025 [14:05[:00]]


def read_table(path: Path, dialect: CsvDialect) -> tuple[pd.DataFrame, CsvDialect]:
    """Every cell as text (numbers already with a ``.`` decimal mark) and the dialect used."""
    try:
        text = path.read_text(encoding="utf-8-sig")  # Excel's "CSV UTF-8" starts with a BOM
    except UnicodeDecodeError as exc:
        raise InputError(
            _("{file}: not UTF-8 text ({reason} at byte {byte}); save it as 'CSV UTF-8'").format(
                file=path, reason=exc.reason, byte=exc.start
            )
        ) from exc
    except OSError as exc:
        raise InputError(
            _("{file}: cannot read ({error})").format(file=path, error=exc.strerror or exc)
        ) from exc
    header = next((line for line in io.StringIO(text) if line.strip()), None)
    if header is None:
        raise InputError(
            _(
                "{file}: the file is empty; expected a header line timestamp,<quantity>,... and "
                "data rows"
            ).format(file=path)
        )
    delimiter = dialect.delimiter or _detect_delimiter(path, header)
    try:
        raw = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=True,
        )
    except (pd.errors.ParserError, ValueError) as exc:
        name = _DELIMITERS.get(delimiter)
        raise InputError(
            _(
                "{file}: cannot read as CSV with {delimiter} delimiters ({error}); give "
                "--delimiter if the file uses another"
            ).format(file=path, delimiter=_(name) if name else repr(delimiter), error=exc)
        ) from exc
    raw.columns = [str(c).strip() for c in raw.columns]
    values = [c for c in raw.columns if c != "timestamp"]
    decimal = dialect.decimal or _detect_decimal(path, raw[values], delimiter)
    if decimal == "," and delimiter == ",":
        raise InputError(
            _(
                "{file}: a decimal comma needs another delimiter between cells; give --delimiter ';'"
            ).format(file=path)
        )
    if decimal == ",":
        for c in values:
            cells = raw[c].str.strip()
            grouped = cells.str.match(_GROUPED)
            cells = cells.where(~grouped, cells.str.replace(".", "", regex=False))
            # a point left in a cell is not a number under a decimal comma: the row is reported
            raw[c] = cells.where(
                ~cells.str.contains(".", regex=False), "not-a-number:" + cells
            ).str.replace(",", ".", regex=False)
    return raw, CsvDialect(delimiter, decimal, dialect.dates)


def _detect_delimiter(path: Path, header: str) -> str:
    found = [d for d in _DELIMITERS if d in header]
    if len(found) > 1:
        names = [_(_DELIMITERS_PLURAL[d]) for d in found]
        both = (
            _("{first} and {second}").format(first=names[0], second=names[1])
            if len(names) == 2
            else _("{first}, {second} and {third}").format(
                first=names[0], second=names[1], third=names[2]
            )
        )
        raise InputError(
            _(
                "{file}: the header has {delimiters}; say which separates cells: --delimiter ';' "
                "(or ',')"
            ).format(file=path, delimiters=both)
        )
    return found[0] if found else ","


def _detect_decimal(path: Path, cells: pd.DataFrame, delimiter: str) -> str:
    if delimiter == "," or cells.empty:
        return "."
    stacked = pd.Series(cells.to_numpy().ravel()).str.strip()
    comma = stacked.str.contains(",", regex=False)
    point = stacked.str.contains(".", regex=False) & ~stacked.str.match(_GROUPED)
    if comma.any() and point.any():
        raise InputError(
            _(
                "{file}: numbers are written both with points ({point}) and commas ({comma}); say "
                "which is the decimal mark: --decimal ',' or --decimal '.'"
            ).format(
                file=path, point=repr(stacked[point].iloc[0]), comma=repr(stacked[comma].iloc[0])
            )
        )
    return "," if comma.any() else "."


_LOCAL_DATE = re.compile(
    r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$"
)


def _to_iso(text: pd.Series, dates: DateOrder) -> pd.Series:
    """``31/03/2025 14:05`` (day-first) or ``03/31/2025 2:05`` (month-first) as ISO text; other
    cells unchanged (an ISO cell stays ISO, an unreadable one stays unreadable)."""
    parts = text.str.extract(_LOCAL_DATE)
    found = parts[0].notna()
    if not found.any():
        return text
    day, month = (parts[0], parts[1]) if dates == "day-first" else (parts[1], parts[0])
    iso = (
        parts[2] + "-" + month.str.zfill(2) + "-" + day.str.zfill(2) + " "
        + parts[3].fillna("0").str.zfill(2) + ":" + parts[4].fillna("00") + ":" + parts[5].fillna("00")
    )  # fmt: skip
    return text.where(~found, iso)


def parse_timestamps(
    column: pd.Series, timezone: str, ambiguous: Ambiguous, path: Path, dates: DateOrder = "iso"
) -> pd.Series:
    """ISO 8601 strings -> UTC timestamps (NaT where unreadable or nonexistent locally).

    Each row is read on its own: with an offset as that instant, without one in the site's
    time zone, so an export whose offset changes at DST reads right. Non-ISO forms
    (``01/03/2025``) are refused rather than guessed day- or month-first, unless ``dates`` says
    which (``day-first``: Latin America's 31/03/2025 14:05; ``month-first``).
    """
    text = column.str.strip()
    if dates != "iso":
        text = _to_iso(text, dates)
    aware = text.str.contains(_AWARE).to_numpy()
    out = pd.Series(pd.NaT, index=column.index, dtype="datetime64[ms, UTC]")
    if aware.any():
        parsed = pd.to_datetime(text[aware], errors="coerce", utc=True, format="ISO8601")
        out[aware] = parsed.dt.as_unit("ms")
    if (~aware).any():
        naive = _parse_local(text[~aware])
        marked = naive.dt.tz_localize(timezone, ambiguous="NaT", nonexistent="NaT")
        doubled = (marked.isna() & naive.notna()).to_numpy(copy=True)
        for i in np.flatnonzero(
            doubled
        ):  # NaT from tz_localize: nonexistent or ambiguous; tell them apart
            doubled[i] = len(local_offsets(naive.iloc[i].to_pydatetime(), timezone)) > 1
        if doubled.any():
            marked = _resolve_ambiguous(naive, marked, doubled, timezone, ambiguous, path, column)
        out[~aware] = marked.dt.tz_convert("UTC").dt.as_unit("ms")
    return out


def _parse_local(text: pd.Series) -> pd.Series:
    """Site-time strings -> naive timestamps; NaT where unreadable, and where pandas reads an offset
    that ISO 8601 (and ``_AWARE``) does not allow (``+0:00``, ``+05``): a bad row, reported, since
    whether it meant site time or that offset cannot be told."""
    try:
        parsed = pd.to_datetime(text, errors="coerce", format="ISO8601")
    except ValueError:  # "Mixed timezones": some of them carry such an offset
        parsed = None
    if parsed is not None and not isinstance(parsed.dtype, pd.DatetimeTZDtype):
        return parsed
    one_by_one = (pd.to_datetime(t, errors="coerce", format="ISO8601") for t in text)
    return pd.to_datetime(
        pd.Series(
            [None if pd.isna(t) or t.tzinfo is not None else t for t in one_by_one],
            index=text.index,
            dtype=object,
        )
    )


def _resolve_ambiguous(
    naive: pd.Series,
    marked: pd.Series,
    doubled: np.ndarray,
    timezone: str,
    ambiguous: Ambiguous,
    path: Path,
    column: pd.Series,
) -> pd.Series:
    first = int(np.flatnonzero(doubled)[0])
    stamp = naive.iloc[first]
    early, late = local_offsets(stamp.to_pydatetime(), timezone)
    line = int(naive.index[first]) + 2
    if ambiguous == "refuse":
        raise InputError(
            _(
                "{file}: {n} timestamps fall in the hour that happens twice in {zone} when the "
                "clocks fall back (first at line {line}: {text}, which is {first} or {second}); "
                "nothing was imported. Say which: --ambiguous infer (rows in time order: the first "
                "pass is {early}, the repeat {late}), --ambiguous earliest ({early}), --ambiguous "
                "latest ({late}), or write the offset in the timestamps"
            ).format(
                file=path,
                n=int(doubled.sum()),
                zone=timezone,
                line=line,
                text=repr(column.loc[naive.index[first]].strip()),
                first=f"{stamp:%Y-%m-%dT%H:%M}{early}",
                second=f"{stamp:%Y-%m-%dT%H:%M}{late}",
                early=early,
                late=late,
            )
        )
    if ambiguous == "infer":
        try:
            return naive.dt.tz_localize(timezone, ambiguous="infer", nonexistent="NaT")
        except (ValueError, TypeError) as exc:  # pytz/pandas AmbiguousTimeError is a ValueError
            raise InputError(
                _(
                    "{file}: cannot infer which pass of the repeated hour each row is ({error}); "
                    "the rows must run through it twice in time order; use --ambiguous "
                    "earliest|latest or write the offsets"
                ).format(file=path, error=exc)
            ) from exc
    flags = np.full(
        len(naive), ambiguous == "earliest", dtype=bool
    )  # True = daylight time = first pass
    return naive.dt.tz_localize(timezone, ambiguous=flags, nonexistent="NaT")
