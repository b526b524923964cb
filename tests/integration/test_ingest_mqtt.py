"""Ingest against a real Mosquitto into SQLite: valid readings stored once, bad ones dead-lettered."""

from __future__ import annotations

import json
import time
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from ingest.service import IngestService
from ingest.stores import SqliteStore
from plantmeter.config import load_site
from plantmeter.message import Reading, encode_reading, reading_topic
from tests.integration.helpers import publish_all, wait_until, write_site
from tests.servers import MosquittoServer

pytestmark = pytest.mark.integration

BUSES = "  - {id: b, transport: tcp, host: 127.0.0.1, port: 5020}\n"
METERS = "  - {id: main-elec, bus: b, unit_id: 1, profile: eastron-sdm630, kind: electricity}\n"


def reading(seq: int, meter: str = "main-elec", ts: int | None = None) -> tuple[str, bytes]:
    ts = ts if ts is not None else int(time.time() * 1000) - 100_000 + seq * 10
    r = Reading(
        "dairy", meter, "gw", seq, ts, {"energy_import_total": 100.0 + seq, "power_total": 5000.0}
    )
    return reading_topic("dairy", meter), encode_reading(r)


def make_service(
    tmp_path: Path, mosquitto: MosquittoServer, **ingest: object
) -> tuple[IngestService, SqliteStore]:
    extra = "ingest: " + json.dumps({"batch_interval": "100ms", **ingest}) + "\n"
    site = write_site(
        tmp_path / "site.yaml", mosquitto.url, f"sqlite:///{tmp_path}/s.db", BUSES, METERS, extra
    )
    config = load_site(site, environ={})
    store = SqliteStore(tmp_path / "s.db")
    return IngestService(config, store), store


def test_valid_stored_invalid_dead_lettered_and_service_keeps_running(
    tmp_path: Path, mosquitto: MosquittoServer
) -> None:
    service, store = make_service(tmp_path, mosquitto)
    service.start()
    try:
        assert service.connected.wait(10)
        now = int(time.time() * 1000)
        good = [reading(i) for i in range(1, 51)]
        bad = [
            (reading_topic("dairy", "main-elec"), b"garbage"),
            (reading_topic("dairy", "main-elec"), b'{"schema": 1}'),
            reading(99, ts=now + 10 * 86_400_000),  # far future
            reading(98, ts=946_000_000_000),  # before 2000
        ]
        duplicates = good[:10]
        out_of_order = [reading(200, ts=now - 500_000)]
        publish_all(
            mosquitto.port, bad[:2] + good[:25] + bad[2:] + good[25:] + duplicates + out_of_order
        )
        wait_until(lambda: service.stats.received >= 65, what="all messages received")
        wait_until(
            lambda: service.stats.batches > 0 and service.backlog == 0, what="batches written"
        )
        time.sleep(0.3)
    finally:
        service.stop()
    frame = store.read("dairy", "main-elec")
    assert len(frame) == 51  # 50 good + 1 out-of-order; duplicates kept once
    assert sorted(frame["energy_import_total"]) == [100.0 + i for i in range(1, 51)] + [300.0]
    assert frame.index.is_monotonic_increasing  # the out-of-order reading sits in its place
    reasons = sorted(d.reason for d in store.read_dead_letters())
    assert reasons == ["bad_timestamp", "bad_timestamp", "missing_field", "not_json"]
    assert service.stats.dead_letters == 4
    store.close()


def test_wrong_types_nan_and_oversized_payloads_are_dead_lettered_with_their_reason(
    tmp_path: Path, mosquitto: MosquittoServer
) -> None:
    """Each bad message is rejected alone, with a reason and a detail naming the fix; its
    neighbours in the same batch are stored."""
    service, store = make_service(tmp_path, mosquitto)
    topic = reading_topic("dairy", "main-elec")
    good = reading(1)[1]
    body = json.loads(good)
    cases = {
        "value is a string": (
            json.dumps(body | {"values": {"power_total": "5000"}}).encode(),
            "wrong_type",
            "value of 'power_total' must be a number, got str",
        ),
        "seq is a string": (
            json.dumps(body | {"seq": "7"}).encode(),
            "wrong_type",
            "field 'seq' must be an integer",
        ),
        "ts is a float": (
            json.dumps(body | {"ts": body["ts"] + 0.5}).encode(),
            "wrong_type",
            "field 'ts' must be integer milliseconds",
        ),
        "value is a bool": (
            json.dumps(body | {"values": {"power_total": True}}).encode(),
            "wrong_type",
            "must be a number, got bool",
        ),
        "NaN": (
            good.replace(b'"power_total":5000.0', b'"power_total":NaN'),
            "not_finite",
            "NaN is not a number",
        ),
        "Infinity": (
            good.replace(b'"power_total":5000.0', b'"power_total":-Infinity'),
            "not_finite",
            "-Infinity",
        ),
        "oversized": (
            good[:-1] + b',"pad":"' + b"x" * 70_000 + b'"}',
            "too_large",
            "above the 65536-byte limit",
        ),
        "array": (b"[1, 2]", "wrong_type", "payload must be a JSON object"),
        "other site in topic": (
            reading(2, meter="compressor")[1],
            "topic_mismatch",
            "does not match",
        ),
    }
    service.start()
    try:
        assert service.connected.wait(10)
        messages = (
            [reading(10)] + [(topic, payload) for payload, _, _ in cases.values()] + [reading(11)]
        )
        publish_all(mosquitto.port, messages)
        wait_until(
            lambda: service.stats.received >= len(messages) and service.backlog == 0,
            what="all handled",
        )
        wait_until(lambda: service.stats.dead_letters == len(cases), what="dead letters counted")
    finally:
        service.stop()
    try:
        frame = store.read("dairy", "main-elec")
        assert list(frame["energy_import_total"]) == [110.0, 111.0]  # only the two good readings
        letters = {d.payload: d for d in store.read_dead_letters()}
        assert len(letters) == len(cases)
        for name, (payload, reason, detail) in cases.items():
            # the payload is kept for inspection (its first 16 KiB)
            letter = letters[payload[: 16 * 1024]]
            assert (letter.reason, letter.topic) == (reason, topic), name
            assert detail in letter.detail, f"{name}: {letter.detail}"
        assert service.stats.dead_by_reason == {
            "wrong_type": 5,
            "not_finite": 2,
            "too_large": 1,
            "topic_mismatch": 1,
        }
    finally:
        store.close()


def test_unknown_meter_policy(tmp_path: Path, mosquitto: MosquittoServer) -> None:
    service, store = make_service(tmp_path, mosquitto, unknown_meters="reject")
    service.start()
    try:
        assert service.connected.wait(10)
        publish_all(mosquitto.port, [reading(1, meter="mystery"), reading(1)])
        wait_until(
            lambda: service.stats.received >= 2 and service.backlog == 0, what="messages handled"
        )
        time.sleep(0.3)
    finally:
        service.stop()
    assert store.read("dairy", "mystery").empty
    assert [d.reason for d in store.read_dead_letters()] == ["unknown_meter"]
    assert len(store.read("dairy", "main-elec")) == 1
    store.close()


def test_unacknowledged_messages_are_redelivered_after_restart(
    tmp_path: Path, mosquitto: MosquittoServer
) -> None:
    """Messages published while ingest is down wait in its persistent session."""
    service, store = make_service(tmp_path, mosquitto)
    service.start()
    assert service.connected.wait(10)
    service.stop()
    publish_all(mosquitto.port, [reading(i) for i in range(1, 101)])
    service2, _ = make_service(tmp_path, mosquitto)
    service2.start()
    try:
        wait_until(lambda: service2.stats.stored_messages >= 100, what="backlog stored")
    finally:
        service2.stop()
    assert len(store.read("dairy", "main-elec")) == 100
    store.close()


def test_a_store_that_refuses_dead_letters_does_not_block_the_stream(
    tmp_path: Path, mosquitto: MosquittoServer, caplog: pytest.LogCaptureFixture
) -> None:
    """If even the dead-letter write is refused for good, each letter is logged in full and the
    stream goes on (an outage would be retried instead)."""
    service, store = make_service(tmp_path, mosquitto)
    store._db.execute(  # a real SQLite refusal: the table rejects every insert
        "CREATE TRIGGER no_letters BEFORE INSERT ON dead_letters BEGIN SELECT RAISE(ABORT, 'read-only archive'); END"
    )
    service.start()
    try:
        assert service.connected.wait(10)
        publish_all(
            mosquitto.port,
            [(reading_topic("dairy", "main-elec"), b"garbage"), reading(1), reading(2)],
        )
        wait_until(lambda: service.stats.received >= 3 and service.backlog == 0, what="all handled")
        wait_until(
            lambda: len(store.read("dairy", "main-elec")) == 2, what="the good readings stored"
        )
    finally:
        service.stop()
    assert "store refused dead letter" in caplog.text and "b'garbage'" in caplog.text
    store.close()


class _BrokenOnFirstWrite(SqliteStore):
    """The real store, with one unforeseen error (not a StoreError) on the first write."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.broken = True

    def write_rows(self, rows):  # type: ignore[no-untyped-def]
        if self.broken:
            self.broken = False
            raise RuntimeError("an error no store maps")
        return super().write_rows(rows)


def test_an_unexpected_error_stops_ingest_loudly_and_the_restart_stores_everything(
    tmp_path: Path, mosquitto: MosquittoServer, caplog: pytest.LogCaptureFixture
) -> None:
    import threading

    from plantmeter.errors import IngestError

    service, store = make_service(tmp_path, mosquitto, client_id="fragile")
    store.close()
    states: list[str] = []
    watcher = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="status-watcher")
    watcher.on_message = lambda c, u, m: states.append(json.loads(m.payload)["state"])
    watcher.on_connect = lambda c, u, f, r, p: c.subscribe(
        "plantmeter/_ingest/fragile/status", qos=1
    )
    watcher.connect("127.0.0.1", mosquitto.port)
    watcher.loop_start()
    broken = _BrokenOnFirstWrite(tmp_path / "s.db")
    service.store = broken
    stop = threading.Event()
    failed: list[BaseException] = []

    def run() -> None:
        try:
            service.run_forever(stop)
        except IngestError as exc:
            failed.append(exc)

    runner = threading.Thread(target=run)
    runner.start()
    assert service.connected.wait(10)
    publish_all(mosquitto.port, [reading(i) for i in range(21, 41)])
    runner.join(20)
    assert not runner.is_alive(), "ingest kept running after its batch thread failed"
    assert failed and "RuntimeError: an error no store maps" in str(failed[0])
    assert "Nothing was lost" in str(failed[0])
    assert any(
        r.levelname == "CRITICAL" and "ingest cannot go on" in r.getMessage()
        for r in caplog.records
    )
    assert broken.read("dairy", "main-elec").empty
    wait_until(lambda: states[-1:] == ["offline"], what="the offline status")
    watcher.disconnect()
    watcher.loop_stop()
    assert "failed" in states  # subscribers are told before it goes
    # The restart (same client id, persistent session) gets the unacknowledged messages back.
    again, unused = make_service(tmp_path, mosquitto, client_id="fragile")
    unused.close()
    again.store = broken
    again.start()
    try:
        wait_until(
            lambda: len(broken.read("dairy", "main-elec")) == 20, what="redelivered readings stored"
        )
    finally:
        again.stop()
        broken.close()
