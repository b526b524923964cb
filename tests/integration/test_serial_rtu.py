"""A serial RTU line: simulator and gateway on the two ends of a socat pseudo-terminal pair."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import firmware_sim
import pytest

from plantmeter.config import BusConfig
from tests.integration.helpers import GatewayThread, Recorder, contiguous_seqs, wait_until
from tests.integration.test_chain import EXAMPLE, chain_config
from tests.servers import MosquittoServer, require_binary

pytestmark = pytest.mark.integration


@pytest.fixture
def pty_pair(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """Two linked pseudo-terminals, like the two ends of an RS-485 cable."""
    socat = require_binary("socat", "socat")
    a, b = tmp_path / "meters.tty", tmp_path / "gateway.tty"
    proc = subprocess.Popen(
        [socat, f"pty,raw,echo=0,link={a}", f"pty,raw,echo=0,link={b}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while not (a.exists() and b.exists()):
            assert time.monotonic() < deadline, "socat did not create the pty pair"
            time.sleep(0.02)
        yield a, b
    finally:
        proc.terminate()
        proc.wait(10)


def test_gateway_reads_meters_over_serial_rtu(
    tmp_path: Path, mosquitto: MosquittoServer, pty_pair: tuple[Path, Path]
) -> None:
    meters_end, gateway_end = pty_pair
    scenario = firmware_sim.load_scenario(EXAMPLE / "scenario.yaml")
    serial = [
        b.model_copy(update={"transport": "rtu", "device": str(meters_end), "port": 0})
        if b.id == "utility-485"
        else b
        for b in scenario.buses
    ]
    scenario = scenario.model_copy(update={"buses": serial})
    with firmware_sim.running_bus(scenario, port_overrides={"board-1": 0}) as bus:
        config = chain_config(tmp_path, bus, mosquitto.url, poll=2.0)
        rtu = BusConfig(id="utility-485", transport="rtu", device=str(gateway_end), timeout=1.0)
        config = config.model_copy(
            update={"buses": [rtu if b.id == "utility-485" else b for b in config.buses]}
        )
        recorder = Recorder(mosquitto.port)
        gateway = GatewayThread(config, tmp_path).start()
        try:
            wait_until(
                lambda: all(
                    len(recorder.by_meter().get(m, [])) >= 2 for m in ("cip-water", "outdoor-temp")
                ),
                timeout=30,
                what="two polls of the serial meters",
            )
        finally:
            gateway.stop()
            recorder.close()
        expected = bus.state("outdoor-temp")
    water = recorder.by_meter()["cip-water"]
    assert contiguous_seqs(water)
    assert water[-1]["values"]["volume_total"] > 0
    temp = recorder.by_meter()["outdoor-temp"][-1]["values"]["temperature"]
    assert temp == pytest.approx(expected["temperature"], abs=0.2)
