"""The shipped broker hardening against a real Mosquitto: deploy/mosquitto/acl.example as its
acl_file, certificates from deploy/mosquitto/make-ca.sh, a login per service, TLS only.

The chain works through it (gateway as ``gw-dairy``, ingest as ``ingest``, both over TLS with the
private CA), and what the ACL forbids is refused: the dairy's gateway cannot publish a reading of
the brewery nor read anything, ingest cannot publish a reading, nobody gets in without a login,
and a client that does not trust the private CA (or speaks plain MQTT) does not connect.
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import firmware_sim
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

from ingest.service import IngestService
from ingest.stores import SqliteStore
from plantmeter.config import BrokerConfig, TlsConfig
from plantmeter.message import Reading, encode_reading, reading_topic
from plantmeter.mqtt import make_client
from tests.integration.helpers import GatewayThread, wait_until
from tests.integration.test_chain import EXAMPLE, chain_config
from tests.servers import MosquittoServer

pytestmark = pytest.mark.integration

DEPLOY = Path(__file__).parents[2] / "deploy" / "mosquitto"
PASSWORDS = {
    "gw-dairy": "gw-dairy-pw-41",
    "gw-brewery": "gw-brewery-pw-42",
    "ingest": "ingest-pw-43",
    "alerts": "alerts-pw-44",
    "monitor": "monitor-pw-45",
}
NOT_AUTHORIZED = 135  # MQTT 5 reason code 0x87


class Broker:
    def __init__(self, server: MosquittoServer, ca: Path) -> None:
        self.server, self.ca = server, ca

    def config(self, user: str | None, ca: Path | None = None) -> BrokerConfig:
        return BrokerConfig(
            url=self.server.url,
            username=user,
            password=PASSWORDS.get(user or ""),
            tls=TlsConfig(ca_file=ca or self.ca),
        )


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    pki = tmp_path / "pki"
    subprocess.run(
        ["sh", str(DEPLOY / "make-ca.sh"), str(pki), "localhost", "127.0.0.1"],
        check=True,
        capture_output=True,
    )
    acl = tmp_path / "plantmeter.acl"
    # the shipped rules verbatim, plus an observer for this test
    shutil.copy(DEPLOY / "acl.example", acl)
    with acl.open("a") as out:
        out.write("\nuser monitor\ntopic read #\n")
    with MosquittoServer(
        tmp_path / "mq",
        users=PASSWORDS,
        tls=(pki / "ca.pem", pki / "broker.pem", pki / "broker.key"),
        acl_file=acl,
    ) as server:
        yield Broker(server, pki / "ca.pem")


class Monitor:
    """A client allowed to read everything: what reached the broker's subscribers."""

    def __init__(self, broker: Broker) -> None:
        self.messages: list[tuple[str, bytes]] = []
        self.lock = threading.Lock()
        self.client = make_client(broker.config("monitor"), "test-monitor", mqtt5=True)
        subscribed = threading.Event()
        self.client.on_connect = lambda c, *_: c.subscribe("#", qos=1)
        self.client.on_subscribe = lambda *_: subscribed.set()
        self.client.on_message = self._got
        self.client.connect("127.0.0.1", broker.server.port)
        self.client.loop_start()
        assert subscribed.wait(10), "the monitor could not subscribe"

    def _got(self, client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        with self.lock:
            self.messages.append((message.topic, message.payload))

    def topics(self) -> set[str]:
        with self.lock:
            return {t for t, _ in self.messages}

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def _connect(
    broker: Broker, user: str | None, ca: Path | None = None, password: str | None = None
) -> mqtt.Client:
    config = broker.config(user, ca)
    if password is not None:
        config = config.model_copy(update={"password": password})
    return make_client(config, f"test-{user}-{time.monotonic_ns()}", mqtt5=True)


def _publish(broker: Broker, user: str, topic: str, payload: bytes) -> int:
    """Publish at QoS 1 as ``user``; the PUBACK's reason code."""
    client = _connect(broker, user)
    acked: list[int] = []
    done = threading.Event()

    def on_publish(
        c: mqtt.Client, userdata: object, mid: int, reason: ReasonCode, properties: object
    ) -> None:
        acked.append(reason.value)
        done.set()

    client.on_publish = on_publish
    client.connect("127.0.0.1", broker.server.port)
    client.loop_start()
    try:
        client.publish(topic, payload, qos=1)
        assert done.wait(10), f"no PUBACK for {user} on {topic}"
    finally:
        client.disconnect()
        client.loop_stop()
    return acked[0]


def _receives(
    broker: Broker, user: str, topic_filter: str, sent: list[tuple[str, str, bytes]]
) -> set[str]:
    """Topics ``user``, subscribed to ``topic_filter``, receives of ``sent`` (publisher, topic, payload).

    Mosquitto grants every subscription and applies read rules to each message it would deliver."""
    client = _connect(broker, user)
    got: set[str] = set()
    subscribed = threading.Event()
    client.on_connect = lambda c, *_: c.subscribe(topic_filter, qos=1)
    client.on_subscribe = lambda *_: subscribed.set()
    client.on_message = lambda c, u, message: got.add(message.topic)
    client.connect("127.0.0.1", broker.server.port)
    client.loop_start()
    try:
        assert subscribed.wait(10), f"no SUBACK for {user} on {topic_filter}"
        for publisher, topic, payload in sent:
            assert _publish(broker, publisher, topic, payload) == 0
        time.sleep(0.5)
    finally:
        client.disconnect()
        client.loop_stop()
    return got


def _connack(
    broker: Broker, user: str | None, ca: Path | None = None, password: str | None = None
) -> str:
    """'accepted', the CONNACK's refusal, or the TLS error, for one connection attempt."""
    client = _connect(broker, user, ca, password)
    result: list[str] = []
    done = threading.Event()

    def on_connect(
        c: mqtt.Client, userdata: object, flags: object, reason: ReasonCode, props: object
    ) -> None:
        result.append("accepted" if not reason.is_failure else str(reason))
        done.set()

    client.on_connect = on_connect
    try:
        client.connect("127.0.0.1", broker.server.port)
    except (ssl.SSLError, OSError) as exc:
        return f"tls: {exc}"
    client.loop_start()
    try:
        done.wait(5)
    finally:
        client.disconnect()
        client.loop_stop()
    return result[0] if result else "no answer"


def _reading(site: str, meter: str) -> bytes:
    return encode_reading(
        Reading(site, meter, "gw", 1, int(time.time() * 1000), {"energy_import_total": 1.0})
    )


def test_the_chain_runs_through_the_acl_over_tls(tmp_path: Path, broker: Broker) -> None:
    monitor = Monitor(broker)
    scenario = firmware_sim.load_scenario(EXAMPLE / "scenario.yaml")
    try:
        with firmware_sim.running_bus(
            scenario, port_overrides={b.id: 0 for b in scenario.buses}
        ) as bus:
            base = chain_config(tmp_path, bus, broker.server.url)
            gateway_config = base.model_copy(update={"broker": broker.config("gw-dairy")})
            ingest_config = base.model_copy(update={"broker": broker.config("ingest")})
            store = SqliteStore(tmp_path / "chain.db")
            ingest = IngestService(ingest_config, store)
            ingest.start()
            gateway = GatewayThread(gateway_config, tmp_path).start()
            try:
                wait_until(
                    lambda: ingest.stats.stored_messages >= 6,
                    timeout=30,
                    what="readings through the ACL",
                )
                wait_until(
                    lambda: any(t.startswith("plantmeter/_ingest/") for t in monitor.topics()),
                    timeout=15,
                    what="ingest's status",
                )
            finally:
                gateway.stop()
                ingest.stop()
            assert ingest.failure is None
            assert len(store.read("dairy", "main-elec")) >= 1
            store.close()
    finally:
        monitor.close()
    topics = monitor.topics()
    assert "plantmeter/dairy/main-elec/reading" in topics
    assert any(
        t.startswith("plantmeter/dairy/_gateway/") for t in topics
    )  # its status (and last will)


def test_what_the_acl_forbids_is_refused(tmp_path: Path, broker: Broker) -> None:
    monitor = Monitor(broker)
    try:
        # allowed, as a control: the dairy's gateway publishes a dairy reading
        assert (
            _publish(
                broker,
                "gw-dairy",
                reading_topic("dairy", "main-elec"),
                _reading("dairy", "main-elec"),
            )
            == 0
        )
        # the dairy's gateway cannot publish for the brewery, ingest cannot publish a reading at all
        forged = reading_topic("brewery", "brew-elec")
        assert (
            _publish(broker, "gw-dairy", forged, _reading("brewery", "brew-elec")) == NOT_AUTHORIZED
        )
        assert (
            _publish(broker, "gw-dairy", "plantmeter/brewery/_gateway/x/status", b"{}")
            == NOT_AUTHORIZED
        )
        assert _publish(
            broker, "ingest", reading_topic("dairy", "main-elec"), _reading("dairy", "main-elec")
        ) == (NOT_AUTHORIZED)
        assert _publish(broker, "ingest", "plantmeter/dairy/alerts", b"{}") == NOT_AUTHORIZED
        # a gateway reads nothing; ingest reads readings, not the alarms
        dairy = reading_topic("dairy", "main-elec")
        sent = [
            ("gw-dairy", dairy, _reading("dairy", "main-elec")),
            ("alerts", "plantmeter/dairy/alerts", b"{}"),
        ]
        assert _receives(broker, "gw-dairy", "plantmeter/#", sent) == set()
        assert _receives(broker, "ingest", "plantmeter/#", sent) == {dairy}
        time.sleep(0.5)
        assert forged not in monitor.topics()
        assert monitor.topics() == {reading_topic("dairy", "main-elec"), "plantmeter/dairy/alerts"}
    finally:
        monitor.close()
    # no login, a wrong password, an untrusted certificate, plain MQTT on the TLS port
    assert _connack(broker, None) != "accepted"
    assert _connack(broker, "ingest", password="guess") != "accepted"
    assert _connack(broker, "ingest") == "accepted"
    other = tmp_path / "other-ca"
    subprocess.run(
        ["sh", str(DEPLOY / "make-ca.sh"), str(other), "localhost"], check=True, capture_output=True
    )
    assert _connack(broker, "ingest", ca=other / "ca.pem").startswith(
        "tls:"
    )  # a CA that did not sign it
    plain = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="test-plain")
    plain.username_pw_set("ingest", PASSWORDS["ingest"])
    with pytest.raises((OSError, mqtt.WebsocketConnectionError, ConnectionError)):
        plain.connect("127.0.0.1", broker.server.port)
        for _ in range(20):
            if plain.loop(timeout=0.1) != mqtt.MQTT_ERR_SUCCESS:
                raise ConnectionError("plain MQTT refused")
        raise AssertionError("a plain MQTT client stayed connected to the TLS port")
