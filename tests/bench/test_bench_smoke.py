"""The end-to-end benchmarks still run and report what they measured (tiny sizes; no timing asserted)."""

from __future__ import annotations

import json

import pytest

from bench import gateway, ingest

pytestmark = pytest.mark.integration


def test_ingest_bench_stores_every_message_and_reports_the_ratio(
    capsys: pytest.CaptureFixture[str],
) -> None:
    ingest.main(["--messages", "400", "--meters", "4", "--rounds", "1", "--json"])
    result = json.loads(capsys.readouterr().out)
    assert result["ingest_stats"]["stored_messages"] == 400
    assert result["ingest_stats"]["stored_values"] == 400 * result["fields"]
    assert result["ingest_stats"]["dead_letters"] == 0
    assert min(result["mqtt_raw"] + result["influx_raw"] + result["ingest"]) > 0
    assert result["ratio"] > 0


def test_gateway_bench_prints_a_ratio_per_size(capsys: pytest.CaptureFixture[str]) -> None:
    gateway.main(["--meters", "2", "--seconds", "0.5"])
    out = capsys.readouterr().out.splitlines()
    assert out[1].split()[-1] == "ratio"
    row = out[2].split()
    assert row[0] == "2" and float(row[-1]) > 0 and int(row[-2]) > 0  # published and acknowledged


def test_flags_bench_reports_false_alarms_and_a_delay(capsys: pytest.CaptureFixture[str]) -> None:
    from bench import flags

    assert flags.main(["--seeds", "1", "--end", "2025-05-01", "--faults", "reset"]) == 0
    out = capsys.readouterr().out
    assert "per meter-quarter (meets the goal < 1)" in out
    row = next(line for line in out.splitlines() if "counter reset" in line)
    assert "1 of 1" in row
