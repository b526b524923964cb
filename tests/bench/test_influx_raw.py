from __future__ import annotations

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
    finally:
        store.close()


def test_main_prints_the_ratio(capsys) -> None:
    main(["--points", "20000", "--fields", "4"])
    out = capsys.readouterr().out
    assert "raw line protocol" in out and "ratio store / raw" in out
