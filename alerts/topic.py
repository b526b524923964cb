"""The MQTT alert topic: ``plantmeter/<site>/alerts``, retained, QoS 1, the list of the site's
active alarms (open episodes that were announced), one message per change of that list.

Payload (JSON): ``{"site": "dairy", "count": 2, "alarms": [{"meter", "type", "quantity",
"severity", "since"}, ...]}`` (``since``: ISO 8601 UTC, alarms oldest first). Only these stable
fields are in it, so an alarm that goes on does not republish every round. The last published
payload is kept in the ledger: a broker that is down is retried at the next round (the state is
recomputed, so nothing is lost), and a restart does not republish an unchanged list.
"""

from __future__ import annotations

import json
import logging
import threading
from datetime import UTC, datetime
from typing import Any

from plantmeter.config import BrokerConfig
from plantmeter.mqtt import broker_label, make_client

from .email import ChannelError
from .ledger import Ledger

__all__ = [
    "MqttEventChannel",
    "MqttPublisher",
    "active_alarms",
    "alert_event_topic",
    "alert_topic",
    "publish_state",
]

logger = logging.getLogger(__name__)


def alert_topic(site: str) -> str:
    return f"plantmeter/{site}/alerts"


def alert_event_topic(site: str) -> str:
    """Not retained: one message per notice (opened, reminded, closed), like an e-mail."""
    return f"plantmeter/{site}/alerts/event"


def active_alarms(ledger: Ledger, site: str) -> dict[str, Any]:
    alarms = [
        {
            "meter": e.meter,
            "type": e.type,
            "quantity": e.quantity,
            "severity": e.severity,
            "since": datetime.fromtimestamp(e.start_ms / 1000.0, UTC).isoformat(),
        }
        for e in sorted(ledger.episodes(site, open_only=True), key=lambda e: (e.start_ms, e.id))
        if e.notify
    ]
    return {"site": site, "count": len(alarms), "alarms": alarms}


class MqttPublisher:
    """Publishes one retained QoS 1 message per call: connect, publish, wait for the ack, leave."""

    def __init__(self, broker: BrokerConfig, client_id: str, timeout_s: float = 10.0) -> None:
        self.broker = broker
        self.client_id = client_id
        self.timeout_s = timeout_s

    def publish(self, topic: str, payload: bytes, retain: bool = True) -> None:
        client = make_client(self.broker, self.client_id)
        connected = threading.Event()
        refused: list[str] = []

        def on_connect(c: Any, userdata: Any, flags: Any, reason: Any, props: Any = None) -> None:
            if reason.is_failure:
                refused.append(str(reason))
            connected.set()

        client.on_connect = on_connect
        where = broker_label(self.broker)
        try:
            client.connect(self.broker.host, self.broker.port, keepalive=int(self.broker.keepalive))
        except OSError as exc:
            raise ChannelError(f"MQTT {where}: {exc.__class__.__name__}: {exc}") from exc
        client.loop_start()
        try:
            if not connected.wait(self.timeout_s):
                raise ChannelError(f"MQTT {where}: no CONNACK within {self.timeout_s:g} s")
            if refused:
                raise ChannelError(
                    f"MQTT {where}: connection refused ({refused[0]}); check broker username/password"
                )
            info = client.publish(topic, payload, qos=1, retain=retain)
            info.wait_for_publish(self.timeout_s)
            if not info.is_published():
                raise ChannelError(
                    f"MQTT {where}: {topic} not acknowledged within {self.timeout_s:g} s"
                )
        finally:
            client.disconnect()
            client.loop_stop()


class MqttEventChannel:
    """The ``mqtt`` channel of the outbox: each notice as one QoS 1 message on
    ``plantmeter/<site>/alerts/event`` (the recipient), not retained, with ``event_type`` (open,
    remind, close: what Home Assistant's event entity fires) beside the webhook's fields. Sent
    and retried through the outbox like an e-mail, so a broker that is down loses none."""

    name = "mqtt"

    def __init__(self, broker: BrokerConfig, client_id: str) -> None:
        self.publisher = MqttPublisher(broker, client_id)

    def send(self, recipient: str, payload: dict[str, Any]) -> None:
        body = {"event_type": payload.get("event", "")} | {
            k: v for k, v in payload.items() if k != "text"
        }
        self.publisher.publish(recipient, json.dumps(body, sort_keys=True).encode(), retain=False)


def publish_state(
    ledger: Ledger, site: str, publisher: MqttPublisher, now_ms: int, *, discovery: bool = False
) -> bool:
    """Publish the active alarms when they changed since the last publication; True if published.
    ``discovery``: first the Home Assistant discovery configs that changed (``alerts.hadiscovery``)."""
    if discovery:
        from .hadiscovery import alert_discovery_messages

        for config_topic, config in alert_discovery_messages(site):
            if config.decode() != ledger.published(site, config_topic):
                publisher.publish(config_topic, config)
                ledger.mark_published(site, config_topic, config.decode(), now_ms)
    topic = alert_topic(site)
    payload = json.dumps(active_alarms(ledger, site), sort_keys=True)
    if payload == ledger.published(site, topic):
        return False
    publisher.publish(topic, payload.encode())
    ledger.mark_published(site, topic, payload, now_ms)
    logger.info("alerts on %s: %s", topic, payload)
    return True
