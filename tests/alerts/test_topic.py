"""The MQTT alert topic on a real Mosquitto broker: the simulated leak's alarms as one retained
message, nothing republished while they do not change, a broker that is down retried later."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pandas as pd
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from alerts import ChannelError, Ledger, evaluate
from alerts.topic import MqttPublisher, alert_topic, publish_state
from ingest.stores import open_store
from plantmeter.config import BrokerConfig, load_site
from tests.alerts.history import END, LEAK_AT, SITE, load
from tests.servers import MosquittoServer, free_port


class Listener:
    """A subscriber that keeps every message of one topic (retained ones included)."""

    def __init__(self, port: int, topic: str) -> None:
        self.messages: list[tuple[bool, dict[str, Any]]] = []
        self._subscribed = threading.Event()
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=f"listener-{time.monotonic_ns()}"
        )
        self.client.on_message = lambda c, u, m: self.messages.append(
            (m.retain, json.loads(m.payload))
        )
        self.client.on_subscribe = lambda *a: self._subscribed.set()
        self.client.on_connect = lambda c, *a: c.subscribe(topic, qos=1)
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        assert self._subscribed.wait(10)

    def settle(self, count: int, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)  # and nothing more arrives

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def test_the_alert_topic_holds_the_active_alarms(
    tmp_path: Path, mosquitto: MosquittoServer, leaky: pd.DataFrame
) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'dairy.db'}")
    site_file = tmp_path / "site.yaml"
    site_file.write_text(SITE.format(smtp="smtp://127.0.0.1:25") + "  mqtt: true\n")
    site = load_site(site_file, environ={})
    assert site.alerts is not None and site.alerts.mqtt
    publisher = MqttPublisher(
        BrokerConfig(url=f"mqtt://127.0.0.1:{mosquitto.port}"), "plantmeter-alerts-dairy"
    )
    topic = alert_topic("dairy")
    listener = Listener(mosquitto.port, topic)
    try:
        with Ledger(tmp_path / "alerts.db") as ledger:
            load(store, leaky, tmp_path, LEAK_AT)
            evaluate(store, site, ledger, now=LEAK_AT)
            assert publish_state(ledger, "dairy", publisher, 0)  # the first state: no alarms
            load(store, leaky, tmp_path, END)
            evaluate(store, site, ledger, now=END)
            assert publish_state(ledger, "dairy", publisher, 1)
            evaluate(store, site, ledger, now=END + timedelta(minutes=5))
            assert not publish_state(ledger, "dairy", publisher, 2)  # unchanged: no message
        with Ledger(tmp_path / "alerts.db") as ledger:  # a restart does not republish either
            assert not publish_state(ledger, "dairy", publisher, 3)
        listener.settle(2)
    finally:
        listener.close()
        store.close()
    assert [m["count"] for _, m in listener.messages] == [0, len(listener.messages[1][1]["alarms"])]
    alarms = listener.messages[1][1]["alarms"]
    assert {"meter": "cip-water", "type": "leak", "quantity": "volume_total", "severity": "critical",
            "since": "2025-11-05T07:00:00+00:00"} in alarms  # fmt: skip
    late = Listener(
        mosquitto.port, topic
    )  # Home Assistant subscribing later gets the retained state
    try:
        late.settle(1)
    finally:
        late.close()
    assert late.messages == [(True, listener.messages[1][1])]


def test_a_broker_that_is_down_is_retried_at_the_next_round(tmp_path: Path) -> None:
    port = free_port()
    publisher = MqttPublisher(
        BrokerConfig(url=f"mqtt://127.0.0.1:{port}"), "plantmeter-alerts-dairy", timeout_s=3
    )
    with Ledger(tmp_path / "alerts.db") as ledger:
        with pytest.raises(ChannelError, match=f"MQTT 127.0.0.1:{port}"):
            publish_state(ledger, "dairy", publisher, 0)
        assert ledger.published("dairy", alert_topic("dairy")) is None
        with MosquittoServer(tmp_path / "mosquitto", port=port):
            assert publish_state(ledger, "dairy", publisher, 1)
        assert json.loads(ledger.published("dairy", alert_topic("dairy")) or "{}")["count"] == 0


def test_the_command_publishes_on_the_sites_broker(
    tmp_path: Path, mosquitto: MosquittoServer, leaky: pd.DataFrame
) -> None:
    from plantmeter_app.cli import main

    store_path = tmp_path / "dairy.db"
    store = open_store(f"sqlite:///{store_path}")
    try:
        load(store, leaky, tmp_path, END)  # the service starts while the leak runs
    finally:
        store.close()
    site = tmp_path / "site.yaml"
    site.write_text(
        SITE.format(smtp=f"smtp://127.0.0.1:{free_port()}") + "  mqtt: true\n"
        f"store: {{url: 'sqlite:///{store_path}'}}\nbroker: {{url: 'mqtt://127.0.0.1:{mosquitto.port}'}}\n"
    )
    listener = Listener(mosquitto.port, alert_topic("dairy"))
    try:
        for minutes in (0, 5):
            now = (END + timedelta(minutes=minutes)).isoformat()
            assert (
                main(
                    [
                        "alerts",
                        str(site),
                        "--once",
                        "--data-dir",
                        str(tmp_path / "data"),
                        "--now",
                        now,
                    ]
                )
                == 0
            )
        listener.settle(1)
    finally:
        listener.close()
    [(_, state)] = listener.messages
    assert "leak" in {a["type"] for a in state["alarms"]}
