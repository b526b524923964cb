"""``plantmeter export``: unknown meters and quantities, times in site time, and `| head`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ingest.stores import SqliteStore
from plantmeter.store import SeriesRow
from plantmeter_app.cli import main

T0 = 1_740_808_800_000  # 2025-03-01T06:00Z = 2025-03-01 00:00 in Guatemala (UTC-6)


def site(tmp_path: Path, rows: int = 48) -> Path:
    store = SqliteStore(tmp_path / "s.db")
    try:
        store.write_rows(
            [
                SeriesRow(
                    "dairy",
                    "main-elec",
                    T0 + i * 900_000,
                    {"energy_import_total": 100.0 + i, "power_total": 5.0},
                )
                for i in range(-8, rows)
            ]
        )
    finally:
        store.close()
    path = tmp_path / "site.yaml"
    path.write_text(
        "site: {id: dairy, timezone: America/Guatemala}\n"
        f"store: {{url: 'sqlite:///{tmp_path}/s.db'}}\n"
        "buses: [{id: b, transport: tcp, host: 127.0.0.1, port: 5020}]\n"
        "meters:\n"
        "  - {id: main-elec, bus: b, unit_id: 1, profile: eastron-sdm630, kind: electricity}\n"
        "  - {id: cip-water, bus: b, unit_id: 10, profile: tuf2000, kind: water}\n"
    )
    return path


def test_unknown_meter_lists_the_known_ones(tmp_path: Path, capsys) -> None:
    assert main(["export", str(site(tmp_path)), "--meter", "main-elc"]) == 2
    assert "meter 'main-elc' is not in" in (err := capsys.readouterr().err)
    assert "meters: main-elec, cip-water" in err


def test_unknown_quantity_lists_the_meters_quantities(tmp_path: Path, capsys) -> None:
    assert (
        main(
            ["export", str(site(tmp_path)), "--meter", "main-elec", "--quantity", "energy_imported"]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert (
        "meter 'main-elec' (eastron-sdm630) has no quantity 'energy_imported'; known: voltage_l1"
        in err
    )
    assert "energy_import_total" in err


def test_naive_start_and_end_are_site_local_time(tmp_path: Path, capsys) -> None:
    path = site(tmp_path)
    args = ["export", str(path), "--meter", "main-elec", "--quantity", "energy_import_total"]
    assert main([*args, "--start", "2025-03-01", "--end", "2025-03-01 01:00"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1:] == [
        f"2025-03-01T06:{m:02d}:00.000Z,{100 + i}" for i, m in enumerate((0, 15, 30, 45))
    ]
    assert (
        main([*args, "--start", "2025-03-01T05:45Z", "--end", "2025-03-01T06:00Z"]) == 0
    )  # offsets honoured
    assert capsys.readouterr().out.splitlines()[1:] == ["2025-03-01T05:45:00.000Z,99"]
    assert main([*args, "--start", "first of March"]) == 2
    assert "--start 'first of March' is not a date or time" in capsys.readouterr().err


def test_export_into_head_has_no_broken_pipe_traceback(tmp_path: Path) -> None:
    path = site(tmp_path, rows=20_000)
    command = f"'{sys.executable}' -m plantmeter_app export '{path}' --meter main-elec 2>'{tmp_path}/err' | head -n 3"
    done = subprocess.run(
        ["bash", "-o", "pipefail", "-c", command],
        capture_output=True,
        text=True,
        timeout=120,
        env=os.environ | {"PYTHONUNBUFFERED": "1"},
    )
    assert done.stdout.splitlines()[0].startswith("timestamp,")
    assert len(done.stdout.splitlines()) == 3
    err = (tmp_path / "err").read_text()
    assert "Traceback" not in err and "BrokenPipe" not in err, err
    assert done.returncode == 0, err


def test_every_command_that_takes_times_states_the_rule(capsys) -> None:
    for command in (["export"], ["flags"], ["savings"], ["sim"]):
        with pytest.raises(SystemExit):
            main([*command, "--help"])
        text = " ".join(capsys.readouterr().out.split())
        assert "without an offset it is the site's local time (site.timezone)" in text, command
