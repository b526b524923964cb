"""Home Assistant sees the alarms: the alert service's discovery configs pass Home Assistant's
own rules (tests/gateway/ha_rules.py, transcribed from its source), their templates turn the
alert topic into the right on/off states, and over a real Mosquitto the simulated leak's
evaluation publishes them once, retained, beside the alarm list."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pandas as pd
from paho.mqtt.enums import CallbackAPIVersion

from alerts import Ledger, evaluate
from alerts.hadiscovery import alert_discovery_messages
from alerts.topic import MqttPublisher, alert_event_topic, alert_topic, publish_state
from ingest.stores import open_store
from plantmeter.alertconfig import ALERT_TYPES
from plantmeter.config import BrokerConfig, load_site
from tests.alerts.history import END, LEAK_AT, SITE, load
from tests.gateway import ha_rules
from tests.servers import MosquittoServer

ALARMS = json.dumps({"site": "dairy", "count": 2, "alarms": [
    {"meter": "cip-water", "type": "leak", "quantity": "volume_total", "severity": "critical", "since": "x"},
    {"meter": "cip-water", "type": "excess", "quantity": "volume_total", "severity": "warning", "since": "x"},
]}).encode()  # fmt: skip
NONE = json.dumps({"site": "dairy", "count": 0, "alarms": []}).encode()


def test_the_discovery_configs_follow_home_assistants_rules() -> None:
    messages = alert_discovery_messages("dairy.north_1")
    configs = {topic: json.loads(payload) for topic, payload in messages}
    assert len(configs) == len(ALERT_TYPES) + 2
    assert len({c["unique_id"] for c in configs.values()}) == len(configs)
    for topic, config in configs.items():
        match = ha_rules.discovery_match(topic)
        assert match is not None, f"Home Assistant ignores {topic}"
        if match["component"] == "event":  # HA's MQTT event: event_type must be one of these
            assert config["state_topic"] == alert_event_topic("dairy.north_1")
            assert config["event_types"] == ["open", "remind", "close"]
            continue
        assert config["state_topic"] == alert_topic("dairy.north_1")
        if match["component"] == "binary_sensor":
            assert config["device_class"] in ha_rules.BINARY_SENSOR_DEVICE_CLASSES
            for payload in (ALARMS, NONE):
                assert (
                    ha_rules.render(config["value_template"], payload)
                    in ha_rules.BINARY_SENSOR_PAYLOADS
                )
        else:
            assert (
                match["component"] == "sensor" and config["state_class"] in ha_rules.STATE_CLASSES
            )
    by_type = {
        t.rsplit("/", 2)[1].removeprefix("alert_"): c
        for t, c in configs.items()
        if "/event/" not in t
    }
    on = {
        kind
        for kind in ALERT_TYPES
        if ha_rules.render(by_type[kind]["value_template"], ALARMS) == "ON"
    }
    assert on == {"leak", "excess"}
    assert by_type["leak"]["device_class"] == "moisture"
    assert json.loads(ha_rules.render(by_type["leak"]["json_attributes_template"], ALARMS)) == {
        "meters": ["cip-water"]
    }
    assert ha_rules.render(by_type["alerts_active"]["value_template"], ALARMS) == "2"


class Retained:
    def __init__(self, port: int) -> None:
        self.messages: list[tuple[str, bool, bytes]] = []
        ready = threading.Event()
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=f"ha-{time.monotonic_ns()}"
        )
        self.client.on_message = lambda c, u, m: self.messages.append(
            (m.topic, m.retain, m.payload)
        )
        self.client.on_subscribe = lambda *a: ready.set()
        self.client.on_connect = lambda c, *a: c.subscribe(
            [("homeassistant/#", 1), ("plantmeter/+/alerts", 1)]
        )
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        assert ready.wait(10)

    def close(self) -> None:
        time.sleep(0.5)
        self.client.disconnect()
        self.client.loop_stop()


def test_the_leak_appears_in_home_assistant_through_the_alert_topic(
    tmp_path: Path, mosquitto: MosquittoServer, leaky: pd.DataFrame
) -> None:
    (tmp_path / "site.yaml").write_text(SITE.format(smtp="smtp://127.0.0.1:25"))
    site = load_site(tmp_path / "site.yaml", environ={})
    store = open_store(f"sqlite:///{tmp_path / 'dairy.db'}")
    publisher = MqttPublisher(BrokerConfig(url=mosquitto.url), "plantmeter-alerts-dairy")
    try:
        with Ledger(tmp_path / "alerts.db") as ledger:
            load(store, leaky, tmp_path, LEAK_AT)
            evaluate(store, site, ledger, now=LEAK_AT)
            load(store, leaky, tmp_path, END)
            evaluate(store, site, ledger, now=END)
            publish_state(ledger, "dairy", publisher, 1, discovery=True)
            publish_state(ledger, "dairy", publisher, 2, discovery=True)  # nothing changed
    finally:
        store.close()
    seen = Retained(mosquitto.port)  # as Home Assistant starting later: the retained messages
    seen.close()
    assert all(retain for _, retain, _ in seen.messages)
    latest: dict[str, Any] = {t: p for t, _, p in seen.messages}
    assert len(latest) == len(seen.messages) == len(ALERT_TYPES) + 3
    state = latest[alert_topic("dairy")]
    configs = [
        json.loads(p) for t, p in latest.items() if t.startswith("homeassistant/binary_sensor/")
    ]
    on = sorted(c["name"] for c in configs if ha_rules.render(c["value_template"], state) == "ON")
    assert on == ["excess alarm", "leak alarm"]
