"""``import-csv`` against generated spreadsheets: random delimiters, decimal commas with thousands
points, offsets or site time (with a DST fall-back hour), empty cells and garbage rows.

The generator knows which rows are good and what they hold, so the check is exact: a file is
either imported (every good row stored with its values, every garbage row skipped and reported,
and importing it again changes nothing) or refused with an InputError that names the file, and
then nothing at all is stored. Text mutations of such files (a character inserted or deleted, a
line doubled) must end the same two ways, never with another exception.
"""

from __future__ import annotations

import itertools
import math
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.csv_import import ImportOptions, ImportReport, import_csv
from ingest.csv_read import CsvDialect
from ingest.stores import SqliteStore
from plantmeter.errors import InputError

from .budget import fuzz

UNITS = {"energy_import_total": "kWh", "power_total": "W"}
COUNTERS = {"energy_import_total"}
ZONES = ["UTC", "America/Guatemala", "Europe/Madrid"]
START = datetime(2025, 10, 26, 0, 0)  # Madrid falls back at 03:00 local: 02:00-03:00 happens twice
GARBAGE_VALUES = ["abc", "--", "inf", "-inf", "NaN", "#N/A", "n/a", "1e999", "12abc", "∞"]
GARBAGE_TIMES = [
    "yesterday",
    "2025-13-01 00:00",
    "01/03/2025 10:00",
    "2025-02-30T00:00",
    "1999-12-31T00:00Z",
    "2999-01-01T00:00Z",
    "",
]


METERS = itertools.count()  # a meter id per input


@dataclass(frozen=True)
class Row:
    local: datetime  # the row's time in the site's zone (naive)
    kind: str  # good | bad_time | bad_value
    energy: float | None  # None: an empty cell
    power: float | None
    aware: bool  # written with its UTC offset


@dataclass(frozen=True)
class Sheet:
    zone: str
    delimiter: str
    decimal: str
    give_dialect: bool  # pass --delimiter/--decimal rather than let the reader detect them
    grouped: bool  # thousands points under a decimal comma (1.234,5)
    rows: tuple[Row, ...]
    garbage: tuple[str, ...]  # per row: the garbage text of a bad row


def _number(value: float, decimal: str, grouped: bool) -> str:
    text = f"{value:.3f}"
    if decimal == ",":
        whole, frac = text.split(".")
        if grouped:
            sign, digits = ("-", whole[1:]) if whole.startswith("-") else ("", whole)
            groups = []
            while len(digits) > 3:
                digits, tail = digits[:-3], digits[-3:]
                groups.insert(0, tail)
            whole = sign + ".".join([digits, *groups])
        text = f"{whole},{frac}"
    return text


def _stamp(row: Row, zone: str) -> str:
    if not row.aware:
        return row.local.strftime("%Y-%m-%d %H:%M")
    # the first pass of a repeated local hour (fold=0); UTC offset written out
    aware = row.local.replace(tzinfo=ZoneInfo(zone))
    return aware.isoformat(timespec="minutes")


def render(sheet: Sheet) -> str:
    d = sheet.delimiter
    lines = [d.join(["timestamp", "energy_import_total [kWh]", "power_total"])]
    for row, garbage in zip(sheet.rows, sheet.garbage, strict=True):
        stamp = garbage if row.kind == "bad_time" else _stamp(row, sheet.zone)
        cells = [
            "" if v is None else _number(v, sheet.decimal, sheet.grouped)
            for v in (row.energy, row.power)
        ]
        if row.kind == "bad_value":
            cells[1] = garbage
        lines.append(d.join([stamp, *cells]))
        if row.local.minute == 45 and row.kind == "good":
            lines.append("")  # a blank line now and then
    return "\n".join(lines) + "\n"


@st.composite
def sheets(draw: st.DrawFn) -> Sheet:
    zone = draw(st.sampled_from(ZONES))
    delimiter = draw(st.sampled_from([",", ";", "\t"]))
    decimal = "." if delimiter == "," else draw(st.sampled_from([".", ","]))
    n = draw(st.integers(1, 30))
    energy = draw(st.floats(0, 1e7, allow_nan=False))
    rows, garbage = [], []
    for i in range(n):
        energy += draw(st.floats(0, 500, allow_nan=False))
        kind = draw(st.sampled_from(["good"] * 6 + ["bad_time", "bad_value"]))
        rows.append(
            Row(
                local=START + timedelta(minutes=15 * i),
                kind=kind,
                energy=None if draw(st.integers(0, 9)) == 0 else round(energy, 3),
                power=None
                if draw(st.integers(0, 9)) == 0
                else round(draw(st.floats(-5e4, 5e6, allow_nan=False)), 3),
                aware=draw(st.booleans()),
            )
        )
        garbage.append(
            draw(st.sampled_from(GARBAGE_TIMES if kind == "bad_time" else GARBAGE_VALUES))
        )
    return Sheet(
        zone,
        delimiter,
        decimal,
        draw(st.booleans()),
        draw(st.booleans()),
        tuple(rows),
        tuple(garbage),
    )


def _ambiguous(local: datetime, zone: str) -> bool:
    z = ZoneInfo(zone)
    return (
        local.replace(tzinfo=z, fold=0).utcoffset() != local.replace(tzinfo=z, fold=1).utcoffset()
    )


def _utc(row: Row, zone: str) -> pd.Timestamp:
    return pd.Timestamp(row.local.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC))


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SqliteStore]:
    """One store for every input (opening one costs more than an import): each input imports into
    a meter of its own, so "nothing stored" is that meter having no readings."""
    opened = SqliteStore(tmp_path_factory.mktemp("fuzz-csv") / "s.db")
    yield opened
    opened.close()


def _import(
    store: SqliteStore, folder: Path, meter: str, text: str, zone: str, dialect: CsvDialect
) -> tuple[ImportReport | InputError, pd.DataFrame]:
    csv = folder / "meter.csv"
    csv.write_bytes(text.encode("utf-8", "surrogatepass"))
    try:
        outcome: ImportReport | InputError = import_csv(
            store,
            "dairy",
            meter,
            csv,
            zone,
            UNITS,
            progress=False,
            counters=COUNTERS,
            options=ImportOptions(dialect=dialect),
        )
    except InputError as exc:
        outcome = exc
    return outcome, store.read("dairy", meter)


@given(sheet=sheets())
@fuzz(70)
def test_a_generated_sheet_is_imported_exactly_or_refused_with_nothing_stored(
    store: SqliteStore, sheet: Sheet
) -> None:
    meter = f"m{next(METERS)}"
    text = render(sheet)
    dialect = CsvDialect(sheet.delimiter, sheet.decimal) if sheet.give_dialect else CsvDialect()
    good = [r for r in sheet.rows if r.kind == "good"]
    refused_for = ""
    if any(
        not r.aware and _ambiguous(r.local, sheet.zone) for r in sheet.rows if r.kind != "bad_time"
    ):
        refused_for = "an ambiguous local time"
    with tempfile.TemporaryDirectory(prefix="pm-fuzz-csv-") as name:
        outcome, stored = _import(store, Path(name), meter, text, sheet.zone, dialect)
        if isinstance(outcome, InputError):
            assert str(Path(name) / "meter.csv") in str(outcome)
            assert stored.empty, "refused, yet something was stored"
            assert refused_for, f"a good file was refused: {outcome}\n{text}"
            return
        assert not refused_for, f"imported despite {refused_for}:\n{text}"
        assert len(outcome.skipped_rows) == min(len(sheet.rows) - len(good), 20) + (
            1 if len(sheet.rows) - len(good) > 20 else 0
        )
        expected = {
            _utc(r, sheet.zone): (r.energy, r.power)
            for r in good
            if r.energy is not None or r.power is not None
        }
        assert sorted(stored.index) == sorted(expected), text
        for stamp, (energy, power) in expected.items():
            for column, value in (("energy_import_total", energy), ("power_total", power)):
                got = stored.loc[stamp, column] if column in stored else math.nan
                assert (value is None and math.isnan(got)) or got == value, (
                    stamp,
                    column,
                    got,
                    value,
                )
        again, after = _import(store, Path(name), meter, text, sheet.zone, dialect)
        assert isinstance(again, ImportReport) and after.equals(stored)


@st.composite
def mutated_sheets(draw: st.DrawFn) -> tuple[str, str]:
    sheet = draw(sheets())
    text = render(sheet)
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["insert", "delete", "double"]))
        if action == "insert":
            text = (
                text[:at]
                + draw(st.text(alphabet=',;\t".\n\r x0-:Z\ufeff\x00', min_size=1, max_size=3))
                + text[at:]
            )
        elif action == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 5)) :]
        else:
            lines = text.splitlines(keepends=True)
            i = draw(st.integers(0, len(lines) - 1))
            text = "".join(lines[: i + 1] + lines[i:])
    return sheet.zone, text


@given(case=mutated_sheets())
@fuzz(100)
def test_a_mutated_sheet_is_imported_or_refused_with_nothing_stored(
    store: SqliteStore, case: tuple[str, str]
) -> None:
    zone, text = case
    meter = f"m{next(METERS)}"
    with tempfile.TemporaryDirectory(prefix="pm-fuzz-csv-") as name:
        outcome, stored = _import(store, Path(name), meter, text, zone, CsvDialect())
        if isinstance(outcome, InputError):
            assert str(Path(name) / "meter.csv") in str(outcome)
            assert stored.empty, "refused, yet something was stored"
        else:
            assert len(stored) <= outcome.rows
