"""A broker that lost its sessions reuses message ids: ingest must not acknowledge the new
deliveries with the acks of messages that came on the old connection (issue 17, item 5).

paho's ``Client.ack(mid, qos)`` (manual_ack) just sends PUBACK ``mid`` on whatever connection
is up. A batch received before a broker crash and written after the reconnect would then
acknowledge, by id, the first messages the restarted broker delivers: if those are not
yet written when ingest stops, the broker has forgotten them and they are lost.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from ingest.service import IngestService
from ingest.stores import SqliteStore
from plantmeter.config import load_site
from plantmeter.errors import StoreUnavailable
from plantmeter.message import Reading, encode_reading, reading_topic
from tests.integration.helpers import publish_all, wait_until, write_site
from tests.servers import MosquittoServer

pytestmark = pytest.mark.integration

BUSES = "  - {id: b, transport: tcp, host: 127.0.0.1, port: 5020}\n"
METERS = "  - {id: main-elec, bus: b, unit_id: 1, profile: eastron-sdm630, kind: electricity}\n"


class _GatedStore(SqliteStore):
    """The real SQLite store; its first write waits for ``release``, and while ``down`` is set
    every write fails as an outage does (StoreUnavailable), so ingest holds its batch."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.entered = threading.Event()
        self.release = threading.Event()
        self.down = False
        self._first = True

    def write_rows(self, rows):  # type: ignore[no-untyped-def]
        if self._first:
            self._first = False
            self.entered.set()
            self.release.wait(30)
        elif self.down:
            raise StoreUnavailable("store held down by the test")
        return super().write_rows(rows)


def _reading(seq: int) -> tuple[str, bytes]:
    ts = int(time.time() * 1000) - 100_000 + seq * 10
    r = Reading("dairy", "main-elec", "gw", seq, ts, {"energy_import_total": 100.0 + seq})
    return reading_topic("dairy", "main-elec"), encode_reading(r)


def test_acks_of_a_lost_connection_do_not_acknowledge_new_deliveries(tmp_path: Path) -> None:
    broker = MosquittoServer(tmp_path / "mosquitto", persistence=False)
    broker.start()
    extra = "ingest: " + json.dumps({"batch_interval": "100ms", "client_id": "stale"}) + "\n"
    site = write_site(
        tmp_path / "site.yaml", broker.url, f"sqlite:///{tmp_path}/s.db", BUSES, METERS, extra
    )
    config = load_site(site, environ={})
    store = _GatedStore(tmp_path / "s.db")
    service = IngestService(config, store)
    service.client.reconnect_delay_set(0.1, 0.5)
    again: IngestService | None = None
    running = [service]
    try:
        service.start()
        assert service.connected.wait(10)
        publish_all(broker.port, [_reading(i) for i in range(1, 6)])  # broker mids 1..5
        assert store.entered.wait(10), "ingest never started writing the first batch"
        broker.kill()  # a crash without persistence: every session is gone
        wait_until(
            lambda: not service.connected.is_set(), timeout=10, what="ingest to see the crash"
        )
        broker.start()
        wait_until(service.connected.is_set, timeout=10, what="ingest to reconnect")
        time.sleep(0.3)  # its SUBSCRIBE is processed before the next publish
        publish_all(
            broker.port, [_reading(i) for i in range(6, 11)]
        )  # new messages, mids 1..5 again
        wait_until(
            lambda: service.backlog == 5, timeout=10, what="the new deliveries in ingest's inbox"
        )
        store.down = True  # the store fails before the new messages are written...
        store.release.set()  # ...while the old batch is written and would be acknowledged
        wait_until(
            lambda: service.stats.stored_messages == 5, timeout=10, what="the old batch written"
        )
        wait_until(lambda: service.stats.store_errors >= 1, timeout=10, what="the new batch held")
        assert service.stats.stale_acks == 5
        running.remove(service)
        service.stop()  # unacknowledged messages stay in the broker session
        store.down = False
        again = IngestService(config, store)
        running.append(again)
        again.start()
        wait_until(
            lambda: len(store.read("dairy", "main-elec")) == 10,
            timeout=10,
            what="the messages delivered after the reconnect to be redelivered and stored",
        )
    finally:
        store.release.set()
        for member in running:
            member.stop()
        broker.stop()
        store.close()
