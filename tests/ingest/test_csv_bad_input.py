"""``import-csv`` on the files users really have: empty, header only, Spanish spreadsheets,
DST fall-backs, re-imports that differ, values in the wrong unit, interval use for a counter."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import firmware_sim
import numpy as np
import pandas as pd
import pytest

from analytics.jobs import counter_to_hourly
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
        "  - {id: outdoor-temp, bus: b, unit_id: 30, profile: xy-md02, kind: temperature}\n"
    )
    return path


def run(
    tmp_path: Path,
    text: str | bytes,
    *extra: str,
    meter: str = "main-elec",
    timezone: str = "America/Guatemala",
) -> int:
    csv = tmp_path / "data.csv"
    if isinstance(text, bytes):
        csv.write_bytes(text)
    else:
        csv.write_text(text)
    return main(
        [
            "import-csv",
            str(site(tmp_path, timezone)),
            str(csv),
            "--meter",
            meter,
            "--no-progress",
            *extra,
        ]
    )


def stored(tmp_path: Path, meter: str = "main-elec") -> pd.DataFrame:
    store = SqliteStore(tmp_path / "s.db")
    try:
        return store.read("dairy", meter)
    finally:
        store.close()


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


@pytest.mark.parametrize("text", [b"", b"\n\n  \n", b"\xef\xbb\xbf"])
def test_empty_file_is_an_error_not_a_traceback(tmp_path: Path, capsys, text: bytes) -> None:
    assert run(tmp_path, text) == 2
    assert (
        "the file is empty; expected a header line timestamp,<quantity>" in capsys.readouterr().err
    )


def test_header_only_is_an_error(tmp_path: Path, capsys) -> None:
    assert run(tmp_path, "timestamp,energy_import_total [kWh]\n") == 2
    captured = capsys.readouterr()
    assert "only a header line, no data rows; nothing to import" in captured.err
    assert "imported" not in captured.out


def test_semicolons_and_decimal_commas_as_spanish_spreadsheets_write(
    tmp_path: Path, capsys
) -> None:
    code = run(
        tmp_path,
        "\ufefftimestamp;energy_import_total [kWh];power_total [W]\n"  # Excel's BOM too
        "2025-03-01 00:00;1.234,5;5000\n"  # a point grouping thousands
        "2025-03-01 00:15;1234,75;5100,5\n"
        "2025-03-01 00:30;1235;\n",
    )
    assert code == 0, capsys.readouterr().err
    frame = stored(tmp_path)
    assert list(frame["energy_import_total"]) == [1234.5, 1234.75, 1235.0]
    assert frame["power_total"].tolist()[:2] == [5000.0, 5100.5]


def test_decimal_mark_that_the_file_leaves_open_is_asked_for(tmp_path: Path, capsys) -> None:
    text = "timestamp;energy_import_total\n2025-03-01 00:00;1,5\n2025-03-01 00:15;2.5\n"
    assert run(tmp_path, text) == 2
    err = capsys.readouterr().err
    assert "numbers are written both with points ('2.5') and commas ('1,5')" in err
    assert "--decimal ','" in err
    assert stored(tmp_path).empty
    assert run(tmp_path, text, "--decimal", ",") == 1  # now the point is the odd one out: a bad row
    assert "line 3: not a finite number: energy_import_total='2.5'" in capsys.readouterr().err
    assert list(stored(tmp_path)["energy_import_total"]) == [1.5]


def test_header_with_both_delimiters_is_asked_for(tmp_path: Path, capsys) -> None:
    assert run(tmp_path, "timestamp;energy_import_total,power_total\n2025-03-01 00:00;1,5\n") == 2
    assert "say which separates cells: --delimiter ';'" in capsys.readouterr().err


def fall_back_rows(first: str, count: int, value0: float = 100.0) -> str:
    """A logger writing local wall-clock time every 15 min through a fall-back night."""
    zone = "Europe/Madrid"
    stamps = pd.date_range(pd.Timestamp(first, tz=zone), periods=count, freq="15min")
    return "".join(f"{t:%Y-%m-%d %H:%M},{value0 + i}\n" for i, t in enumerate(stamps))


def test_dst_fall_back_is_refused_until_chosen_then_infer_keeps_every_row(
    tmp_path: Path, capsys
) -> None:
    text = "timestamp,energy_import_total\n" + fall_back_rows(
        "2025-10-26 01:00", 16
    )  # 01:00 CEST .. 03:45 CET
    assert text.count("2025-10-26 02:30") == 2
    assert run(tmp_path, text, timezone="Europe/Madrid") == 2
    err = capsys.readouterr().err
    assert "8 timestamps fall in the hour that happens twice in Europe/Madrid" in err
    assert "2025-10-26T02:00+02:00 or 2025-10-26T02:00+01:00" in err and "--ambiguous infer" in err
    assert stored(tmp_path).empty  # nothing half-stored
    assert run(tmp_path, text, "--ambiguous", "infer", timezone="Europe/Madrid") == 0
    frame = stored(tmp_path)
    assert len(frame) == 16  # the repeated hour is four more readings, none lost
    expected = pd.date_range(utc("2025-10-25 23:00"), periods=16, freq="15min")
    assert list(frame.index) == list(expected)
    assert list(frame["energy_import_total"]) == [100.0 + i for i in range(16)]


def test_fall_back_hint_uses_the_site_offsets_in_santiago(tmp_path: Path, capsys) -> None:
    # Chile falls back from -03:00 to -04:00 at 24:00 on 2025-04-05: 23:00-24:00 happens twice
    assert (
        run(
            tmp_path,
            "timestamp,energy_import_total\n2025-04-05 23:30,1\n",
            timezone="America/Santiago",
        )
        == 2
    )
    assert "2025-04-05T23:30-03:00 or 2025-04-05T23:30-04:00" in capsys.readouterr().err
    assert (
        run(
            tmp_path,
            "timestamp,energy_import_total\n2025-04-05 23:30,1\n",
            "--ambiguous",
            "latest",
            timezone="America/Santiago",
        )
        == 0
    )
    assert list(stored(tmp_path).index) == [utc("2025-04-06 03:30")]
    # and springs forward at 24:00 on 2025-09-06: 00:30 that night never happens
    assert (
        run(
            tmp_path,
            "timestamp,energy_import_total\n2025-09-07 00:30,1\n2025-09-07 01:30,2\n",
            timezone="America/Santiago",
        )
        == 1
    )
    err = capsys.readouterr().err
    assert (
        "timestamp '2025-09-07 00:30' is not ISO 8601 or does not exist in America/Santiago" in err
    )
    assert (
        "2025-03-01T00:15:00-03:00" in err
    )  # Chile's summer offset on the hint's date, not Guatemala's -06:00


def test_reimport_that_differs_is_refused_then_replaced(tmp_path: Path, capsys) -> None:
    rows = [f"2025-03-01T{h:02d}:00:00Z,{100 + h}\n" for h in range(6)]
    assert run(tmp_path, "timestamp,energy_import_total\n" + "".join(rows)) == 0
    rows[2], rows[4] = "2025-03-01T02:00:00Z,102.5\n", "2025-03-01T04:00:00Z,999\n"
    changed = "timestamp,energy_import_total\n" + "".join(rows) + "2025-03-01T06:00:00Z,106\n"
    assert run(tmp_path, changed) == 2
    err = capsys.readouterr().err
    assert "2 stored readings of meter main-elec differ from the file's" in err
    assert "energy_import_total at 2025-03-01T02:00:00+00:00: stored 102, file 102.5" in err
    assert "--replace" in err
    assert list(stored(tmp_path)["energy_import_total"]) == [
        100.0 + h for h in range(6)
    ]  # untouched, no new row
    assert run(tmp_path, changed, "--replace") == 0
    assert "(2 stored readings replaced)" in capsys.readouterr().out
    assert list(stored(tmp_path)["energy_import_total"]) == [100, 101, 102.5, 103, 999, 105, 106]
    assert run(tmp_path, changed) == 0  # identical again: silent
    assert "replaced" not in capsys.readouterr().out


def temperature_csv(values: np.ndarray, unit: str = "") -> str:
    stamps = pd.date_range("2025-03-01", periods=len(values), freq="h")
    head = f"timestamp,temperature{f' [{unit}]' if unit else ''}\n"
    return head + "".join(
        f"{t:%Y-%m-%d %H:%M},{v:.1f}\n" for t, v in zip(stamps, values, strict=True)
    )


def test_fahrenheit_imported_as_celsius_is_refused(tmp_path: Path, capsys) -> None:
    # Guatemala City in °F: 60-85 over a day, so a few hours exceed the 80 °C an outdoor sensor can read
    hours = np.arange(24 * 7)
    fahrenheit = 72.0 + 12.0 * np.sin(2 * np.pi * (hours - 9) / 24)
    assert run(tmp_path, temperature_csv(fahrenheit), meter="outdoor-temp") == 2
    err = capsys.readouterr().err
    assert "column temperature:" in err and "outside the plausible -60…80 degC" in err
    assert "convert with °C = (°F − 32) / 1.8" in err and "--force" in err
    assert stored(tmp_path, "outdoor-temp").empty
    # a milder week in °F: no single value impossible, but a mean of 75 °C is
    mild = 75.0 + 3.0 * np.sin(2 * np.pi * hours / 24)
    assert run(tmp_path, temperature_csv(mild), meter="outdoor-temp") == 2
    err = capsys.readouterr().err
    assert "mean 75 degC outside the plausible -40…45 degC" in err and "(°F − 32) / 1.8" in err
    assert run(tmp_path, temperature_csv(mild), "--force", meter="outdoor-temp") == 0
    assert len(stored(tmp_path, "outdoor-temp")) == len(mild)


def test_unit_header_in_fahrenheit_names_the_conversion(tmp_path: Path, capsys) -> None:
    assert run(tmp_path, temperature_csv(np.array([70.0, 71.0]), "°F"), meter="outdoor-temp") == 2
    assert "convert °F to °C: (F − 32) / 1.8" in capsys.readouterr().err
    assert (
        run(tmp_path, temperature_csv(np.array([21.0, 21.5]), "°C"), meter="outdoor-temp") == 0
    )  # °C = degC


def test_humidity_above_100_and_negative_counters_are_refused(tmp_path: Path, capsys) -> None:
    text = "timestamp,humidity\n2025-03-01 00:00,55\n2025-03-01 01:00,120\n"
    assert run(tmp_path, text, meter="outdoor-temp") == 2
    assert (
        "column humidity: 1 of 2 values outside the plausible 0…100 %RH" in capsys.readouterr().err
    )
    text = "timestamp,energy_import_total\n2025-03-01 00:00,-5\n2025-03-01 01:00,-4\n"
    assert run(tmp_path, text) == 2
    assert "column energy_import_total: 2 negative values" in capsys.readouterr().err
    assert stored(tmp_path).empty


def quarter_hours(start: str, use: np.ndarray, column: str = "energy_import_total [kWh]") -> str:
    stamps = pd.date_range(start, periods=len(use), freq="15min")
    return f"timestamp,{column}\n" + "".join(
        f"{t:%Y-%m-%d %H:%M},{u:.4f}\n" for t, u in zip(stamps, use, strict=True)
    )


def test_interval_use_in_a_counter_column_is_refused_with_the_fix(tmp_path: Path, capsys) -> None:
    use = 2.0 + np.tile([0.5, 1.0, 0.25, 0.75], 24)  # a day of 15-minute kWh
    assert run(tmp_path, quarter_hours("2025-03-01", use)) == 2
    err = capsys.readouterr().err
    assert "column energy_import_total goes down in 47 of its 95 steps (49%)" in err
    assert "looks like use per interval" in err and "--interval-use start" in err
    assert stored(tmp_path).empty


def test_interval_use_is_stored_as_a_counter_the_analytics_read_back(
    tmp_path: Path, capsys
) -> None:
    use = 2.0 + np.tile(
        [0.5, 1.0, 0.25, 0.75], 48
    )  # two days of 15-minute kWh, labelled at their start
    day1, day2 = quarter_hours("2025-03-01", use[:96]), quarter_hours("2025-03-02", use[96:])
    assert run(tmp_path, day1, "--interval-use", "start") == 0, capsys.readouterr().err
    assert run(tmp_path, day2, "--interval-use", "start") == 0  # continues the stored counter
    assert run(tmp_path, day1, "--interval-use", "start") == 0  # idempotent
    counter = stored(tmp_path)["energy_import_total"]
    assert counter.index[0] == utc("2025-03-01 06:00") and counter.index[-1] == utc(
        "2025-03-03 06:00"
    )
    assert len(counter) == 193 and counter.iloc[0] == 0.0
    assert counter.iloc[-1] == pytest.approx(use.sum(), rel=1e-12)
    hourly, _ = counter_to_hourly(counter)
    expected = use.reshape(-1, 4).sum(axis=1)  # the file's own hours: four quarter-hours each
    assert hourly["usage"].to_numpy()[:48] == pytest.approx(expected, rel=1e-9)
    assert (hourly["coverage"].to_numpy()[:48] == 1.0).all()  # no reading is read as a reset


def test_interval_use_labelled_at_the_end(tmp_path: Path) -> None:
    use = np.array([1.0, 3.0, 2.0, 4.0])
    assert run(tmp_path, quarter_hours("2025-03-01 00:15", use), "--interval-use", "end") == 0
    counter = stored(tmp_path)["energy_import_total"]
    assert list(counter.index) == list(
        pd.date_range(utc("2025-03-01 06:00"), periods=5, freq="15min")
    )
    assert list(counter) == [0.0, 1.0, 4.0, 6.0, 10.0]


def test_interval_use_with_a_missing_interval_or_a_counter_is_refused(
    tmp_path: Path, capsys
) -> None:
    use = 2.0 + np.tile([0.5, 1.0, 0.25, 0.75], 4)
    text = quarter_hours("2025-03-01", use).splitlines(keepends=True)
    del text[6]
    assert run(tmp_path, "".join(text), "--interval-use", "start") == 2
    err = capsys.readouterr().err
    assert "intervals are 15m long but 1 spacings differ" in err  # as --interval writes it
    assert "about 1 intervals are missing" in err and "add those rows" in err
    counter = 1000.0 + np.cumsum(use)
    assert run(tmp_path, quarter_hours("2025-03-01", counter), "--interval-use", "start") == 2
    assert "it looks like a cumulative counter already" in capsys.readouterr().err
    assert (
        run(
            tmp_path, quarter_hours("2025-03-01", use, "power_total [W]"), "--interval-use", "start"
        )
        == 2
    )
    assert (
        "--interval-use needs a counter column to accumulate (energy_export_l1"
        in capsys.readouterr().err
    )
    assert stored(tmp_path).empty


def test_simulator_counter_rebuilt_from_its_interval_use(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    """A utility-style export of the simulated main meter's 15-minute use, imported as interval
    use, gives back the simulator's own counter (less its starting reading)."""
    scenario = firmware_sim.load_scenario(EXAMPLE / "scenario.yaml")
    paths = firmware_sim.generate_history(
        scenario,
        datetime(2025, 6, 2, tzinfo=UTC),
        datetime(2025, 6, 4, tzinfo=UTC),
        tmp_path / "hist",
        seed=3,
    )
    truth = pd.read_csv(paths["main-elec"], index_col="timestamp", parse_dates=True)[
        "energy_import_total"
    ]
    use = truth.diff().iloc[1:]
    export = tmp_path / "utility.csv"
    export.write_text(
        "timestamp,energy_import_total [kWh]\n"
        + "".join(f"{t:%Y-%m-%dT%H:%M:%SZ},{u!r}\n" for t, u in zip(use.index, use, strict=True))
    )
    monkeypatch.setenv("PLANTMETER_STORE_URL", f"sqlite:///{tmp_path}/s.db")
    args = [
        "import-csv",
        str(EXAMPLE / "site.yaml"),
        str(export),
        "--meter",
        "main-elec",
        "--no-progress",
    ]
    assert main(args) == 2  # as a counter: refused
    assert "looks like use per interval" in capsys.readouterr().err
    assert main([*args, "--interval-use", "end"]) == 0
    counter = stored(tmp_path)["energy_import_total"]
    assert list(counter.index) == list(truth.index)
    assert counter.to_numpy() == pytest.approx((truth - truth.iloc[0]).to_numpy(), abs=1e-6)


def test_interval_use_and_differing_reimport_on_influxdb(
    tmp_path: Path, influxd, monkeypatch, capsys
) -> None:
    """The same rules through the InfluxDB store: only the port's read and write are used."""
    from ingest.stores import open_store

    monkeypatch.setenv("PLANTMETER_STORE_URL", influxd.url)
    use = 2.0 + np.tile([0.5, 1.0, 0.25, 0.75], 48)
    day1, day2 = quarter_hours("2025-03-01", use[:96]), quarter_hours("2025-03-02", use[96:])
    assert run(tmp_path, day1, "--interval-use", "start") == 0, capsys.readouterr().err
    assert run(tmp_path, day2, "--interval-use", "start") == 0
    assert run(tmp_path, day2, "--interval-use", "start") == 0  # identical again
    changed = quarter_hours("2025-03-02", use[96:] + 0.5)
    assert run(tmp_path, changed, "--interval-use", "start") == 2
    assert "96 stored readings of meter main-elec differ" in capsys.readouterr().err
    store = open_store(influxd.url)
    try:
        counter = store.read("dairy", "main-elec")["energy_import_total"]
    finally:
        store.close()
    assert len(counter) == 193 and counter.iloc[-1] == pytest.approx(use.sum(), rel=1e-12)
