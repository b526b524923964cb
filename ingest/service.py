"""The ingest service: MQTT (shared subscription, manual ack) -> batches -> SeriesStore.

Flow: paho's network thread hands each message to a queue; the batch thread takes up
to ``batch_size`` messages or what arrived within ``batch_interval``, validates them,
writes valid points (and dead letters for invalid ones) in one store call, and only
then acknowledges the MQTT messages. If the store fails the batch is kept and retried
with backoff, nothing is acknowledged, and the broker's in-flight window (MQTT 5
Receive Maximum) stops further deliveries: that is the backpressure. A killed ingest
leaves its messages unacknowledged in its persistent session; the broker redelivers
them and the idempotent store keeps one copy.

Message ids belong to one connection. paho's ``ack(mid, qos)`` (manual_ack) sends PUBACK
``mid`` on whatever connection is up, so a batch received before a reconnect and written
after it would acknowledge, by id, the messages the broker sends next with those ids (a
broker that lost its sessions starts again at 1) before they are written. Each message
therefore keeps the number of the connection that delivered it, and acknowledgements of an
older connection are dropped: if the broker kept the session it redelivers those messages,
and the store keeps one copy.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from plantmeter.config import SiteConfig
from plantmeter.errors import IngestError, MessageError, StoreError, StoreUnavailable
from plantmeter.logstate import Problems
from plantmeter.message import READING_SUBSCRIPTION, decode_reading
from plantmeter.mqtt import broker_label, make_client
from plantmeter.store import DeadLetter, Flag, SeriesRow, SeriesStore

from .mapping import reading_flags, reading_row

__all__ = ["IngestService", "IngestStats"]

logger = logging.getLogger(__name__)

SESSION_EXPIRY_S = 7 * 24 * 3600  # the broker keeps our queue for a week of downtime
MAX_STORE_BACKOFF_S = (
    10.0  # after an outage, writing resumes at most this long after the store is back
)
DEAD_LETTER_PAYLOAD_BYTES = 16 * 1024  # InfluxDB 1.x keeps string fields up to 64 KiB (base64: 4/3)


@dataclass
class IngestStats:
    """Counters published on the ingest status topic."""

    received: int = 0
    redelivered: int = 0  # deliveries the broker marked DUP: a resend of one not acknowledged
    stored_messages: int = 0
    stored_values: int = 0
    dead_letters: int = 0
    dead_by_reason: dict[str, int] = field(default_factory=dict)
    unknown_meters: set[str] = field(default_factory=set)
    store_errors: int = 0
    stale_acks: int = 0  # stored, but delivered on a connection since lost: their ack was dropped
    batches: int = 0
    last_batch_ms: float = 0.0

    def as_dict(self, rate: float) -> dict[str, object]:
        return {
            "received": self.received,
            "redelivered": self.redelivered,
            "stored_messages": self.stored_messages,
            "stored_values": self.stored_values,
            "messages_per_s": round(rate, 1),
            "dead_letters": self.dead_letters,
            "dead_by_reason": dict(self.dead_by_reason),  # copies: the batch thread updates them
            "unknown_meters": sorted(list(self.unknown_meters)),
            "store_errors": self.store_errors,
            "stale_acks": self.stale_acks,
            "batches": self.batches,
            "batch_latency_ms": round(self.last_batch_ms, 1),
        }


class Inbound(NamedTuple):
    """What ingest keeps of a delivered message until it is acknowledged.

    Not paho's ``MQTTMessage``: under MQTT 5 each one carries a ``Properties`` object of some
    sixty containers, and holding a window of thousands of them made the garbage collector's
    full passes the largest cost of ingest. A tuple of atoms is freed by reference counting
    alone and is never scanned.
    """

    mid: int
    qos: int
    topic: str
    payload: bytes
    connection: int  # which connection delivered it: its mid means nothing on another one


class Prepared(NamedTuple):
    """A valid message and what it becomes in the store."""

    message: Inbound
    row: SeriesRow
    flags: list[Flag]


class IngestService:
    """Subscribes to reading messages and stores them, acknowledging after the write."""

    def __init__(
        self, config: SiteConfig, store: SeriesStore, *, status_interval: float = 10.0
    ) -> None:
        self.config = config
        self.settings = config.ingest
        self.store = store
        self.status_interval = status_interval
        self.stats = IngestStats()
        self.known = {(config.site.id, m.id) for m in config.meters}
        # paho's thread appends, the batch thread pops: deque operations are atomic, and the
        # two events spare a lock round trip per message (queue.Queue cost ~10 us a message).
        self._inbox: deque[Inbound] = deque()
        self._arrived = threading.Event()  # the inbox is not empty
        self._full = threading.Event()  # the inbox holds a whole batch
        self._stop = threading.Event()
        self.failure: Exception | None = (
            None  # set when the batch thread died: nothing more is stored
        )
        self._thread: threading.Thread | None = None
        self._status_thread: threading.Thread | None = None
        self._rate = 0.0  # messages stored per second over the last status interval
        self.status_topic = f"plantmeter/_ingest/{self.settings.client_id}/status"
        self.mqtt5 = self.settings.mqtt_version == "5"
        self.client = make_client(
            config.broker,
            self.settings.client_id,
            mqtt5=self.mqtt5,
            manual_ack=True,
            will=(self.status_topic, b'{"state":"offline"}'),
        )
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_disconnect = self._on_disconnect
        self.client.on_connect_fail = self._on_connect_fail
        self.client.on_pre_connect = self._on_pre_connect
        # The connection number: bumped (under the lock) when a connection is lost and before
        # each new one, so no ack of an old connection's message goes out on the new one.
        self._connection = 0
        self._ack_lock = threading.Lock()
        self._unreachable = Problems(logger, logging.ERROR)
        self._dead_kinds = Problems(logger)  # one warning per topic and reason, then DEBUG
        self.connected = threading.Event()

    # paho thread ---------------------------------------------------------------
    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        if reason.is_failure:
            logger.error("broker %s refused ingest: %s", broker_label(self.config.broker), reason)
            return
        self._unreachable.clear(
            "broker", "broker %s is reachable again", broker_label(self.config.broker)
        )
        group = self.settings.group
        topic = f"$share/{group}/{READING_SUBSCRIPTION}" if group else READING_SUBSCRIPTION
        client.subscribe(topic, qos=1)
        self._publish_status()  # birth message: after the SUBSCRIBE, so "online" means subscribed
        logger.info(
            "ingest %s connected to %s (session present: %s), subscribed to %s",
            self.settings.client_id,
            broker_label(self.config.broker),
            flags.session_present,
            topic,
        )
        self.connected.set()

    def _on_connect_fail(self, client: mqtt.Client, userdata: Any) -> None:
        self._unreachable.report(
            "broker",
            "ingest cannot reach the broker at %s (nothing answers there); retrying with backoff: "
            "check broker.url and that the broker runs",
            broker_label(self.config.broker),
        )

    def _on_disconnect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        self._next_connection()
        if self.connected.is_set() and not self._stop.is_set():
            logger.error("ingest lost the broker (%s); reconnecting", reason)
        self.connected.clear()

    def _on_pre_connect(self, client: mqtt.Client, userdata: Any) -> None:
        self._next_connection()  # paho calls this before sending CONNECT, on every (re)connect

    def _next_connection(self) -> None:
        with self._ack_lock:
            self._connection += 1

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        try:
            topic = message.topic
        except (
            UnicodeDecodeError
        ):  # brokers refuse these; should one pass, it becomes a dead letter
            topic = repr(message._topic)  # the raw bytes, for the dead letter
        if message.dup:
            self.stats.redelivered += 1  # stored again idempotently: same key, last value wins
        inbox = self._inbox
        inbox.append(Inbound(message.mid, message.qos, topic, message.payload, self._connection))
        if not self._arrived.is_set():
            self._arrived.set()
        if len(inbox) >= self.settings.batch_size and not self._full.is_set():
            self._full.set()

    @property
    def backlog(self) -> int:
        """Messages received from the broker and not yet handed to a batch."""
        return len(self._inbox)

    # lifecycle -----------------------------------------------------------------
    def start(self) -> None:
        """Connect and start the batch thread (returns at once)."""
        broker = self.config.broker
        if self.mqtt5:
            props = Properties(PacketTypes.CONNECT)
            props.SessionExpiryInterval = SESSION_EXPIRY_S
            props.ReceiveMaximum = self.settings.receive_maximum
            self.client.connect_async(
                broker.host,
                broker.port,
                keepalive=int(broker.keepalive),
                clean_start=False,
                properties=props,
            )
        else:  # MQTT 3.1.1: persistent session through clean_session=False (set by make_client)
            self.client.connect_async(broker.host, broker.port, keepalive=int(broker.keepalive))
        self.client.loop_start()
        self._thread = threading.Thread(target=self._batch_loop, name="ingest-batches")
        self._thread.start()
        self._status_thread = threading.Thread(target=self._status_loop, name="ingest-status")
        self._status_thread.start()

    def stop(self) -> None:
        """Finish the current batch, then disconnect; unacknowledged messages stay with the broker."""
        self._stop.set()
        for thread in (self._thread, self._status_thread):
            if thread is not None:
                thread.join()
        self.client.publish(self.status_topic, b'{"state":"offline"}', qos=1, retain=True)
        self.client.disconnect()
        self.client.loop_stop()
        logger.info(
            "ingest stopped: %d messages stored, %d dead letters",
            self.stats.stored_messages,
            self.stats.dead_letters,
        )

    def run_forever(self, stop: threading.Event) -> None:
        """Run until ``stop`` is set (the CLI sets it on Ctrl-C).

        Raises ``IngestError`` if the batch thread failed: a process that can no longer store
        must exit (and be restarted by its supervisor) rather than stay subscribed doing nothing.
        """
        self.start()
        try:
            while not stop.wait(0.5) and self.failure is None:
                pass
        finally:
            self.stop()
        self.raise_if_failed()

    @property
    def failed(self) -> bool:
        """True once the batch thread has died: nothing more will be stored."""
        return self.failure is not None

    def raise_if_failed(self) -> None:
        """``IngestError`` naming the error that stopped the batch thread, if one did."""
        if self.failure is not None:
            raise IngestError(
                f"ingest stopped after an unexpected error: {type(self.failure).__name__}: {self.failure}. "
                "Nothing was lost: unacknowledged messages wait in the broker session for the restart; "
                "the traceback is in the log above"
            ) from self.failure

    # batch thread --------------------------------------------------------------
    def _collect(self) -> list[Inbound]:
        """Up to ``batch_size`` messages: as soon as that many are waiting, or what arrived
        within ``batch_interval`` of the first one."""
        if not self._inbox and not self._arrived.wait(0.2):
            return []
        if len(self._inbox) < self.settings.batch_size:
            self._full.wait(self.settings.batch_interval)
        inbox = self._inbox
        batch = [inbox.popleft() for _ in range(min(len(inbox), self.settings.batch_size))]
        # Clear the events before re-checking, so that a message arriving in between sets them again.
        self._full.clear()
        self._arrived.clear()
        if len(inbox) >= self.settings.batch_size:
            self._full.set()
        if inbox:
            self._arrived.set()
        return batch

    def _batch_loop(self) -> None:
        try:
            while not self._stop.is_set():
                batch = self._collect()
                if batch:
                    self._store_with_retry(batch)
        except Exception as exc:  # a bug or an error no store maps: never hang subscribed
            self.failure = exc
            logger.critical(
                "ingest cannot go on: %s: %s; stopping (its unacknowledged messages stay with the broker)",
                type(exc).__name__,
                exc,
                exc_info=True,
            )
            self._publish_status()

    # status thread (its own, so that status keeps coming while the store is down) ---------
    def _status_loop(self) -> None:
        last, stored_then = time.monotonic(), self.stats.stored_messages
        while not self._stop.wait(self.status_interval):
            now, stored = time.monotonic(), self.stats.stored_messages
            self._rate = (stored - stored_then) / (now - last)
            last, stored_then = now, stored
            self._publish_status()
            logger.info(
                "ingest: %.1f msg/s, %d stored, %d dead letters, %d store errors, last batch %.1f ms",
                self._rate,
                stored,
                self.stats.dead_letters,
                self.stats.store_errors,
                self.stats.last_batch_ms,
            )

    def _publish_status(self) -> None:
        """Publish the counters (retained) on ``plantmeter/_ingest/<client_id>/status``."""
        state = (
            "failed" if self.failure is not None else "online"
        )  # failed: connected, storing nothing
        status = self.stats.as_dict(self._rate) | {"state": state, "ts": int(time.time() * 1000)}
        self.client.publish(self.status_topic, json.dumps(status).encode(), qos=1, retain=True)

    def _prepare(self, batch: list[Inbound]) -> tuple[list[Prepared], list[DeadLetter]]:
        """Decode and check each message: what to store per message, and the dead letters."""
        prepared: list[Prepared] = []
        dead: list[DeadLetter] = []
        now_ms = int(time.time() * 1000)
        for message in batch:
            try:
                reading = decode_reading(message.payload, message.topic, now_ms=now_ms)
            except MessageError as exc:
                dead.append(_dead_letter(message, now_ms, exc.reason, exc.detail))
                continue
            if (reading.site, reading.meter) not in self.known:
                if self.settings.unknown_meters == "reject":
                    dead.append(
                        _dead_letter(
                            message,
                            now_ms,
                            "unknown_meter",
                            f"meter {reading.meter!r} is not in the site file",
                        )
                    )
                    continue
                if reading.meter not in self.stats.unknown_meters:
                    logger.warning(
                        "storing readings of meter %s/%s, which is not in the site file; add it there "
                        "(or set ingest.unknown_meters: reject)",
                        reading.site,
                        reading.meter,
                    )
                    self.stats.unknown_meters.add(reading.meter)
            prepared.append(Prepared(message, reading_row(reading), reading_flags(reading)))
        return prepared, dead

    def _write(self, prepared: list[Prepared]) -> list[tuple[Prepared, str]]:
        """Write the batch. If the store refuses it for good (not an outage), write the readings
        one by one and return those it refuses, with why: one bad reading must not hold the
        stream up for ever, nor take the good ones down with it."""
        try:
            self._write_readings(prepared)
            return []
        except StoreUnavailable:
            raise
        except StoreError as exc:
            logger.error(
                "store refused a batch of %d readings (%s); writing them one by one",
                len(prepared),
                exc,
            )
        rejected = []
        for item in prepared:
            try:
                self._write_readings([item])
            except StoreUnavailable:
                raise
            except StoreError as exc:
                rejected.append((item, str(exc)))
        return rejected

    def _write_readings(self, prepared: list[Prepared]) -> None:
        self.store.write_rows([item.row for item in prepared])
        flags = [f for item in prepared for f in item.flags]
        if flags:
            self.store.write_flags(flags)

    def _keep_dead_letters(self, letters: list[DeadLetter]) -> None:
        """Store dead letters; if the store refuses them for good, log each one in full
        (reason, topic, payload) rather than hold the stream up for ever. An outage is retried."""
        try:
            self.store.write_dead_letters(letters)
        except StoreUnavailable:
            raise
        except StoreError as exc:
            for letter in letters:
                logger.error(
                    "store refused dead letter (%s); kept here instead: topic %s reason %s detail %s payload %r",
                    exc,
                    letter.topic,
                    letter.reason,
                    letter.detail,
                    letter.payload,
                )

    def _store_with_retry(self, batch: list[Inbound]) -> None:
        self.stats.received += len(batch)
        prepared, dead = self._prepare(batch)
        backoff = 0.5
        failing = False
        while True:
            started = time.monotonic()
            try:
                rejected = self._write(prepared)
                now_ms = int(time.time() * 1000)
                letters = dead + [
                    _dead_letter(item.message, now_ms, "store_rejected", why)
                    for item, why in rejected
                ]
                if letters:
                    self._keep_dead_letters(letters)
                break
            except StoreError as exc:
                self.stats.store_errors += 1
                if not failing:
                    kind = "unavailable" if isinstance(exc, StoreUnavailable) else "failed"
                    logger.error(
                        "store %s: %s; holding %d messages unacknowledged and retrying",
                        kind,
                        exc,
                        len(batch),
                    )
                    failing = True
                else:
                    logger.debug("store still failing: %s", exc)
                if self._stop.wait(backoff):
                    return  # shutting down: the broker keeps the unacknowledged messages
                backoff = min(backoff * 2, MAX_STORE_BACKOFF_S)
        if failing:
            logger.info("store is back; resumed writing")
        self.stats.last_batch_ms = (time.monotonic() - started) * 1000
        self.stats.batches += 1
        for letter in letters:
            self.stats.dead_by_reason[letter.reason] = (
                self.stats.dead_by_reason.get(letter.reason, 0) + 1
            )
            self._dead_kinds.report(
                (letter.topic, letter.reason),
                "dead letter from %s: %s: %s (kept in the dead-letter table; further ones of this "
                "topic and reason are logged at DEBUG and counted in the ingest status)",
                letter.topic,
                letter.reason,
                letter.detail,
            )
        self.stats.dead_letters += len(letters)
        self.stats.stored_messages += len(batch) - len(letters)
        self.stats.stored_values += sum(len(item.row.values) for item in prepared) - sum(
            len(item.row.values) for item, _ in rejected
        )
        self._ack(batch)

    def _ack(self, batch: list[Inbound]) -> None:
        """Acknowledge the messages of the current connection; drop the others' acks."""
        stale = 0
        with self._ack_lock:
            current = self._connection
            for message in batch:
                if message.connection == current:
                    self.client.ack(message.mid, message.qos)
                else:
                    stale += 1
        if stale:
            self.stats.stale_acks += stale
            logger.info(
                "%d stored messages came on a connection since lost; not acknowledging them on the new "
                "one (the broker redelivers them if it kept the session; stored once)",
                stale,
            )


def _dead_letter(message: Inbound, now_ms: int, reason: str, detail: str) -> DeadLetter:
    """A message that cannot be stored, with why; the first 16 KiB of its payload are kept."""
    return DeadLetter(
        now_ms, message.topic, reason, detail, bytes(message.payload[:DEAD_LETTER_PAYLOAD_BYTES])
    )
