"""The live chain of the demo, in this process: the simulated meter bus (Modbus TCP), the
embedded MQTT broker (amqtt, unless ``--broker`` names a real one), the gateway and ingest.

``Chain.start`` binds everything on free loopback ports; ``Chain.stop`` closes it in the
reverse order of the data flow (gateway, ingest, simulator, broker), so no socket stays open.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Chain", "free_port", "live_line", "stored_since"]

logger = logging.getLogger(__name__)


def free_port() -> int:
    """A TCP port nothing listens on now (the kernel's choice)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Chain:
    """Simulator, broker (embedded when ``broker_url`` is None), gateway and ingest."""

    scenario: Any
    speed: float
    sim_start: float
    broker_url: str | None = None
    bus: Any = None
    broker: Any = None
    gateway_task: asyncio.Task[None] | None = None
    ingest: Any = None
    store: Any = None
    stop_event: asyncio.Event = field(default_factory=asyncio.Event)

    async def start_bus(self) -> dict[str, int]:
        """Start the simulated meters on free ports; their ports per bus id."""
        import firmware_sim

        self.bus = firmware_sim.MeterBus(
            self.scenario,
            port_overrides={b.id: 0 for b in self.scenario.buses if b.transport != "rtu"},
            speed=self.speed,
            start_time=self.sim_start,
        )
        await self.bus.start()
        return dict(self.bus.ports)

    async def start_broker(self) -> str:
        """The embedded broker on a free port (or the ``--broker`` URL as given); its URL."""
        if self.broker_url is not None:
            return self.broker_url
        from amqtt.broker import Broker

        for noisy in ("amqtt", "transitions"):  # the embedded broker's start-up chatter
            logging.getLogger(noisy).setLevel(logging.ERROR)
        port = free_port()
        self.broker = Broker(
            {
                "listeners": {"default": {"type": "tcp", "bind": f"127.0.0.1:{port}"}},
                "sys_interval": 0,
                "auth": {"allow-anonymous": True, "plugins": ["auth_anonymous"]},
                "topic-check": {"enabled": False},
            }
        )
        await self.broker.start()
        return f"mqtt://127.0.0.1:{port}"

    def start_flow(self, site_path: Path, base_dir: Path) -> None:
        """Gateway and ingest on the demo's site file (the store it names is opened here)."""
        from gateway.service import Gateway
        from ingest.service import IngestService
        from ingest.stores import open_store
        from plantmeter.config import load_site

        config = load_site(site_path)
        self.store = open_store(config.store.url)
        self.ingest = IngestService(config, self.store, status_interval=30.0)
        self.ingest.start()
        gateway = Gateway(config, base_dir=base_dir)
        self.gateway_task = asyncio.create_task(gateway.run(self.stop_event))

    def failed(self) -> str | None:
        """Which part stopped on its own (its cause is logged), or None."""
        if self.ingest is not None and self.ingest.failed:
            return "ingest"
        if self.gateway_task is not None and self.gateway_task.done():
            return "gateway"
        return None

    def sim_time(self) -> float:
        return float(self.bus.clock.now()) if self.bus is not None else 0.0

    def trim_served(self) -> None:
        """The simulator logs every value it serves (for tests); a long demo keeps none."""
        if self.bus is not None:
            for meter in self.bus.meters.values():
                meter.served.clear()

    async def stop(self) -> None:
        self.stop_event.set()
        if self.gateway_task is not None:
            await self.gateway_task
        if self.ingest is not None:
            await asyncio.to_thread(self.ingest.stop)
        if self.bus is not None:
            await self.bus.stop()
        if self.broker is not None:
            await self.broker.shutdown()
            self.broker = None
        if self.store is not None:
            self.store.close()
            self.store = None
        if self.ingest is not None:
            ingest, self.ingest = self.ingest, None
            ingest.raise_if_failed()


def stored_since(store: Any, site: str, meters: list[str], since: Any) -> dict[str, int]:
    """Readings stored per meter since ``since`` (what this run added)."""
    return {m: len(store.read(site, m, start=since)) for m in meters}


# what a plant manager glances at: one instantaneous quantity per meter
_LIVE = (("power_total", "kW", 0.001), ("flow_rate", "m3/h", 1.0), ("temperature", "degC", 1.0))


def live_line(store: Any, site: str) -> str:
    import pandas as pd

    parts = []
    recent = pd.Timestamp.now(tz="UTC") - pd.Timedelta(minutes=10)
    for _site, meter in store.meters(site):
        frame = store.read(site, meter, start=recent).tail(1)
        for quantity, unit, factor in _LIVE:
            if quantity in frame.columns and frame[quantity].notna().any():
                parts.append(f"{meter} {frame[quantity].iloc[-1] * factor:,.1f} {unit}")
                break
    return ", ".join(parts) or "waiting for the first readings"
