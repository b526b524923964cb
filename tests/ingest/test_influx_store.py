"""InfluxStore against a real influxd (Debian's InfluxDB 1.6), plus its pure parts.

The v2 write path (``/api/v2/write`` through influxdb-client) cannot run here: no InfluxDB
1.8+/2.x server is packaged. Its URL handling, API choice and line protocol are tested as
pure functions below; the v1 path, reads and errors run against the real server.
"""

from __future__ import annotations

import pandas as pd
import pytest

from ingest.stores import open_store
from ingest.stores.influx import InfluxStore
from ingest.stores.influx_config import InfluxConfig, choose_api, parse_influx_url, parse_version
from ingest.stores.influx_http import raise_for_status
from ingest.stores.influx_lines import (
    dead_letter_lines,
    flag_lines,
    iter_row_lines,
    quote_ident,
    quote_string,
    reading_lines,
)
from plantmeter.errors import ConfigError, StoreError, StoreUnavailable
from plantmeter.store import DeadLetter, Flag, SeriesPoint, SeriesRow, SeriesStore
from tests.influx_server import InfluxServer
from tests.ingest import store_contract
from tests.ingest.store_contract import T0
from tests.servers import free_port


@pytest.fixture
def store(influxd: InfluxServer):
    s = open_store(influxd.url)
    yield s
    s.close()


@pytest.mark.parametrize("check", store_contract.ALL_CHECKS, ids=lambda c: c.__name__)
def test_influx_store_contract(store: InfluxStore, check) -> None:
    check(store)


def test_version_detection_picks_v1_on_16(store: InfluxStore) -> None:
    assert store.server_version.startswith("1.6")
    assert store.api == "v1"


def test_outage_raises_unavailable_then_recovers_without_loss(influxd: InfluxServer) -> None:
    store = open_store(influxd.url)
    try:
        store.write_points(store_contract.points(n=5))  # confirmed before the outage
        influxd.stop()
        late = [SeriesPoint("dairy", "main-elec", "power_total", T0 + 99_000, 1.0)]
        with pytest.raises(StoreUnavailable, match=rf"127\.0\.0\.1:{influxd.port}.*retried"):
            store.write_points(late)
        with pytest.raises(StoreUnavailable):
            store.read("dairy", "main-elec")
        influxd.start()
        store.write_points(late)  # the caller's retry succeeds on the same store object
        frame = store.read("dairy", "main-elec")
        assert len(frame) == 6
        assert frame["energy_import_total"].dropna().tolist() == [100.0, 101.0, 102.0, 103.0, 104.0]
    finally:
        store.close()


def test_opened_while_down_connects_and_creates_on_first_use(tmp_path) -> None:
    server = InfluxServer(tmp_path / "late")
    store = open_store(server.url)  # nothing listens yet: no exception at open
    try:
        with pytest.raises(StoreUnavailable, match="will be retried"):
            store.write_points(store_contract.points(n=1))
        with server:
            assert store.write_points(store_contract.points(n=3)) == 6
            assert len(store.read("dairy", "main-elec")) == 3
    finally:
        store.close()


def test_large_read_round_trips(store: InfluxStore) -> None:
    n = 25_000  # 25k timestamps x 4 quantities = 100k values; spans several query chunks
    quantities = ["energy_import_total", "power_total", "voltage_l1", "current_l1"]
    pts = [
        SeriesPoint("dairy", "main-elec", q, T0 + i * 1_000, float(i * 10 + k))
        for i in range(n)
        for k, q in enumerate(quantities)
    ]
    assert store.write_points(pts) == 100_000
    frame = store.read("dairy", "main-elec")
    assert frame.shape == (n, 4)
    assert list(frame.columns) == sorted(quantities)
    assert frame.index.is_monotonic_increasing and frame.index.is_unique
    assert frame["power_total"].iloc[-1] == float((n - 1) * 10 + 1)
    assert frame.dtypes.eq("float64").all()
    part = store.read(
        "dairy", "main-elec", ["voltage_l1"], start=pd.Timestamp(T0 + 1_000 * 20_000, unit="ms")
    )
    assert len(part) == 5_000 and part["voltage_l1"].iloc[0] == 200_002.0


def test_odd_meter_ids_are_stored_and_quoted_safely(store: InfluxStore) -> None:
    odd = ["o'brien line 2", 'pump "B", bay=3', "x' OR '1'='1"]
    for i, meter in enumerate(odd):
        store.write_points([SeriesPoint("dairy", meter, "flow rate", T0, float(i))])
    store.write_points([SeriesPoint("dairy", "plain", "flow rate", T0, 99.0)])
    for i, meter in enumerate(odd):
        assert store.read("dairy", meter)["flow rate"].tolist() == [float(i)]
    assert store.read("dairy", "x' OR site='dairy").empty
    assert ("dairy", "o'brien line 2") in store.meters("dairy")
    with pytest.raises(StoreError, match="backslash"):
        store.write_points([SeriesPoint("dairy", "a\\b", "p", T0, 1.0)])
    with pytest.raises(StoreError, match="not a finite number"):
        store.write_points([SeriesPoint("dairy", "plain", "p", T0, float("nan"))])


def test_partial_write_is_an_error_not_swallowed(store: InfluxStore) -> None:
    store._http.write_v1([f"readings,meter=m,site=dairy p=1i {T0}".encode()], "ms")  # int field
    with pytest.raises(StoreError, match="partial write|conflict") as info:
        store.write_points([SeriesPoint("dairy", "m", "p", T0 + 1, 2.5)])
    assert not isinstance(info.value, StoreUnavailable)


def test_missing_database_without_create_names_the_fix(influxd: InfluxServer) -> None:
    store = open_store(influxd.url + "?create=false")
    try:
        with pytest.raises(StoreError, match="create") as info:
            store.write_points(store_contract.points(n=1))
        assert not isinstance(info.value, StoreUnavailable)
    finally:
        store.close()


def test_dead_letters_in_the_same_millisecond_are_all_kept(store: InfluxStore) -> None:
    letters = [DeadLetter(T0, "t", "bad_json", "x", bytes([i])) for i in range(5)]
    letters.append(DeadLetter(T0 + 1, "t", "", "no reason", b""))
    store.write_dead_letters(letters)
    store.write_dead_letters(letters)  # redelivered: still one copy each
    kept = store.read_dead_letters()
    assert len(kept) == 6 and sorted(d.payload for d in kept[:5]) == [bytes([i]) for i in range(5)]
    assert kept[-1] == letters[-1]
    assert store.read_dead_letters(limit=2)[-1] == letters[-1]


def test_flags_overlap_filter(store: InfluxStore) -> None:
    a = Flag("dairy", "m", "gap", T0, T0 + 1_000, "info", "gap", "", "gaps")
    b = Flag("dairy", "m", "stuck", T0 + 5_000, T0 + 9_000, "critical", "stuck", "power_total", "s")
    store.write_flags([a, b])
    assert store.read_flags(start=pd.Timestamp(T0 + 2_000, unit="ms")) == [b]
    assert store.read_flags(end=pd.Timestamp(T0 + 5_000, unit="ms")) == [a]
    assert store.read_flags(site="dairy", meter="m") == [a, b]


# -- pure: URLs, secrets, API choice, line protocol (the v2 path) -----------------------------


def test_parse_v1_url_with_options_and_redaction() -> None:
    cfg = parse_influx_url(
        "influxdb://ops:s3cr%40t@db.local:8087/plant?rp=raw&create=false", env={}
    )
    assert (cfg.host, cfg.port, cfg.database, cfg.rp, cfg.username) == (
        "db.local",
        8087,
        "plant",
        "raw",
        "ops",
    )
    assert cfg.password == "s3cr@t" and cfg.create is False and cfg.api == "auto"
    assert "s3cr" not in repr(cfg) and "s3cr" not in cfg.redacted()
    assert cfg.redacted() == "influxdb://ops:***@db.local:8087/plant"
    assert cfg.client_bucket() == "plant/raw" and cfg.client_org() == "-"
    assert cfg.client_token() == "ops:s3cr@t"
    assert cfg.auth_header()["Authorization"].startswith("Basic ")


def test_secrets_from_environment() -> None:
    cfg = parse_influx_url("influxdb://ops@h/db", env={"PLANTMETER_INFLUX_PASSWORD": "pw"})
    assert cfg.password == "pw" and cfg.port == 8086
    with pytest.raises(ConfigError, match="names no user"):
        parse_influx_url("influxdb://h/db", env={"PLANTMETER_INFLUX_PASSWORD": "pw"})
    v2 = parse_influx_url(
        "influxdb2://h:9999/acme/meters", env={"PLANTMETER_INFLUX_TOKEN": "tok=="}
    )
    assert (v2.org, v2.database, v2.token) == ("acme", "meters", "tok==")
    assert v2.auth_header() == {"Authorization": "Token tok=="}
    assert v2.client_bucket() == "meters" and v2.client_org() == "acme"
    assert v2.redacted() == "influxdb2://***@h:9999/acme/meters" and "tok" not in repr(v2)
    url_wins = parse_influx_url(
        "influxdb2://abc@h/acme/meters", env={"PLANTMETER_INFLUX_TOKEN": "x"}
    )
    assert url_wins.token == "abc"


@pytest.mark.parametrize(
    ("url", "match"),
    [
        ("influxdb2://h/acme/meters", "no token"),
        ("influxdb2://t@h/acme", "org and bucket"),
        ("influxdb://h/", "one database"),
        ("influxdb://h/db?api=v3", "api="),
        ("influxdb://h/db?retention=x", "unknown parameter"),
        ("influxdb://h/db?create=maybe", "boolean"),
        ("influxdb2://t@h/o/b?rp=x", "rp="),
        ("influxdb://u:hunter2@:8086/db", "no host"),
    ],
)
def test_bad_urls_are_config_errors_without_secrets(url: str, match: str) -> None:
    with pytest.raises(ConfigError, match=match) as info:
        parse_influx_url(url, env={})
    assert "hunter2" not in str(info.value)


def test_unreachable_store_messages_hold_no_password() -> None:
    port = free_port()
    store = InfluxStore.from_url(f"influxdb://ops:hunter2@127.0.0.1:{port}/db", env={})
    try:
        assert "hunter2" not in repr(store)
        with pytest.raises(StoreUnavailable) as info:
            store.write_points(store_contract.points(n=1))
        assert "hunter2" not in str(info.value) and f"127.0.0.1:{port}" in str(info.value)
    finally:
        store.close()


def test_version_and_api_choice() -> None:
    assert parse_version("1.6.7~rc0") == (1, 6) and parse_version("v2.7.4") == (2, 7)
    assert parse_version("") is None and parse_version("OSS") is None
    v1 = InfluxConfig("influxdb", "h", 8086, "db")
    assert choose_api(v1, (1, 6)) == "v1" and choose_api(v1, None) == "v1"
    assert choose_api(v1, (1, 8)) == "v2" and choose_api(v1, (3, 0)) == "v2"
    assert choose_api(InfluxConfig("influxdb", "h", 8086, "db", api="v1"), (2, 7)) == "v1"
    v2 = InfluxConfig("influxdb2", "h", 8086, "b", org="o", token="t")
    assert choose_api(v2, (2, 7)) == "v2" and choose_api(v2, None) == "v2"
    with pytest.raises(ConfigError, match="no /api/v2/write"):
        choose_api(v2, (1, 6))


def test_line_protocol() -> None:
    pts = [
        SeriesPoint("dairy", "main elec", "power_total", T0, 5000.0),
        SeriesPoint("dairy", "main elec", "energy_import_total", T0, 100.25),
        SeriesPoint("dairy", "main elec", "power_total", T0, 5001.0),  # later value wins
    ]
    assert reading_lines(pts) == [
        f"readings,meter=main\\ elec,site=dairy power_total=5001.0,energy_import_total=100.25 {T0}"
    ]
    flag = Flag("dairy", "m", "leak", T0, T0 + 10, "warning", 'flow "high"', "", "leak")
    assert flag_lines([flag]) == [
        f'flags,kind=leak,meter=m,site=dairy detector="leak",end_ms={T0 + 10}i,'
        f'reason="flow \\"high\\"",severity="warning" {T0}'
    ]
    (line,) = dead_letter_lines([DeadLetter(T0, "t", "bad", "d", b"\xff")])
    assert line.startswith('dead_letters,reason=bad detail="d",payload="/w==",topic="t" ')
    assert int(line.rsplit(" ", 1)[1]) // 1_000_000 == T0


def test_influxql_quoting() -> None:
    assert quote_string("o'brien\\") == "'o\\'brien\\\\'"
    assert quote_ident('a"b') == '"a\\"b"'


def test_status_mapping() -> None:
    cfg = InfluxConfig("influxdb", "h", 8086, "db", username="u", password="pw")
    raise_for_status(204, b"", cfg, "write")
    with pytest.raises(StoreUnavailable, match="h:8086.*retried"):
        raise_for_status(503, b"{}", cfg, "write")
    with pytest.raises(StoreError, match="PLANTMETER_INFLUX_PASSWORD") as info:
        raise_for_status(401, b'{"error":"authorization failed"}', cfg, "write")
    assert not isinstance(info.value, StoreUnavailable)


def _parse_line(line: str) -> tuple[str, dict[str, float], str]:
    import re

    prefix, fields, ts = re.split(r"(?<!\\) ", line)
    pairs = (re.split(r"(?<!\\)=", kv) for kv in re.split(r"(?<!\\),", fields))
    return prefix, {k: float(v) for k, v in pairs}, ts


def test_fast_reading_lines_match_influxdb_client_point() -> None:
    from influxdb_client.client.write.point import Point
    from influxdb_client.domain.write_precision import WritePrecision

    values = [0.0, -0.0, 1.0, 5, 1e20, 1.5e-7, -123456789.125, 0.1 + 0.2, 2.0**60]
    names = ["power_total", "flow rate", "a,b=c", 'q"x']
    for meter in ["main-elec", "o'brien line 2", "bay=3, pump"]:
        pts = [SeriesPoint("dairy", meter, q, T0, float(v)) for q in names for v in values]
        (fast,) = reading_lines(pts)
        point = (
            Point("readings").tag("site", "dairy").tag("meter", meter).time(T0, WritePrecision.MS)
        )
        for q in names:
            point.field(q, float(values[-1]))
        assert _parse_line(fast) == _parse_line(point.to_line_protocol())


def test_row_lines_are_the_point_lines() -> None:
    values = {"power_total": 5000.0, "energy_import_total": 100.25, "a,b=c": -0.0}
    rows = [SeriesRow("dairy", "main elec", T0 + i, values) for i in range(3)]
    rows.append(SeriesRow("dairy", "no values", T0, {}))  # nothing to write: no line
    pts = [SeriesPoint(r.site, r.meter, q, r.ts_ms, v) for r in rows for q, v in r.values.items()]
    assert list(iter_row_lines(rows)) == reading_lines(pts)
    with pytest.raises(StoreError, match="power_total at .* nan is not a finite number"):
        list(iter_row_lines([SeriesRow("dairy", "m", T0, {"p": 1.0, "power_total": float("nan")})]))


def test_error_in_a_later_request_raises_and_the_store_stays_usable(store: InfluxStore) -> None:
    store.batch_lines = 2  # several pipelined requests per call
    store._http.write_v1([f"readings,meter=m,site=dairy p=1i {T0}".encode()], "ms")
    ok = [SeriesPoint("dairy", "m", "q", T0 + i, float(i)) for i in range(1, 3)]
    with pytest.raises(StoreError, match="partial write|conflict"):
        store.write_points([*ok, SeriesPoint("dairy", "m", "p", T0 + 3, 2.5)])
    nan = SeriesPoint("dairy", "m", "q", T0 + 9, float("inf"))
    with pytest.raises(StoreError, match="finite"):  # raised while request 1 is in flight
        store.write_points([*ok, SeriesPoint("dairy", "m", "q", T0 + 5, 5.0), nan])
    # the request in flight was stored, the one being formatted was never sent
    assert store.read("dairy", "m", ["q"])["q"].tolist() == [1.0, 2.0]
    assert store.write_points(ok) == 2


def test_forcing_v2_on_influxdb_16_is_a_config_error(influxd: InfluxServer) -> None:
    with pytest.raises(ConfigError, match="no /api/v2/write"):
        open_store(influxd.url + "?api=v2")


def test_v2_writer_maps_errors_of_a_real_server(influxd: InfluxServer) -> None:
    from ingest.stores.influx_http import V2Writer

    # 1.6 has no /api/v2/write: influxdb-client's 404 becomes a StoreError, not a retry
    cfg = parse_influx_url(f"influxdb2://tok@127.0.0.1:{influxd.port}/acme/meters", env={})
    writer = V2Writer(cfg)
    try:
        with pytest.raises(StoreError, match="no /api/v2/write") as info:
            writer.write([f"readings,meter=m,site=s p=1 {T0}"], "ms")
        assert not isinstance(info.value, StoreUnavailable) and "tok" not in str(info.value)
    finally:
        writer.close()
    down = V2Writer(parse_influx_url(f"influxdb2://tok@127.0.0.1:{free_port()}/a/b", env={}))
    try:
        with pytest.raises(StoreUnavailable, match="will be retried"):
            down.write([f"readings,meter=m,site=s p=1 {T0}"], "ms")
    finally:
        down.close()


def test_a_server_that_never_answers_times_out_as_unavailable() -> None:
    import socket

    with socket.socket() as silent:  # accepts connections (backlog) but never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        store = InfluxStore.from_url(f"influxdb://127.0.0.1:{port}/db?timeout=0.3", env={})
        try:
            with pytest.raises(StoreUnavailable, match="timed out"):
                store.write_points(store_contract.points(n=1))
        finally:
            store.close()


def test_authentication_password_from_environment(tmp_path) -> None:
    import urllib.parse
    import urllib.request

    with InfluxServer(tmp_path / "auth", auth=True) as server:
        q = urllib.parse.urlencode(
            {"q": "CREATE USER ops WITH PASSWORD 'hunter2' WITH ALL PRIVILEGES"}
        )
        urllib.request.urlopen(f"http://127.0.0.1:{server.port}/query?{q}", data=b"").close()
        url = f"influxdb://ops@127.0.0.1:{server.port}/plantmeter"
        good = InfluxStore.from_url(url, env={"PLANTMETER_INFLUX_PASSWORD": "hunter2"})
        try:
            assert good.write_points(store_contract.points(n=2)) == 4
            assert len(good.read("dairy", "main-elec")) == 2
        finally:
            good.close()
        with pytest.raises(StoreError, match="PLANTMETER_INFLUX_PASSWORD") as info:
            InfluxStore.from_url(url, env={"PLANTMETER_INFLUX_PASSWORD": "wrong-pw"})
        assert not isinstance(info.value, StoreUnavailable) and "wrong-pw" not in str(info.value)


def test_retention_policy_in_url(influxd: InfluxServer) -> None:
    admin = open_store(influxd.url)
    admin._http.query(
        'CREATE RETENTION POLICY "raw" ON "plantmeter" DURATION INF REPLICATION 1', write=True
    )
    admin.close()
    store = open_store(influxd.url + "?rp=raw")
    try:
        store_contract.check_round_trip(store)
        store.write_flags([Flag("dairy", "m", "gap", T0, T0 + 1, "info", "r")])
        assert len(store.read_flags()) == 1 and store.meters() == [("dairy", "main-elec")]
    finally:
        store.close()
    default_rp = open_store(influxd.url)
    try:
        assert default_rp.read("dairy", "main-elec").empty  # the points live in "raw" only
    finally:
        default_rp.close()


def test_public_names() -> None:
    import importlib

    for name in ("influx", "influx_config", "influx_http", "influx_lines"):
        module = importlib.import_module(f"ingest.stores.{name}")
        assert module.__all__ and all(hasattr(module, n) for n in module.__all__)
    store = InfluxStore.from_url(f"influxdb://127.0.0.1:{free_port()}/db", env={})
    assert isinstance(store, SeriesStore)
    store.close()


def test_read_only_store_reads_refuses_writes_and_creates_no_database(
    influxd: InfluxServer,
) -> None:
    reader = open_store(influxd.url, read_only=True)
    try:
        with pytest.raises(StoreError, match="create") as info:  # nothing created: no database yet
            reader.read("dairy", "main-elec")
        assert not isinstance(info.value, StoreUnavailable)
        writer = open_store(influxd.url)
        writer.write_points(store_contract.points(n=3))
        writer.close()
        assert len(reader.read("dairy", "main-elec")) == 3
        assert [v.quantity for v in reader.latest("dairy")] == [
            "energy_import_total",
            "power_total",
        ]
        with pytest.raises(StoreError, match="open read-only; open it without read_only to write"):
            reader.write_points(store_contract.points(n=1))
        with pytest.raises(StoreError, match="open read-only"):
            reader.write_flags([Flag("dairy", "m", "gap", T0, T0 + 1, "info", "r")])
    finally:
        reader.close()
