"""``plantmeter savings``: a counter given as --usage and °F given as °C are refused; the
savings of a stored meter are computed straight from the store (--site --meter)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ingest.stores import SqliteStore
from plantmeter.store import SeriesRow
from plantmeter_app.cli import main

from .synth import daily_frame

SAVING_PER_DAY = 40.0  # injected from 2024-01-01: the known truth


def plant(tz: str = "UTC") -> pd.DataFrame:
    df = daily_frame(seed=21, prod=2.0, tz=tz)
    df.loc[df.index >= pd.Timestamp("2024-01-01", tz=tz), "usage"] -= SAVING_PER_DAY
    return df


def write_csv(path: Path, series: pd.Series) -> Path:
    series.rename_axis("timestamp").rename("value").reset_index().assign(
        timestamp=lambda d: d["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%S")
    ).to_csv(path, index=False)
    return path


def savings_files(tmp_path: Path, usage: pd.Series, temperature: pd.Series, *extra: str) -> int:
    return main(
        [
            "savings",
            "--usage",
            str(write_csv(tmp_path / "u.csv", usage)),
            "--temperature",
            str(write_csv(tmp_path / "t.csv", temperature)),
            "--baseline",
            "2023-01-01..2024-01-01",
            "--reporting",
            "2024-01-01..2025-01-01",
            "--json",
            *extra,
        ]
    )


def test_a_cumulative_counter_as_usage_is_refused(tmp_path: Path, capsys) -> None:
    df = plant()
    counter = df["usage"].cumsum() + 120_000.0  # the meter's kWh register, read daily
    assert savings_files(tmp_path, counter, df["temperature"], "--temperature-unit", "F") == 2
    err = capsys.readouterr().err
    assert (
        "rises in 729 of its 729 steps" in err and "looks like a meter's cumulative counter" in err
    )
    assert "plantmeter savings --site SITE.yaml --meter M" in err


def test_fahrenheit_temperatures_declared_celsius_are_refused(tmp_path: Path, capsys) -> None:
    df = plant()
    assert savings_files(tmp_path, df["usage"], df["temperature"]) == 2  # °F file, default unit C
    err = capsys.readouterr().err
    assert "temperature:" in err and "it looks like °F" in err and "--temperature-unit F" in err
    assert savings_files(tmp_path, df["usage"], df["temperature"], "--temperature-unit", "F") == 0
    assert json.loads(capsys.readouterr().out)["savings"] == pytest.approx(
        SAVING_PER_DAY * 366, rel=0.1
    )


def stored_plant(tmp_path: Path, tz: str, fahrenheit: bool = False) -> Path:
    """The plant's daily use as an SDM630 counter read at local midnight, its production as a
    pulse counter and its outdoor temperature in °C, in a SQLite store; returns the site file."""
    df = plant(tz)
    store = SqliteStore(tmp_path / "s.db")
    try:
        stamps = df.index.append(pd.DatetimeIndex([df.index[-1] + pd.Timedelta(days=1)]))
        ms = stamps.tz_convert("UTC").as_unit("ms").asi8.tolist()
        energy = np.concatenate([[50_000.0], 50_000.0 + np.cumsum(df["usage"].to_numpy())])
        made = np.concatenate([[0.0], np.cumsum(df["production"].to_numpy())])
        celsius = (
            df["temperature"].to_numpy()
            if fahrenheit
            else (df["temperature"].to_numpy() - 32.0) / 1.8
        )
        rows = [
            SeriesRow("dairy", "main-elec", t, {"energy_import_total": e})
            for t, e in zip(ms, energy, strict=True)
        ]
        rows += [
            SeriesRow("dairy", "production", t, {"production_total": p})
            for t, p in zip(ms, made, strict=True)
        ]
        rows += [
            SeriesRow("dairy", "outdoor-temp", t + h * 3_600_000, {"temperature": c})
            for t, c in zip(ms, celsius, strict=False)
            for h in (0, 12)
        ]
        store.write_rows(rows)
    finally:
        store.close()
    path = tmp_path / "site.yaml"
    path.write_text(
        f"site: {{id: dairy, timezone: {tz}}}\n"
        f"store: {{url: 'sqlite:///{tmp_path}/s.db'}}\n"
        "buses: [{id: b, transport: tcp, host: 127.0.0.1, port: 5020}]\n"
        "meters:\n"
        "  - {id: main-elec, bus: b, unit_id: 1, profile: eastron-sdm630, kind: electricity}\n"
        "  - {id: production, bus: b, unit_id: 20, profile: ismacontrolli-sfar-1m-4di, kind: production}\n"
        "  - {id: outdoor-temp, bus: b, unit_id: 30, profile: xy-md02, kind: temperature}\n"
    )
    return path


def test_savings_straight_from_the_store(tmp_path: Path, capsys) -> None:
    site = stored_plant(tmp_path, "America/Guatemala")
    code = main(
        [
            "savings",
            "--site",
            str(site),
            "--meter",
            "main-elec",
            "--temperature-meter",
            "outdoor-temp",
            "--production-meter",
            "production",
            "--baseline",
            "2023-01-01..2024-01-01",
            "--reporting",
            "2024-01-01..2025-01-01",
            "--json",
        ]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    d = json.loads(captured.out)
    assert d["savings"] == pytest.approx(SAVING_PER_DAY * 366, rel=0.1)  # 2024 is a leap year
    assert d["observed"] == pytest.approx(
        plant("America/Guatemala")["usage"]["2024"].sum(), rel=1e-6
    )


def test_savings_from_the_store_names_unknown_meters_and_missing_periods(
    tmp_path: Path, capsys
) -> None:
    site = stored_plant(tmp_path, "UTC")
    assert (
        main(
            [
                "savings",
                "--site",
                str(site),
                "--meter",
                "boiler",
                "--baseline",
                "2023-01-01..2024-01-01",
                "--reporting",
                "2024-01-01..2025-01-01",
            ]
        )
        == 2
    )
    assert (
        "--meter 'boiler' is not a meter of site dairy; known: main-elec, production, outdoor-temp"
        in (capsys.readouterr().err)
    )
    assert main(["savings", "--site", str(site), "--meter", "main-elec"]) == 2
    assert "give --baseline START..END and --reporting START..END" in capsys.readouterr().err
    assert main(["savings", "--meter", "main-elec", "--baseline", "2023-01-01..2024-01-01"]) == 2
    assert "give either --usage U.csv (files) or --site SITE.yaml" in capsys.readouterr().err


def test_fahrenheit_stored_as_celsius_is_refused_from_the_store_too(tmp_path: Path, capsys) -> None:
    """A °F file imported with --force into a °C quantity: the dairy's outdoor mean reads 57 °C."""
    site = stored_plant(tmp_path, "America/Guatemala", fahrenheit=True)
    args = [
        "savings",
        "--site",
        str(site),
        "--meter",
        "main-elec",
        "--temperature-meter",
        "outdoor-temp",
        "--baseline",
        "2023-01-01..2024-01-01",
        "--reporting",
        "2024-01-01..2025-01-01",
        "--json",
    ]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "outside the plausible -60…80 degC" in err and "it looks like °F" in err
    assert main([*args, "--force"]) == 0  # computed on it as it is, when the user insists
