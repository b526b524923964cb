"""``plantmeter demo``: the whole chain on one machine with embedded defaults.

simulator (firmware_sim, Modbus TCP) -> gateway -> embedded MQTT broker (amqtt) ->
ingest -> SQLite, on the dairy example, until Ctrl-C (or ``--duration``). Like
``plantmeter_app.cli`` this module is a composition root: it wires every package together.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.resources
import logging
import socket
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["example_dir", "register", "run_demo"]

logger = logging.getLogger("plantmeter.demo")


def example_dir(name: str = "dairy") -> Path:
    """The folder of the example site ``name`` (its site, scenario and M&V plan files).

    One real location, ``examples/`` at the top of the repository, which the wheel ships as
    ``plantmeter_app/examples`` (pyproject.toml ``package-dir``): found there with
    importlib.resources when installed, else in the clone this module runs from.
    """
    packaged = importlib.resources.files("plantmeter_app") / "examples" / name
    if isinstance(packaged, Path) and packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "examples" / name


EXAMPLE = example_dir()


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser(
        "demo",
        help="run simulator + gateway + embedded broker + ingest on the dairy example",
        description="Run the whole metering chain on one machine: the simulated dairy meters over Modbus "
        "TCP, the gateway, an embedded MQTT broker and ingest into SQLite (var/dairy.db under the current "
        f"directory). Stop with Ctrl-C, then look at the data with `plantmeter export {EXAMPLE / 'site.yaml'} "
        "--meter main-elec` (the demo prints this line when it stops). Needs the 'demo' extra "
        "(the embedded broker): pip install 'plantmeter[demo]'.",
    )
    p.add_argument(
        "--site", type=Path, default=EXAMPLE / "site.yaml", help="site file (default: the dairy)"
    )
    p.add_argument(
        "--scenario", type=Path, default=EXAMPLE / "scenario.yaml", help="simulator scenario"
    )
    p.add_argument(
        "--speed",
        type=float,
        default=1.0,
        help="simulated seconds per real second (default 1: the meters keep the wall clock, so "
        "the series stay continuous across demo runs)",
    )
    p.add_argument(
        "--poll", type=float, default=2.0, help="seconds between polls of every meter (default 2)"
    )
    p.add_argument(
        "--duration",
        type=float,
        default=None,
        help="stop after this many seconds (default: Ctrl-C)",
    )
    p.add_argument(
        "--store",
        default=None,
        help="store URL (default: the site file's, or PLANTMETER_STORE_URL)",
    )
    p.set_defaults(func=_run)


def _free_port(preferred: int) -> int:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", preferred))
        except OSError:
            s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(args: argparse.Namespace) -> int:
    from .runtime import run_until_signal

    async def service(stop: asyncio.Event) -> None:
        await run_demo(
            args.site,
            args.scenario,
            stop,
            speed=args.speed,
            duration=args.duration,
            store_url=args.store,
            poll=args.poll,
        )

    run_until_signal(service)
    return 0


async def run_demo(
    site_path: Path,
    scenario_path: Path,
    stop: asyncio.Event,
    *,
    speed: float = 1.0,
    duration: float | None = None,
    store_url: str | None = None,
    broker_port: int | None = None,
    poll: float = 2.0,
) -> dict[str, Any]:
    """Run the chain until ``stop`` (or ``duration``); returns a summary of what was stored."""
    import firmware_sim
    from amqtt.broker import Broker

    from gateway.service import Gateway
    from ingest.service import IngestService
    from ingest.stores import open_store
    from plantmeter.config import BrokerConfig, IngestConfig, StoreConfig, load_site

    config = load_site(site_path)
    scenario = firmware_sim.load_scenario(scenario_path)
    port = broker_port or _free_port(1883)
    for noisy in ("amqtt", "transitions"):  # the embedded broker's start-up chatter
        logging.getLogger(noisy).setLevel(logging.ERROR)
    broker = Broker(
        {
            "listeners": {"default": {"type": "tcp", "bind": f"127.0.0.1:{port}"}},
            "sys_interval": 0,
            "auth": {"allow-anonymous": True, "plugins": ["auth_anonymous"]},
            "topic-check": {"enabled": False},
        }
    )
    await broker.start()
    bus = firmware_sim.MeterBus(
        scenario, port_overrides={b.id: _free_port(b.port or 0) for b in config.buses}, speed=speed
    )
    await bus.start()
    # point the site at what is actually running: the simulator's ports and the embedded broker
    buses = [b.model_copy(update={"port": bus.ports.get(b.id, b.port)}) for b in config.buses]
    config = config.model_copy(
        update={
            "buses": buses,
            "meters": [m.model_copy(update={"poll": poll}) for m in config.meters],
            "broker": BrokerConfig(url=f"mqtt://127.0.0.1:{port}"),
            "ingest": IngestConfig(
                mqtt_version="3.1.1", group="", batch_interval=0.5, client_id="demo-ingest"
            ),
            "store": StoreConfig(url=store_url or config.store.url),
        }
    )
    store = open_store(config.store.url)
    ingest = IngestService(config, store, status_interval=30.0)
    gateway = Gateway(config, base_dir=Path.cwd())
    logger.info(
        "demo: simulator on %s, broker on 127.0.0.1:%d, store %s, speed x%g; Ctrl-C to stop",
        ", ".join(f"{k}={v}" for k, v in bus.ports.items()),
        port,
        config.store.url,
        speed,
    )
    ingest.start()
    gateway_task = asyncio.create_task(gateway.run(stop))
    import pandas as pd

    started = time.monotonic()
    since = pd.Timestamp.now(tz="UTC")  # what this run stored: the store may hold earlier runs
    summary: dict[str, Any] = {}
    try:
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), timeout=10.0)
            except TimeoutError:
                pass
            summary = _summarise(store, config.site.id, [m.id for m in config.meters], since)
            logger.info("demo: now %s", _live_line(store, config.site.id))
            logger.info(
                "demo: stored readings per meter: %s",
                ", ".join(f"{k}={v}" for k, v in summary.items()),
            )
            if duration is not None and time.monotonic() - started >= duration:
                stop.set()
            if ingest.failed or gateway_task.done():  # the cause is logged; raised below
                which = "ingest" if ingest.failed else "gateway"
                logger.error("demo: %s stopped unexpectedly; stopping the demo", which)
                stop.set()
    finally:
        stop.set()
        await gateway_task
        await asyncio.to_thread(ingest.stop)
        await bus.stop()
        await broker.shutdown()
        summary = _summarise(store, config.site.id, [m.id for m in config.meters], since)
        store.close()
        logger.info(
            "demo stopped. See the data: plantmeter export %s --meter main-elec",
            site_path,
        )
    ingest.raise_if_failed()
    return summary


def _summarise(store: Any, site: str, meters: list[str], since: pd.Timestamp) -> dict[str, int]:
    """Readings stored per meter since the demo started (not the whole history, every 10 s)."""
    return {m: len(store.read(site, m, start=since)) for m in meters}


# what a plant manager glances at: one instantaneous quantity per meter
_LIVE = (("power_total", "kW", 0.001), ("flow_rate", "m3/h", 1.0), ("temperature", "degC", 1.0))


def _live_line(store: Any, site: str) -> str:
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
