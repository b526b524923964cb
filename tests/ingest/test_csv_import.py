"""``plantmeter import-csv SITE.yaml FILE.csv --meter M`` into a SQLite store (no network)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import firmware_sim
import pandas as pd
import pytest

from ingest.csv_import import import_csv, parse_interval_csv
from ingest.stores import SqliteStore
from plantmeter_app.cli import main

EXAMPLE = Path(__file__).parents[2] / "examples" / "dairy"


def site(tmp_path: Path, timezone: str = "America/Guatemala") -> Path:
    path = tmp_path / "site.yaml"
    path.write_text(
        f"site: {{id: dairy, timezone: {timezone}}}\n"
        f"store: {{url: 'sqlite:///{tmp_path}/s.db'}}\n"
        "buses: [{id: b, transport: tcp, host: 127.0.0.1, port: 5020}]\n"
        "meters:\n"
        "  - {id: main-elec, bus: b, unit_id: 1, profile: eastron-sdm630, kind: electricity}\n"
    )
    return path


def run(tmp_path: Path, text: str, *extra: str, timezone: str = "America/Guatemala") -> int:
    csv = tmp_path / "data.csv"
    csv.write_text(text)
    args = [
        str(site(tmp_path, timezone)),
        str(csv),
        "--meter",
        "main-elec",
        "--no-progress",
        *extra,
    ]
    return main(["import-csv", *args])


def stored(tmp_path: Path, meter: str = "main-elec") -> pd.DataFrame:
    store = SqliteStore(tmp_path / "s.db")
    try:
        return store.read("dairy", meter)
    finally:
        store.close()


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def test_naive_timestamps_are_site_time_and_aware_ones_are_honoured(tmp_path: Path, capsys) -> None:
    code = run(
        tmp_path,
        "timestamp,energy_import_total [kWh],power_total (W)\n"
        "2025-03-01 00:00,100.5,5000\n"  # Guatemala is UTC-6 all year
        "2025-03-01T00:15:00-06:00,100.75,\n"  # an empty cell is a missing value, not an error
        "2025-03-01T06:30:00Z,101,5200.5\n",
    )
    assert code == 0
    assert "imported 5 values in 3 rows for meter main-elec" in capsys.readouterr().out
    frame = stored(tmp_path)
    assert list(frame.index) == [
        utc("2025-03-01 06:00"),
        utc("2025-03-01 06:15"),
        utc("2025-03-01 06:30"),
    ]
    assert list(frame["energy_import_total"]) == [100.5, 100.75, 101.0]
    assert frame["power_total"].isna().tolist() == [False, True, False]


def test_offsets_that_change_at_dst_and_local_times_that_do_not_exist(
    tmp_path: Path, capsys
) -> None:
    text = (
        "timestamp,energy_import_total\n"
        "2025-03-30T01:30:00+01:00,1\n"  # Berlin, winter time
        "2025-03-30T03:30:00+02:00,2\n"  # summer time, an hour later
        "2025-03-30 02:30,3\n"  # this local time does not exist in Berlin that night
        "2025-10-26 02:30,4\n"  # this one happens twice: ambiguous
        "2025-10-26 04:00,5\n"
    )
    # the repeated hour is not a bad row to skip: the whole file waits for a choice
    assert run(tmp_path, text, timezone="Europe/Berlin") == 2
    err = capsys.readouterr().err
    assert "1 timestamps fall in the hour that happens twice in Europe/Berlin" in err
    assert (
        "first at line 5: '2025-10-26 02:30', which is 2025-10-26T02:30+02:00 or 2025-10-26T02:30+01:00"
        in err
    )
    assert stored(tmp_path).empty
    code = run(tmp_path, text, "--ambiguous", "earliest", timezone="Europe/Berlin")
    err = capsys.readouterr().err
    assert code == 1
    assert (
        "line 4: timestamp '2025-03-30 02:30' is not ISO 8601 or does not exist in Europe/Berlin"
        in err
    )
    assert (
        "2025-03-01T00:15:00+01:00" in err
    )  # the hint is in the site's own offset, not a fixed one
    frame = stored(tmp_path)
    assert list(frame.index) == [
        utc("2025-03-30 00:30"),
        utc("2025-03-30 01:30"),
        utc("2025-10-26 00:30"),
        utc("2025-10-26 03:00"),
    ]


def test_units_in_headers_are_checked(tmp_path: Path, capsys) -> None:
    code = run(tmp_path, "timestamp,energy_import_total [Wh]\n2025-03-01 00:00,100500\n")
    err = capsys.readouterr().err
    assert code == 2
    assert (
        "'energy_import_total [Wh]' is in 'Wh' but the meter records energy_import_total in 'kWh'"
        in err
    )
    assert "convert the column first" in err
    assert stored(tmp_path).empty


def test_unknown_column_is_rejected_with_the_known_ones(tmp_path: Path, capsys) -> None:
    code = run(tmp_path, "timestamp,energy_import_total,gas_volume\n2025-03-01 00:00,1,2\n")
    err = capsys.readouterr().err
    assert code == 2
    assert (
        "column 'gas_volume' is not a quantity of this meter; known:" in err
        and "energy_import_total" in err
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("time,energy_import_total\n", "no 'timestamp' column"),
        ("timestamp,Energy Import\n", "is not a quantity name"),
        ("timestamp\n2025-03-01 00:00\n", "no value columns"),
        ("timestamp,energy_import_total,energy_import_total [kWh]\n", "has two columns"),
    ],
)
def test_bad_headers(tmp_path: Path, capsys, text: str, message: str) -> None:
    assert run(tmp_path, text) == 2
    assert message in capsys.readouterr().err


def test_bad_rows_are_reported_and_skipped_the_rest_is_stored(tmp_path: Path, capsys) -> None:
    code = run(
        tmp_path,
        "timestamp,energy_import_total [kWh],power_total [W]\n"
        "2025-03-01 00:00,100,5000\n"
        "yesterday,101,5000\n"  # line 3: unreadable timestamp
        "01/03/2025 00:30,102,5000\n"  # line 4: not ISO 8601 (day or month first?) is not guessed
        "2025-03-01 00:45,1O3,5000\n"  # line 5: a letter O in a number
        "2025-03-01 01:00,104,inf\n"  # line 6: not finite
        "2025-03-01 01:15,105,NaN\n"  # line 7: NaN is not a missing value, it is an error
        "1999-06-01 00:00,106,5000\n"  # line 8: before 2000
        "2099-01-01 00:00,107,5000\n"  # line 9: far future
        "2025-03-01 02:00,108,5100\n",
    )
    captured = capsys.readouterr()
    assert code == 1
    err = captured.err
    assert "line 3: timestamp 'yesterday' is not ISO 8601" in err
    assert "line 4: timestamp '01/03/2025 00:30' is not ISO 8601" in err
    assert "line 5: not a finite number: energy_import_total='1O3'" in err
    assert "line 6: not a finite number: power_total='inf'" in err
    assert "line 7: not a finite number: power_total='NaN'" in err
    assert "line 8: timestamp '1999-06-01 00:00' is before 2000" in err
    assert (
        "line 9: timestamp '2099-01-01 00:00' is before 2000 or more than a day in the future"
        in err
    )
    assert "imported 4 values in 2 rows" in captured.out
    frame = stored(tmp_path)  # whole rows skipped: no half-stored row
    assert list(frame["energy_import_total"]) == [100.0, 108.0]
    assert list(frame["power_total"]) == [5000.0, 5100.0]


def test_many_bad_rows_are_counted_not_all_listed(tmp_path: Path) -> None:
    csv = tmp_path / "d.csv"
    csv.write_text(
        "timestamp,power_total\n" + "".join(f"x{i},1\n" for i in range(30)) + "2025-03-01 00:00,2\n"
    )
    frame, problems = parse_interval_csv(csv, "UTC", {"power_total": "W"})
    assert len(problems) == 21 and problems[-1] == "... 30 rows skipped in all"
    assert list(frame["power_total"]) == [2.0]


def test_import_twice_stores_each_row_once(tmp_path: Path, capsys) -> None:
    text = "timestamp,energy_import_total\n" + "".join(
        f"2025-03-01T{h:02d}:00:00Z,{100 + h}\n" for h in range(24)
    )
    assert run(tmp_path, text) == 0
    assert run(tmp_path, text) == 0
    frame = stored(tmp_path)
    assert len(frame) == 24 and frame.index[0] == utc("2025-03-01 00:00")
    assert list(frame["energy_import_total"]) == [100.0 + h for h in range(24)]


def test_unknown_meter(tmp_path: Path, capsys) -> None:
    assert (
        run(tmp_path, "timestamp,power_total\n", "--meter", "nope") == 2
    )  # the later --meter wins
    assert "meter 'nope' is not in" in capsys.readouterr().err


def test_simulator_history_imports_as_is(tmp_path: Path, monkeypatch, capsys) -> None:
    """Every meter's history file from firmware_sim (derived counters, aware UTC stamps) imports
    unchanged and reads back equal."""
    scenario = firmware_sim.load_scenario(EXAMPLE / "scenario.yaml")
    start = datetime(2025, 6, 2, tzinfo=UTC)
    paths = firmware_sim.generate_history(
        scenario, start, datetime(2025, 6, 3, tzinfo=UTC), tmp_path / "hist", seed=1
    )
    monkeypatch.setenv("PLANTMETER_STORE_URL", f"sqlite:///{tmp_path}/s.db")
    assert len(paths) == 6
    for meter, path in paths.items():
        code = main(
            ["import-csv", str(EXAMPLE / "site.yaml"), str(path), "--meter", meter, "--no-progress"]
        )
        assert code == 0, capsys.readouterr().err
        expected = pd.read_csv(path, index_col="timestamp")
        frame = stored(tmp_path, meter)
        assert len(frame) == 96 and frame.index[0] == pd.Timestamp(start)
        assert sorted(frame.columns) == sorted(expected.columns)
        for column in expected.columns:
            assert frame[column].to_numpy() == pytest.approx(expected[column].to_numpy(), rel=1e-12)


def test_import_csv_api_reports_rows_and_values(tmp_path: Path) -> None:
    csv = tmp_path / "d.csv"
    csv.write_text(
        "timestamp,power_total [W],frequency [Hz]\n2025-03-01 00:00,1,50\n2025-03-01 00:15,2,\n"
    )
    store = SqliteStore(tmp_path / "api.db")
    try:
        report = import_csv(
            store, "dairy", "m", csv, "UTC", {"power_total": "W", "frequency": "Hz"}, progress=False
        )
        assert (report.rows, report.values, report.skipped_rows) == (2, 3, [])
        assert store.read("dairy", "m").index[1] == utc("2025-03-01 00:15")
    finally:
        store.close()


def test_day_first_dates_as_latin_american_spreadsheets_write(tmp_path: Path, capsys) -> None:
    """Excel in es/pt writes 31/03/2025 14:05 with ';' and a decimal comma: refused as ambiguous
    by default (with the fix), read day-first with --dates day-first, in the site's time."""
    text = (
        "timestamp;energy_import_total [kWh]\n"
        "31/03/2025 14:05;1.234,5\n"
        "1/4/2025 0:00;1.240,25\n"
        "01.04.2025 06:30:15;1.241\n"
    )
    run(tmp_path, text)
    err = capsys.readouterr().err
    assert "line 2: timestamp '31/03/2025 14:05' is not ISO 8601" in err
    assert "say --dates day-first" in err
    assert run(tmp_path, text, "--dates", "day-first") == 0
    frame = stored(tmp_path)
    assert list(frame.index) == [  # Guatemala is UTC-6
        utc("2025-03-31 20:05"),
        utc("2025-04-01 06:00"),
        utc("2025-04-01 12:30:15"),
    ]
    assert list(frame["energy_import_total"]) == [1234.5, 1240.25, 1241.0]
    assert (
        run(
            tmp_path,
            "timestamp,energy_import_total\n03/31/2025 14:05,1234.5\n",
            "--dates",
            "month-first",
        )
        == 0
    )
    assert utc("2025-03-31 20:05") in stored(tmp_path).index
