"""bench.store still runs and counts what it says (two days; no timing asserted)."""

from __future__ import annotations

import json

import pytest

from bench import store

pytestmark = pytest.mark.integration


def test_store_bench_writes_every_value_and_reads_every_bucket(
    capsys: pytest.CaptureFixture[str],
) -> None:
    store.main(["--days", "2", "--rounds", "1", "--no-progress", "--json", "--migration"])
    report = json.loads(capsys.readouterr().out)
    sqlite, influx = report["results"]
    expected = {
        "raw, one quantity": [2 * 1440, 1],
        "hourly, one quantity": [48, 6],
        "daily, one quantity": [2, 6],
        "raw, all quantities": [2 * 1440, 28],
        "hourly, all quantities": [48, 28 * 6],
        "daily, all quantities": [2, 28 * 6],
        "latest, all quantities": [28, 5],
    }
    for result in (sqlite, influx):
        assert result["values"] == 2 * 1440 * 28
        assert result["shape"] == expected
        assert 0 < result["bytes_per_value"] and all(s > 0 for s in result["seconds"].values())
    assert sqlite["bytes_per_value"] < 16
    assert 0 < influx["bytes_tsm"] <= influx["bytes"]
    assert set(sqlite["ms_per_write"]) == {"FULL", "NORMAL"}
    migration = report["migration"]
    assert migration["values"] == 2 * 1440 * 28 and migration["v2_bytes"] < migration["v1_bytes"]
    assert (
        migration["v2_bytes_per_value"]
        < migration["integer_rows_bytes_per_value"]
        < migration["v1_bytes_per_value"]
    )
