"""Ingest into a real influxd through a real Mosquitto: at least once, stored once.

The chain from the simulator; a 30-s InfluxDB outage; ``plantmeter ingest`` SIGKILLed
mid-stream and restarted; two ingest services sharing one subscription; the status topic;
bad input into InfluxDB.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import firmware_sim
import numpy as np
import paho.mqtt.client as mqtt
import pandas as pd
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from ingest.service import IngestService
from ingest.stores import open_store
from plantmeter.config import StoreConfig, load_site
from plantmeter.message import Reading, encode_reading, reading_topic
from plantmeter.store import SeriesStore
from tests.influx_server import InfluxServer
from tests.integration.helpers import (
    contiguous_seqs,
    publish_all,
    run_chain,
    wait_until,
    write_site,
)
from tests.integration.test_chain import EXAMPLE, _bus_ids, chain_config
from tests.servers import MosquittoServer

pytestmark = pytest.mark.integration

BUSES = "  - {id: b, transport: tcp, host: 127.0.0.1, port: 5020}\n"
METER_IDS = ["m1", "m2", "m3"]
METERS = "".join(
    f"  - {{id: {m}, bus: b, unit_id: {i + 1}, profile: eastron-sdm630, kind: electricity}}\n"
    for i, m in enumerate(METER_IDS)
)
T0 = int(time.time() * 1000) - 3_600_000  # an hour ago: inside the accepted window


def reading(seq: int, meter: str = "m1") -> tuple[str, bytes]:
    """Reading ``seq`` of ``meter``: ts = T0 + 100 ms * seq, and its seq in a value to check."""
    values = {
        "energy_import_total": 1000.0 + seq / 10,
        "power_total": 5000.0 + seq,
        "frequency": 50.0,
    }
    return reading_topic("dairy", meter), encode_reading(
        Reading("dairy", meter, "gw", seq, T0 + seq * 100, values)
    )


def site_file(
    tmp_path: Path, mosquitto: MosquittoServer, influxd: InfluxServer, **ingest: object
) -> Path:
    settings = {"batch_interval": "100ms", **ingest}
    return write_site(
        tmp_path / "site.yaml",
        mosquitto.url,
        influxd.url,
        BUSES,
        METERS,
        f"ingest: {json.dumps(settings)}\n",
    )


def stored_seqs(store: SeriesStore, meter: str) -> list[int]:
    """Seqs of the stored readings of ``meter`` (one per stored row, duplicates would repeat)."""
    frame = store.read("dairy", meter, ["power_total"])
    return sorted(int(v) - 5000 for v in frame["power_total"])


class Ticker:
    """Publishes readings of ``meters`` round-robin at ``rate`` messages/s from a thread (QoS 1)."""

    def __init__(self, port: int, rate: float, meters: list[str] = METER_IDS) -> None:
        self.meters, self.interval = meters, 1.0 / rate
        self.sent: dict[str, list[int]] = {m: [] for m in meters}
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=f"ticker-{time.monotonic_ns()}"
        )
        self.client.max_inflight_messages_set(0)
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        self._infos: list[mqtt.MQTTMessageInfo] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="test-ticker")

    def _run(self) -> None:
        seq, next_at = 0, time.monotonic()
        while not self._stop.is_set():
            seq += 1
            for meter in self.meters:
                self._infos.append(self.client.publish(*reading(seq, meter), qos=1))
                self.sent[meter].append(seq)
            next_at += self.interval * len(self.meters)
            self._stop.wait(max(0.0, next_at - time.monotonic()))

    def start(self) -> Ticker:
        self._thread.start()
        return self

    @property
    def count(self) -> int:
        return sum(len(v) for v in self.sent.values())

    def stop(self) -> None:
        """Stop publishing and wait until the broker has every message (PUBACK)."""
        self._stop.set()
        self._thread.join()
        for info in self._infos:
            info.wait_for_publish(timeout=30)
        self.client.disconnect()
        self.client.loop_stop()


class StatusWatcher:
    """Keeps every JSON message on the ingest status topics."""

    def __init__(self, port: int) -> None:
        self.messages: list[dict] = []
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=f"status-{time.monotonic_ns()}"
        )
        self.client.on_message = lambda c, u, m: self.messages.append(
            {"_topic": m.topic} | json.loads(m.payload)
        )
        self.client.on_connect = lambda c, u, f, r, p: c.subscribe(
            "plantmeter/_ingest/+/status", qos=1
        )
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def online(self, client_id: str, since_ms: int = 0) -> bool:
        return any(
            m["_topic"] == f"plantmeter/_ingest/{client_id}/status"
            and m.get("state") == "online"
            and m.get("ts", 0) >= since_ms
            for m in list(self.messages)
        )

    def latest(self, client_id: str, since_ms: int = 0) -> dict:
        """The newest status of ``client_id`` published at or after ``since_ms`` ({} if none)."""
        found = [
            m
            for m in list(self.messages)
            if m["_topic"] == f"plantmeter/_ingest/{client_id}/status"
            and m.get("ts", 0) >= since_ms
        ]
        return found[-1] if found else {}

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def test_chain_into_influxdb_stores_exactly_what_the_meters_served(
    tmp_path: Path, mosquitto: MosquittoServer, influxd: InfluxServer
) -> None:
    scenario = firmware_sim.load_scenario(EXAMPLE / "scenario.yaml")
    with firmware_sim.running_bus(
        scenario, port_overrides={b: 0 for b in _bus_ids(scenario)}
    ) as bus:
        config = chain_config(tmp_path, bus, mosquitto.url)
        config = config.model_copy(update={"store": StoreConfig(url=influxd.url)})
        store = open_store(config.store.url)
        published = run_chain(config, store, mosquitto.port, tmp_path, polls=3)
        try:
            assert sorted(m for _, m in store.meters("dairy")) == sorted(
                m.id for m in config.meters
            )
            for meter in config.meters:
                messages = published[meter.id]
                assert contiguous_seqs(messages), f"{meter.id}: seq has gaps"
                stored = store.read("dairy", meter.id)
                # one row per published reading, at its timestamp, with every value it carried
                assert [int(t.value // 1_000_000) for t in stored.index] == sorted(
                    {m["ts"] for m in messages}
                )
                for message in messages:
                    row = stored.loc[pd.Timestamp(message["ts"], unit="ms", tz="UTC")]
                    for quantity, value in message["values"].items():
                        assert row[quantity] == value, f"{meter.id}.{quantity} at {message['ts']}"
                served = bus.served(meter.id)
                for counter in config.profile_for(meter).counters:
                    served_values = np.array(
                        [s.value for s in served if s.quantity == counter.name]
                    )
                    if counter.name not in stored.columns or not len(served_values):
                        continue
                    for value in stored[counter.name].dropna():
                        nearest = served_values[np.argmin(np.abs(served_values - value))]
                        assert value == pytest.approx(nearest, rel=1e-7, abs=1e-9), (
                            f"{meter.id}.{counter.name}"
                        )
            assert store.read_dead_letters() == []
        finally:
            store.close()


def test_influxdb_down_for_30s_loses_nothing_and_ingest_resumes_by_itself(
    tmp_path: Path, mosquitto: MosquittoServer, influxd: InfluxServer
) -> None:
    config = load_site(site_file(tmp_path, mosquitto, influxd), environ={})
    store = open_store(influxd.url)
    service = IngestService(config, store, status_interval=1.0)
    watcher = StatusWatcher(mosquitto.port)
    service.start()
    ticker: Ticker | None = None
    try:
        wait_until(lambda: watcher.online(config.ingest.client_id), what="ingest online")
        ticker = Ticker(mosquitto.port, rate=30).start()
        wait_until(lambda: service.stats.stored_messages >= 30, what="first readings stored")
        influxd.stop()
        down_at = time.monotonic()
        stored_before = service.stats.stored_messages
        time.sleep(30)
        assert service.stats.store_errors >= 1
        assert service.stats.stored_messages == stored_before  # nothing acknowledged while down
        influxd.start()
        back_at = time.monotonic()
        ticker.stop()
        sent = ticker.count
        ticker = None
        wait_until(
            lambda: service.stats.stored_messages >= sent,
            timeout=30,
            what="backlog stored after restart",
        )
        resumed_after = time.monotonic() - back_at
    finally:
        if ticker is not None:
            ticker.stop()
        service.stop()
        watcher.close()
    try:
        assert sent >= 30 * 28  # readings kept arriving through the outage (30/s)
        for meter in METER_IDS:
            assert stored_seqs(store, meter) == list(range(1, sent // len(METER_IDS) + 1))
        assert service.stats.stored_messages == sent
        assert resumed_after < 15, f"ingest took {resumed_after:.1f}s after InfluxDB came back"
        # the status kept coming during the outage and showed the store errors
        during = [
            m
            for m in watcher.messages
            if m.get("store_errors", 0) > 0 and m.get("state") == "online"
        ]
        assert during and during[0]["stored_messages"] == stored_before
        assert time.monotonic() - down_at > 30
    finally:
        store.close()


def _start_cli_ingest(site: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "plantmeter_app", "ingest", str(site), "--status-interval", "1"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )


def test_sigkilled_ingest_process_restarted_leaves_no_gap_and_no_duplicate(
    tmp_path: Path, mosquitto: MosquittoServer, influxd: InfluxServer
) -> None:
    site = site_file(tmp_path, mosquitto, influxd, client_id="ingest-killed", batch_size=200)
    log = tmp_path / "ingest.log"
    watcher = StatusWatcher(mosquitto.port)
    store = open_store(influxd.url)
    proc = _start_cli_ingest(site, log)
    ticker: Ticker | None = None
    try:
        wait_until(lambda: watcher.online("ingest-killed"), what="ingest process online")
        ticker = Ticker(mosquitto.port, rate=1500).start()
        wait_until(lambda: ticker is not None and ticker.count >= 1500, what="publishing under way")
        wait_until(
            lambda: len(store.read("dairy", "m1", ["power_total"])) > 100,
            what="some readings stored",
        )
        proc.send_signal(
            signal.SIGKILL
        )  # mid-stream: batches in flight, nothing acknowledged for them
        proc.wait(10)
        killed_at_ms = int(time.time() * 1000)
        time.sleep(0.5)
        proc = _start_cli_ingest(site, log)
        wait_until(
            lambda: watcher.online("ingest-killed", since_ms=killed_at_ms),
            what="restarted ingest online",
        )
        wait_until(
            lambda: ticker is not None and ticker.count >= 4500,
            what="3,000+ more readings published",
        )
        ticker.stop()
        sent = dict(ticker.sent)
        ticker = None
        wait_until(
            lambda: all(
                len(store.read("dairy", m, ["power_total"])) >= len(sent[m]) for m in METER_IDS
            ),
            timeout=30,
            what="every published reading stored",
        )
        # the killed process's unacknowledged batch comes back marked DUP: without redeliveries
        # "no duplicate" below would hold vacuously
        wait_until(
            lambda: (
                watcher.latest("ingest-killed", since_ms=killed_at_ms).get("redelivered", 0) > 0
            ),
            timeout=10,
            what="the restarted ingest to report redelivered messages",
        )
    finally:
        if ticker is not None:
            ticker.stop()
        proc.send_signal(signal.SIGTERM)
        proc.wait(15)
        watcher.close()
    try:
        assert proc.returncode == 0, log.read_text()[-2000:]
        for meter in METER_IDS:
            # no gap; and no duplicate although messages were delivered twice (counted per row:
            # a redelivery stored under another key, e.g. arrival time, would repeat its seq here)
            assert stored_seqs(store, meter) == sent[meter]
        assert sum(len(v) for v in sent.values()) >= 4500
        assert store.read_dead_letters() == []
    finally:
        store.close()


def test_two_services_on_one_shared_subscription_store_every_message_once(
    tmp_path: Path, mosquitto: MosquittoServer, influxd: InfluxServer
) -> None:
    site = site_file(tmp_path, mosquitto, influxd)
    configs = [load_site(site, environ={}) for _ in range(2)]
    stores = [open_store(influxd.url) for _ in range(2)]
    services = [
        IngestService(
            c.model_copy(
                update={"ingest": c.ingest.model_copy(update={"client_id": f"ingest-{i}"})}
            ),
            s,
        )
        for i, (c, s) in enumerate(zip(configs, stores, strict=True))
    ]
    for service in services:
        service.start()
    try:
        for service in services:
            assert service.connected.wait(10)
        time.sleep(0.3)  # both SUBACKs
        messages = [reading(seq, meter) for seq in range(1, 1001) for meter in METER_IDS]
        publish_all(mosquitto.port, messages)
        wait_until(
            lambda: sum(s.stats.stored_messages for s in services) >= len(messages),
            what="all stored",
        )
        time.sleep(0.5)  # a duplicate delivery would show up here
    finally:
        for service in services:
            service.stop()
    try:
        shares = [s.stats.stored_messages for s in services]
        assert sum(shares) == len(messages)  # each message delivered to one of the two, once
        assert min(shares) > 0, f"one service got nothing: {shares}"
        for meter in METER_IDS:
            assert stored_seqs(stores[0], meter) == list(range(1, 1001))
    finally:
        for store in stores:
            store.close()


def test_status_topic_and_bad_input_into_influxdb(
    tmp_path: Path, mosquitto: MosquittoServer, influxd: InfluxServer
) -> None:
    """Status carries rate, batch latency, dead letters and store errors; bad messages end as
    dead letters in InfluxDB with their reason (an oversized one too), the rest is stored."""
    config = load_site(
        site_file(tmp_path, mosquitto, influxd, client_id="ingest-status"), environ={}
    )
    store = open_store(influxd.url)
    service = IngestService(config, store, status_interval=0.5)
    watcher = StatusWatcher(mosquitto.port)
    topic = reading_topic("dairy", "m1")
    nan = reading(7)[1].replace(b'"frequency":50.0', b'"frequency":NaN')
    service.start()
    try:
        wait_until(lambda: watcher.online("ingest-status"), what="birth status")
        publish_all(
            mosquitto.port,
            [reading(seq) for seq in range(1, 7)]
            + [(topic, nan), (topic, b'{"schema": 1, "site": 5}'), (topic, b"x" * 100_000)]
            + [reading(seq) for seq in range(8, 201)],
        )
        wait_until(
            lambda: service.stats.received >= 202 and service.backlog == 0, what="all handled"
        )
        wait_until(lambda: any(_final(m) for m in watcher.messages), what="status with every count")
    finally:
        service.stop()
        try:
            wait_until(
                lambda: watcher.messages[-1].get("state") == "offline", what="offline status"
            )
        finally:
            watcher.close()
    try:
        status = next(m for m in watcher.messages if _final(m))
        assert status["_topic"] == "plantmeter/_ingest/ingest-status/status"
        assert status["dead_by_reason"] == {"not_finite": 1, "too_large": 1, "wrong_type": 1}
        assert (
            status["store_errors"] == 0
            and status["batch_latency_ms"] > 0
            and status["batches"] >= 1
        )
        assert any(m.get("messages_per_s", 0) > 0 for m in watcher.messages)
        assert stored_seqs(store, "m1") == [s for s in range(1, 201) if s != 7]
        letters = {d.reason: d for d in store.read_dead_letters()}
        assert set(letters) == {"not_finite", "too_large", "wrong_type"}
        assert "100000 bytes" in letters["too_large"].detail
        assert (
            letters["too_large"].payload == b"x" * 16 * 1024
        )  # kept in part, within InfluxDB's string limit
        assert letters["not_finite"].payload == nan
        assert "site" in letters["wrong_type"].detail
    finally:
        store.close()


def _final(status: dict) -> bool:
    return bool(status.get("dead_letters") == 3 and status.get("stored_messages") == 199)


def test_a_reading_influxdb_refuses_is_dead_lettered_and_the_rest_stored(
    tmp_path: Path, mosquitto: MosquittoServer, influxd: InfluxServer
) -> None:
    """A permanent refusal (here a field type conflict with data another tool wrote) must not
    block the stream: the batch is written reading by reading, the refused ones become dead
    letters with InfluxDB's reason, and everything else is stored and acknowledged."""
    import urllib.request

    # another tool wrote `tag_count` as an integer into the same measurement
    line = f"readings,site=other,meter=x tag_count=1i {T0}".encode()
    url = f"http://127.0.0.1:{influxd.port}/write?db=plantmeter&precision=ms"
    store = open_store(influxd.url)  # creates the database
    store.meters()
    urllib.request.urlopen(
        urllib.request.Request(url, data=line, method="POST"), timeout=10
    ).close()
    config = load_site(
        site_file(tmp_path, mosquitto, influxd, client_id="ingest-refused"), environ={}
    )
    service = IngestService(config, store)
    topic, good = reading(5, "m2")
    bad_values = {"power_total": 5003.0, "tag_count": 2.5}  # a float where InfluxDB holds integers
    bad = encode_reading(Reading("dairy", "m1", "gw", 3, T0 + 300, bad_values))
    service.start()
    try:
        assert service.connected.wait(10)
        publish_all(
            mosquitto.port, [reading(1, "m1"), (reading_topic("dairy", "m1"), bad), (topic, good)]
        )
        wait_until(lambda: service.stats.received >= 3 and service.backlog == 0, what="all handled")
        wait_until(
            lambda: service.stats.dead_letters == 1, what="the refused reading dead-lettered"
        )
    finally:
        service.stop()
    try:
        assert stored_seqs(store, "m1") == [1]
        assert stored_seqs(store, "m2") == [5]
        (letter,) = store.read_dead_letters()
        assert letter.reason == "store_rejected" and "tag_count" in letter.detail
        assert letter.payload == bad
    finally:
        store.close()
