"""Gateway against the simulator and a real Mosquitto: outages, kills and dead meters lose nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import firmware_sim
import pytest

from gateway.outbox import Outbox
from tests.integration.helpers import GatewayThread, Recorder, contiguous_seqs, wait_until
from tests.integration.test_chain import EXAMPLE, chain_config
from tests.servers import MosquittoServer

pytestmark = pytest.mark.integration

ROOT = Path(__file__).parents[2]


def start_bus():  # type: ignore[no-untyped-def]
    scenario = firmware_sim.load_scenario(EXAMPLE / "scenario.yaml")
    return firmware_sim.running_bus(scenario, port_overrides={b.id: 0 for b in scenario.buses})


@pytest.mark.slow
def test_broker_outage_of_30s_loses_no_reading(tmp_path: Path, mosquitto: MosquittoServer) -> None:
    with start_bus() as bus:
        config = chain_config(tmp_path, bus, mosquitto.url)
        recorder = Recorder(mosquitto.port, client_id="recorder-outage")
        gateway = GatewayThread(config, tmp_path).start()
        try:
            wait_until(
                lambda: len(recorder.messages) >= 2 * len(config.meters), what="first readings"
            )
            mosquitto.stop()
            time.sleep(30)
            backlog = gateway.gateway.outbox.depth if gateway.gateway.outbox else 0
            assert backlog >= 25, (
                f"readings should queue on disk during the outage (depth {backlog})"
            )
            mosquitto.start()
            wait_until(
                lambda: (
                    gateway.gateway.outbox is not None
                    and gateway.gateway.outbox.depth <= len(config.meters)
                ),
                timeout=60,
                what="backlog to drain",
            )
            time.sleep(2)
        finally:
            gateway.stop()
            recorder_msgs = recorder.by_meter()
            recorder.close()
    for meter in config.meters:
        msgs = recorder_msgs[meter.id]
        assert contiguous_seqs(msgs), f"{meter.id}: lost readings across the outage"
        assert msgs[0]["seq"] == 1
        assert len({m["seq"] for m in msgs}) >= 30


def test_sigkilled_gateway_loses_nothing_it_queued(
    tmp_path: Path, mosquitto: MosquittoServer
) -> None:
    with start_bus() as bus:
        config = chain_config(tmp_path, bus, mosquitto.url)
        site = tmp_path / "site.yaml"
        site.write_text(json.dumps(config.model_dump(mode="json")))  # JSON is YAML
        mosquitto.stop()  # nothing can leave the outbox: everything polled is queued on disk
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        cmd = [sys.executable, "-m", "plantmeter_app", "gateway", str(site)]
        proc = subprocess.Popen(
            cmd, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        outbox_path = config.gateway.outbox

        def queued() -> int:
            if not Path(outbox_path).exists():
                return 0
            box = Outbox(outbox_path)
            try:
                return box.depth
            finally:
                box.close()

        try:
            wait_until(
                lambda: queued() >= 3 * len(config.meters), timeout=30, what="readings queued"
            )
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        queued_before = queued()
        mosquitto.start()
        recorder = Recorder(mosquitto.port)
        proc = subprocess.Popen(
            cmd, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        try:
            wait_until(
                lambda: len(recorder.messages) >= queued_before + len(config.meters),
                timeout=30,
                what="queued readings to be delivered after the restart",
            )
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(20)
            recorder.close()
    for meter in config.meters:
        msgs = recorder.by_meter()[meter.id]
        assert contiguous_seqs(msgs), f"{meter.id}: gap after SIGKILL"
        assert min(m["seq"] for m in msgs) == 1


def test_dead_meter_does_not_delay_the_others(
    tmp_path: Path, mosquitto: MosquittoServer, caplog: pytest.LogCaptureFixture
) -> None:
    with start_bus() as bus:
        config = chain_config(tmp_path, bus, mosquitto.url, poll=2.0)
        first = config.meters[0]
        ghost = first.model_copy(
            update={"id": "ghost", "unit_id": 99, "parent": None}
        )  # nobody answers unit 99
        config = config.model_copy(update={"meters": [ghost, *config.meters]})
        recorder = Recorder(mosquitto.port)
        gateway = GatewayThread(config, tmp_path).start()
        try:
            time.sleep(9)
        finally:
            gateway.stop()
            recorder.close()
        status = json.loads(recorder.retained["plantmeter/dairy/ghost/status"])
    assert status["state"] == "offline"
    offline_errors = [
        r for r in caplog.records if r.levelname == "ERROR" and "ghost is offline" in r.message
    ]
    assert len(offline_errors) == 1, "a persisting failure is logged once at ERROR, then at DEBUG"
    timeout = config.bus(first.bus).timeout
    for meter in config.meters[1:]:
        msgs = recorder.by_meter()[meter.id]
        assert len(msgs) >= 3, f"{meter.id} missed polls while the ghost timed out"
        delays = [m["_received"] - m["ts"] / 1000 for m in msgs]
        assert max(delays) < timeout + 0.5, f"{meter.id} was delayed {max(delays):.2f}s"
