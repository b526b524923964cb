from __future__ import annotations

import pandas as pd

from bench.influx_raw import main, raw_write_rate, store_write_rate
from ingest.stores import open_store
from tests.influx_server import InfluxServer


def test_raw_and_store_rates_write_what_they_count(influxd: InfluxServer) -> None:
    assert raw_write_rate(influxd.url, 10_000, fields_per_line=5) > 0
    assert store_write_rate(influxd.url, 10_000, fields_per_line=5) > 0
    store = open_store(influxd.url)
    try:
        frame = store.read("bench", "m3")
        assert frame.shape == (200, 5)  # 2,000 readings over 10 meters, 5 quantities each
        assert store_write_rate(influxd.url, 10_000, fields_per_line=5, rows=True) > 0
        pd.testing.assert_frame_equal(store.read("bench", "m3"), frame)  # the same values as rows
    finally:
        store.close()


def test_main_prints_the_ratio(capsys) -> None:
    main(["--points", "20000", "--fields", "4", "--rounds", "1"])
    out = capsys.readouterr().out
    assert "raw line protocol" in out
    assert "InfluxStore.write_rows / raw" in out and "InfluxStore.write_points / raw" in out
