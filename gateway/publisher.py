"""Move messages from the outbox to the broker, deleting each only after its PUBACK.

paho runs its network loop in its own thread; acknowledgements arrive there and are
handed to the asyncio side through a thread-safe deque. At most ``window`` messages
are in flight; the publish rate is capped by a token bucket (``max_rate``), so the
backlog after an outage drains at a bounded pace while polling goes on. paho resends
its in-flight messages itself after a reconnect; whatever it had not delivered when
the process died is still in the outbox and is sent again at the next start.

A broker that crashes forgets what it acknowledged since its last save (Mosquitto saves on a
timer, and sends the PUBACK first). So after every (re)connection the publisher first sends
again the messages acknowledged within ``replay_window`` seconds before the connection was
lost (at start: every acknowledged message the outbox still keeps); the store downstream is
idempotent, so a broker that lost nothing just sees a few seconds of duplicates.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import sqlite3
import time
from typing import Any

import paho.mqtt.client as mqtt

from plantmeter.logstate import Problems

from .outbox import Outbox

__all__ = ["OutboxPublisher"]

logger = logging.getLogger(__name__)


class OutboxPublisher:
    """Pumps an Outbox into a connected paho client."""

    def __init__(
        self,
        client: mqtt.Client,
        outbox: Outbox,
        *,
        window: int = 200,
        max_rate: float = 1000.0,
        broker: str = "the broker",
        replay_window: float = 60.0,
    ) -> None:
        self.client = client
        self.broker = broker  # host:port, for log lines
        self.outbox = outbox
        self.window = window
        self.max_rate = max_rate
        self.replay_window = replay_window
        self.replayed = 0  # messages sent again after reconnections
        self._replay_since: int | None = 0  # ms: requeue what was acked since then (0: all kept)
        self._lost_at_ms = 0  # when the last connection was lost (wall clock, ms)
        self._last_purge = 0.0
        self._pending_acks: list[int] = []  # acknowledged, not yet marked in the outbox (disk full)
        self._disk = Problems(logger, logging.ERROR)
        self.connected = False
        self.closing = False  # set before our own disconnect, which is not an outage
        self.published = 0
        self.acked = 0
        self.latency_ms_last = 0.0
        self._last_sent_id = 0
        self._in_flight: dict[int, tuple[int, float]] = {}  # mid -> (outbox id, sent monotonic)
        self._acks: collections.deque[int] = collections.deque()
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        client.on_publish = self._on_publish
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_connect_fail = self._on_connect_fail
        self._unreachable = Problems(logger, logging.ERROR)

    # paho thread -------------------------------------------------------------
    def _on_publish(
        self, client: Any, userdata: Any, mid: int, reason: Any = None, props: Any = None
    ) -> None:
        self._acks.append(mid)
        self._poke()

    def _on_connect(
        self, client: Any, userdata: Any, flags: Any, reason: Any, props: Any = None
    ) -> None:
        if getattr(reason, "is_failure", False):
            logger.error("broker refused the connection: %s", reason)
            return
        self._unreachable.clear("broker", "broker %s is reachable again", self.broker)
        if not self.connected:
            logger.info(
                "connected to the broker %s; %d messages waiting in the outbox",
                self.broker,
                self.outbox.depth,
            )
        if self._replay_since is None:
            self._replay_since = self._lost_at_ms - int(self.replay_window * 1000)
        self.connected = True
        self._poke()

    def _on_disconnect(
        self, client: Any, userdata: Any, flags: Any, reason: Any, props: Any = None
    ) -> None:
        if self.connected and not self.closing:
            logger.error(
                "lost the broker (%s); readings wait in the outbox until it is back", reason
            )
        if self.connected:
            self._lost_at_ms = int(time.time() * 1000)
            self._replay_since = None  # set at the next connection
        self.connected = False

    def _on_connect_fail(self, client: Any, userdata: Any) -> None:
        self._unreachable.report(
            "broker",
            "cannot reach the broker at %s (nothing answers there); retrying with backoff, "
            "readings wait in the outbox: check broker.url and that the broker runs",
            self.broker,
        )

    def _poke(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    # asyncio side ------------------------------------------------------------
    def notify(self) -> None:
        """A new message is in the outbox."""
        self._wake.set()

    @property
    def in_flight(self) -> int:
        return len(self._in_flight)

    async def run(self, stop: asyncio.Event) -> None:
        """Publish until ``stop`` is set."""
        self._loop = asyncio.get_running_loop()
        tokens = float(self.window)
        last = time.monotonic()
        while not stop.is_set():
            self._drain_acks()
            if self.connected and self._replay_since is not None:
                self._replay(self._replay_since)
            now = time.monotonic()
            tokens = min(float(self.window), tokens + (now - last) * self.max_rate)
            last = now
            room = min(self.window - len(self._in_flight), int(tokens))
            if self.connected and room > 0:
                sent = self._send(room)
                tokens -= sent
                if sent == room and sent > 0:
                    await asyncio.sleep(0)  # more may be waiting: go round again
                    continue
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=0.05)
            except TimeoutError:
                pass
        self._drain_acks()

    def _send(self, room: int) -> int:
        sent = 0
        for message in self.outbox.after(self._last_sent_id, room):
            info = self.client.publish(message.topic, message.payload, qos=1, retain=message.retain)
            if info.rc == mqtt.MQTT_ERR_NO_CONN:
                # paho queued it in memory and will send it after reconnecting
                logger.debug("publish while disconnected; paho keeps message %d", message.id)
            self._in_flight[info.mid] = (message.id, time.monotonic())
            self._last_sent_id = message.id
            sent += 1
        self.published += sent
        return sent

    def _replay(self, since_ms: int) -> None:
        """Queue again what the broker acknowledged since ``since_ms``: it may have lost it."""
        try:
            count = self.outbox.requeue(since_ms)
        except sqlite3.Error as exc:
            self._disk.report("outbox", "cannot write the outbox (%s); retrying", exc)
            return
        self._replay_since = None
        self._last_sent_id = 0
        if count:
            self.replayed += count
            logger.info(
                "sending again %d messages the broker acknowledged in the %.0f s before the "
                "connection was lost (a broker crash loses what it had not saved; stored once)",
                count,
                self.replay_window,
            )

    def _drain_acks(self) -> None:
        done: list[int] = self._pending_acks
        self._pending_acks = []
        now = time.monotonic()
        while self._acks:
            mid = self._acks.popleft()
            entry = self._in_flight.pop(mid, None)
            if entry is not None:
                done.append(entry[0])
                self.latency_ms_last = (now - entry[1]) * 1000
        if not done:
            return
        now_ms = int(time.time() * 1000)
        try:
            self.outbox.ack(done, now_ms)
            if self.connected and now - self._last_purge > 1.0:
                self.outbox.purge(now_ms - int(self.replay_window * 1000))
                self._last_purge = now
        except sqlite3.Error as exc:  # a full disk: keep the acks, mark them when it has room
            self._pending_acks = done
            self._disk.report("outbox", "cannot write the outbox (%s); retrying", exc)
            return
        self._disk.clear("outbox", "the outbox can be written again")
        self.acked += len(done)
