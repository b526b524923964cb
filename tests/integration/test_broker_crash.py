"""A broker crash loses nothing: the gateway sends again what a crashed Mosquitto had acknowledged
but not yet saved (issue 17). Mosquitto writes its persistence file on a timer or at exit and
sends the PUBACK first, so its acknowledgement is not durable; the gateway's replay window is."""

from __future__ import annotations

import time
from pathlib import Path

import firmware_sim
import pytest

from tests.integration.helpers import GatewayThread, Recorder, contiguous_seqs, wait_until
from tests.integration.test_chain import EXAMPLE, chain_config
from tests.servers import MosquittoServer

pytestmark = pytest.mark.integration


def test_readings_acknowledged_by_a_broker_that_then_crashed_are_sent_again(tmp_path: Path) -> None:
    # saves only at exit (and hourly): a crash loses every message acknowledged since the start
    broker = MosquittoServer(tmp_path / "mosquitto", extra_config="autosave_interval 3600\n")
    broker.start()
    try:
        recorder = Recorder(broker.port, client_id="subscriber")  # a persistent session...
        wait_until(lambda: recorder.client.is_connected(), timeout=10, what="the subscriber")
        time.sleep(0.3)
        recorder.close()  # ...that is away: its readings queue in the broker
        broker.stop()  # a clean stop saves that session
        broker.start()
        scenario = firmware_sim.load_scenario(EXAMPLE / "scenario.yaml")
        with firmware_sim.running_bus(
            scenario, port_overrides={b.id: 0 for b in scenario.buses}
        ) as bus:
            config = chain_config(tmp_path, bus, broker.url)
            gateway = GatewayThread(config, tmp_path).start()
            try:
                publisher = lambda: gateway.gateway.publisher  # noqa: E731
                wait_until(
                    lambda: publisher() is not None and publisher().acked >= 3 * len(config.meters),
                    timeout=20,
                    what="readings acknowledged by the broker",
                )
                broker.kill()  # acknowledged, queued for the subscriber, never saved
                broker.start()
                wait_until(
                    lambda: publisher().replayed > 0,
                    timeout=20,
                    what="the gateway to send them again",
                )
                recorder = Recorder(broker.port, client_id="subscriber")
                wait_until(
                    lambda: all(len(recorder.by_meter().get(m.id, [])) >= 5 for m in config.meters),
                    timeout=20,
                    what="the subscriber to receive them",
                )
            finally:
                gateway.stop()
        seen = recorder.by_meter()
        recorder.close()
    finally:
        broker.stop()
    for meter in config.meters:
        msgs = seen[meter.id]
        assert min(m["seq"] for m in msgs) == 1, (
            f"{meter.id}: the first readings were lost in the crash"
        )
        assert contiguous_seqs(msgs), f"{meter.id}: readings lost in the crash"
