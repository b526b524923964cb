"""The gateway service: buses, meter pollers, outbox and publisher, wired from a site config."""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import time
from pathlib import Path

from plantmeter.config import MeterConfig, SiteConfig
from plantmeter.errors import MeterReadError
from plantmeter.logstate import Problems
from plantmeter.message import gateway_status_topic, meter_status_topic
from plantmeter.mqtt import broker_label, make_client

from .discovery import discovery_messages, legacy_topics
from .modbus import BusClient
from .outbox import Outbox
from .poller import MeterHealth, MeterPoller, PollResult
from .publisher import OutboxPublisher

__all__ = ["Gateway"]

logger = logging.getLogger(__name__)


class Gateway:
    """Polls every meter of a site and publishes readings through the on-disk outbox."""

    def __init__(
        self,
        config: SiteConfig,
        base_dir: Path | None = None,
        status_interval: float = 30.0,
        back_to_back: bool = False,
    ) -> None:
        """``back_to_back`` polls without waiting for the schedule: only for capacity benchmarks."""
        self.config = config
        self.site = config.site.id
        self.gateway_id = config.gateway.id
        self.base_dir = base_dir or Path(".")
        self.status_interval = status_interval
        self.back_to_back = back_to_back
        self.buses: dict[str, BusClient] = {}  # built inside the event loop (pymodbus needs one)
        self.outbox: Outbox | None = None
        self.publisher: OutboxPublisher | None = None
        self.pollers: list[MeterPoller] = []
        self._staged = asyncio.Event()
        self._disk = Problems(logger, logging.ERROR)

    def _make_pollers(self, outbox: Outbox | None) -> list[MeterPoller]:
        self.buses = {b.id: BusClient(b) for b in self.config.buses}
        pollers = []
        for meter in self.config.meters:
            profile = self.config.profile_for(meter, self.base_dir)
            pollers.append(
                MeterPoller(
                    self.site,
                    self.gateway_id,
                    meter,
                    profile,
                    self.buses[meter.bus],
                    outbox,
                    on_queued=self._queued,
                    on_status=self._meter_status,
                )
            )
        return pollers

    def _queued(self) -> None:
        self._staged.set()

    async def _flush_loop(self, stop: asyncio.Event) -> None:
        """Group commit: staged readings reach the disk together, off the event loop, then the publisher."""
        assert self.outbox is not None and self.publisher is not None
        while True:
            stopping = stop.is_set()
            if self.outbox.staged:
                try:
                    await asyncio.to_thread(self.outbox.flush)
                except sqlite3.Error as exc:  # a full disk: the readings stay staged in memory
                    self._disk.report(
                        "outbox",
                        "cannot write the outbox %s (%s): %d readings held in memory until it can; "
                        "free space on its disk",
                        self.outbox.path,
                        exc,
                        self.outbox.staged,
                    )
                    if stopping:
                        logger.error("stopping with %d readings not written", self.outbox.staged)
                        return
                    await asyncio.sleep(1.0)
                    continue
                self._disk.clear("outbox", "outbox %s written again", self.outbox.path)
                self.publisher.notify()
            if stopping:
                return
            self._staged.clear()
            try:
                await asyncio.wait_for(self._staged.wait(), timeout=0.2)
            except TimeoutError:
                pass
            await asyncio.sleep(0.01)  # let a burst of polls gather into one transaction

    def _meter_status(self, meter: MeterConfig, health: MeterHealth) -> None:
        if self.publisher is not None:
            payload = json.dumps(health.as_dict()).encode()
            self.publisher.client.publish(
                meter_status_topic(self.site, meter.id), payload, qos=1, retain=True
            )

    def status(self) -> dict[str, object]:
        """The gateway's status message: health counters per meter, queue depth, latency."""
        pub = self.publisher
        return {
            "state": "online",
            "gateway": self.gateway_id,
            "ts": int(time.time() * 1000),
            "queue_depth": self.outbox.depth if self.outbox else 0,
            "dropped": self.outbox.dropped if self.outbox else 0,
            "in_flight": pub.in_flight if pub else 0,
            "published": pub.published if pub else 0,
            "acknowledged": pub.acked if pub else 0,
            "publish_latency_ms": round(pub.latency_ms_last, 1) if pub else None,
            "meters": {p.meter.id: p.health.as_dict() for p in self.pollers},
        }

    async def run(self, stop: asyncio.Event) -> None:
        """Poll and publish until ``stop`` is set; then flush what the broker will take and close."""
        gw = self.config.gateway
        outbox_path = gw.outbox if gw.outbox.is_absolute() else self.base_dir / gw.outbox
        self.outbox = Outbox(outbox_path, gw.outbox_max_messages, gw.outbox_full_policy)
        status_topic = gateway_status_topic(self.site, self.gateway_id)
        client = make_client(
            self.config.broker,
            f"plantmeter-gw-{self.site}-{self.gateway_id}",
            will=(
                status_topic,
                json.dumps({"state": "offline", "gateway": self.gateway_id}).encode(),
            ),
        )
        self.publisher = OutboxPublisher(
            client,
            self.outbox,
            max_rate=gw.replay_rate,
            broker=broker_label(self.config.broker),
            replay_window=gw.broker_replay_window,
        )
        self.pollers = self._make_pollers(self.outbox)
        live_rate = sum(1.0 / p.meter.poll for p in self.pollers)
        if live_rate > 0.8 * gw.replay_rate:
            logger.warning(
                "meters produce %.0f readings/s, close to replay_rate %.0f/s: a backlog would drain slowly; "
                "raise gateway.replay_rate",
                live_rate,
                gw.replay_rate,
            )
        logger.info(
            "gateway %s: %d meters on %d buses, broker %s, outbox %s (%d waiting)",
            self.gateway_id,
            len(self.pollers),
            len(self.buses),
            broker_label(self.config.broker),
            outbox_path,
            self.outbox.depth,
        )
        client.connect_async(
            self.config.broker.host,
            self.config.broker.port,
            keepalive=int(self.config.broker.keepalive),
        )
        client.loop_start()
        try:
            tasks = [
                asyncio.create_task(self.publisher.run(stop), name="publisher"),
                asyncio.create_task(self._flush_loop(stop), name="outbox-flush"),
            ]
            tasks += [
                asyncio.create_task(p.run(stop, self.back_to_back), name=f"poll-{p.meter.id}")
                for p in self.pollers
            ]
            tasks.append(asyncio.create_task(self._status_loop(stop, status_topic), name="status"))
            await asyncio.gather(*tasks)
        finally:
            if self.publisher.connected:
                client.publish(
                    status_topic,
                    json.dumps({"state": "offline", "gateway": self.gateway_id}).encode(),
                    qos=1,
                    retain=True,
                )
            self.publisher.closing = True
            client.disconnect()
            client.loop_stop()
            for bus in self.buses.values():
                bus.close()
            logger.info(
                "gateway stopped; %d messages wait in the outbox for the next start",
                self.outbox.depth,
            )
            self.outbox.close()

    async def _status_loop(self, stop: asyncio.Event, topic: str) -> None:
        announced = False
        while not stop.is_set():
            assert self.publisher is not None
            if self.publisher.connected:
                if not announced and self.config.gateway.homeassistant_discovery:
                    self._announce_discovery()
                for poller in self.pollers if not announced else []:
                    self._meter_status(poller.meter, poller.health)
                announced = True
                self.publisher.client.publish(
                    topic, json.dumps(self.status()).encode(), qos=1, retain=True
                )
            try:
                await asyncio.wait_for(
                    stop.wait(), timeout=self.status_interval if announced else 0.5
                )
            except TimeoutError:
                pass

    def _announce_discovery(self) -> None:
        """Home Assistant configs, retained; first an empty message on each topic of the
        releases before the id escaping, which removes those entities from HA."""
        assert self.publisher is not None
        client = self.publisher.client
        for poller in self.pollers:
            for topic in legacy_topics(self.site, poller.meter, poller.profile):
                client.publish(topic, b"", qos=1, retain=True)
        for poller in self.pollers:
            for topic, payload in discovery_messages(
                self.site, self.gateway_id, poller.meter, poller.profile
            ):
                client.publish(topic, payload, qos=1, retain=True)

    async def poll_once(self) -> dict[str, PollResult | MeterReadError]:
        """Read every meter once without publishing (``--dry-run``)."""
        self.pollers = self._make_pollers(None)
        results: dict[str, PollResult | MeterReadError] = {}

        async def one(poller: MeterPoller) -> None:
            try:
                results[poller.meter.id] = await poller.read_once()
            except MeterReadError as exc:
                results[poller.meter.id] = exc

        try:
            await asyncio.gather(*(one(p) for p in self.pollers))
        finally:
            for bus in self.buses.values():
                bus.close()
        return results
