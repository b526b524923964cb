"""Gateway capacity against a bare pymodbus client, on the same simulated meters, in one run.

    python -m bench.gateway [--meters 10 100 500] [--seconds 10]

For each N: the simulator (its own process) serves N Eastron SDM630 meters, ten unit ids
behind each Modbus TCP port. Two clients read them back to back for a fixed time, one bus
task per port, meters on a port one after the other:

* **bare**: pymodbus ``read_input_registers`` for the same coalesced requests, nothing else;
* **gateway**: the real gateway (decode, sanity checks, counter watch, on-disk outbox with
  ``synchronous=FULL``, publish QoS 1 to a real Mosquitto, delete on PUBACK).

It prints polls/s, client CPU per poll and the ratio gateway/bare. A poll is one meter
read completely (all its requests).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from pymodbus.client import AsyncModbusTcpClient

from bench.servers import MosquittoServer, free_port, wait_for_port
from gateway.requests import plan_requests
from gateway.service import Gateway
from plantmeter.config import SiteConfig
from plantmeter.profile import load_profile

UNITS_PER_BUS = 10


def scenario(n: int, ports: list[int]) -> dict:
    buses = [{"id": f"bus-{i}", "transport": "tcp", "port": p} for i, p in enumerate(ports)]
    meters = [
        {
            "id": f"m{k}",
            "bus": f"bus-{k // UNITS_PER_BUS}",
            "unit_id": k % UNITS_PER_BUS + 1,
            "profile": "eastron-sdm630",
            "kind": "electricity",
            "initial": 1000.0 + k,
            "load": {"base": 5.0, "shift": 10.0, "noise": 0.05},
        }
        for k in range(n)
    ]
    return {
        "site": {"id": "bench", "timezone": "UTC"},
        "start": "2025-01-01",
        "end": "2030-01-01",
        "seed": 1,
        "buses": buses,
        "meters": meters,
    }


def site(n: int, ports: list[int], broker: str, workdir: Path) -> SiteConfig:
    return SiteConfig.model_validate(
        {
            "site": {"id": "bench"},
            "broker": {"url": broker},
            "gateway": {"id": "bench-gw", "outbox": str(workdir / "outbox.db"), "replay_rate": 1e6},
            "buses": [
                {
                    "id": f"bus-{i}",
                    "transport": "tcp",
                    "host": "127.0.0.1",
                    "port": p,
                    "timeout": "2s",
                }
                for i, p in enumerate(ports)
            ],
            "meters": [
                {
                    "id": f"m{k}",
                    "bus": f"bus-{k // UNITS_PER_BUS}",
                    "unit_id": k % UNITS_PER_BUS + 1,
                    "profile": "eastron-sdm630",
                    "kind": "electricity",
                    "poll": "1s",
                }
                for k in range(n)
            ],
        }
    )


async def bare(ports: list[int], n: int, seconds: float) -> int:
    requests = plan_requests(load_profile("eastron-sdm630"))
    polls = 0
    stop_at = time.monotonic() + seconds

    async def one_bus(index: int, port: int) -> None:
        nonlocal polls
        units = [k % UNITS_PER_BUS + 1 for k in range(n) if k // UNITS_PER_BUS == index]
        client = AsyncModbusTcpClient("127.0.0.1", port=port, timeout=2, retries=0)
        await client.connect()
        try:
            while time.monotonic() < stop_at:
                for unit in units:
                    for r in requests:
                        response = await client.read_input_registers(
                            r.address, count=r.count, device_id=unit
                        )
                        assert not response.isError()
                    polls += 1
        finally:
            client.close()

    await asyncio.gather(*(one_bus(i, p) for i, p in enumerate(ports)))
    return polls


async def through_gateway(config: SiteConfig, seconds: float) -> tuple[int, int]:
    gateway = Gateway(config, status_interval=3600, back_to_back=True)
    stop = asyncio.Event()
    task = asyncio.create_task(gateway.run(stop))
    await asyncio.sleep(seconds)
    stop.set()
    await task
    polls = sum(p.health.polls_ok for p in gateway.pollers)
    acked = gateway.publisher.acked if gateway.publisher else 0
    return polls, acked


def measure(n: int, seconds: float, workdir: Path, broker: MosquittoServer) -> dict[str, float]:
    ports = [free_port() for _ in range((n + UNITS_PER_BUS - 1) // UNITS_PER_BUS)]
    scen = workdir / f"scenario-{n}.yaml"
    scen.write_text(yaml.safe_dump(scenario(n, ports)))
    cmd = [sys.executable, "-m", "plantmeter_app", "--log-level", "WARNING", "sim", str(scen)]
    for i, p in enumerate(ports):
        cmd += ["--port", f"bus-{i}={p}"]
    sim = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for p in ports:
            wait_for_port(p, timeout=30)
        cpu0 = time.process_time()
        bare_polls = asyncio.run(bare(ports, n, seconds))
        bare_cpu = time.process_time() - cpu0
        config = site(n, ports, broker.url, workdir / f"gw-{n}")
        cpu0 = time.process_time()
        gw_polls, acked = asyncio.run(through_gateway(config, seconds))
        gw_cpu = time.process_time() - cpu0
    finally:
        sim.terminate()
        sim.wait(10)
    return {
        "bare_rate": bare_polls / seconds,
        "bare_cpu_ms": 1000 * bare_cpu / max(bare_polls, 1),
        "gw_rate": gw_polls / seconds,
        "gw_cpu_ms": 1000 * gw_cpu / max(gw_polls, 1),
        "acked": acked,
        "gw_polls": gw_polls,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--meters", type=int, nargs="+", default=[10, 100, 500])
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args(argv)
    import logging

    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("pymodbus").setLevel(logging.CRITICAL)
    print(
        f"# gateway vs bare pymodbus, SDM630 (8 requests/poll), {args.seconds:g} s each, cpus={os.cpu_count()}"
    )
    print(
        f"{'meters':>6} {'bare polls/s':>13} {'bare CPU ms/poll':>17} {'gateway polls/s':>16} "
        f"{'gw CPU ms/poll':>15} {'published+acked':>16} {'ratio':>6}"
    )
    with tempfile.TemporaryDirectory() as tmp, MosquittoServer(Path(tmp) / "mosquitto") as broker:
        for n in args.meters:
            r = measure(n, args.seconds, Path(tmp), broker)
            print(
                f"{n:>6} {r['bare_rate']:>13.0f} {r['bare_cpu_ms']:>17.2f} {r['gw_rate']:>16.0f} "
                f"{r['gw_cpu_ms']:>15.2f} {r['acked']:>16.0f} {r['gw_rate'] / r['bare_rate']:>6.2f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
