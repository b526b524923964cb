"""Gateway behaviour over real Modbus TCP and a real Mosquitto: schedule, counter events, dry run, discovery."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import firmware_sim
import pytest

from tests.integration.helpers import GatewayThread, Recorder, wait_until
from tests.integration.test_chain import EXAMPLE, chain_config
from tests.servers import MosquittoServer

pytestmark = pytest.mark.integration


def dairy_bus():  # type: ignore[no-untyped-def]
    scenario = firmware_sim.load_scenario(EXAMPLE / "scenario.yaml")
    return firmware_sim.running_bus(scenario, port_overrides={b.id: 0 for b in scenario.buses})


def test_polls_follow_the_wall_clock_schedule(tmp_path: Path, mosquitto: MosquittoServer) -> None:
    with dairy_bus() as bus:
        config = chain_config(tmp_path, bus, mosquitto.url, poll=1.0)
        recorder = Recorder(mosquitto.port)
        gateway = GatewayThread(config, tmp_path).start()
        try:
            wait_until(
                lambda: (
                    len(recorder.by_meter()) == len(config.meters)
                    and all(len(v) >= 5 for v in recorder.by_meter().values())
                ),
                timeout=30,
                what="5 polls each",
            )
        finally:
            gateway.stop()
            recorder.close()
    for meter, msgs in recorder.by_meter().items():
        stamps = sorted(m["ts"] for m in msgs)
        assert all(ts % 1000 < 100 for ts in stamps), (
            f"{meter}: polls not aligned to the second: {stamps}"
        )
        steps = {round((b - a) / 1000) for a, b in zip(stamps, stamps[1:], strict=False)}
        assert steps == {1}, f"{meter}: missed or doubled polls: {stamps}"


def test_counter_reset_and_rollover_are_reported_as_events(
    tmp_path: Path, mosquitto: MosquittoServer
) -> None:
    with dairy_bus() as bus:
        config = chain_config(tmp_path, bus, mosquitto.url, poll=1.0)
        soon = datetime.fromtimestamp(bus.clock.now() + 3, UTC).isoformat()
        bus.inject({"type": "meter_replacement", "meter": "main-elec", "start": soon})
        bus.inject(
            {
                "type": "counter_rollover",
                "meter": "cip-water",
                "start": soon,
                "quantity": "volume_total",
            }
        )
        recorder = Recorder(mosquitto.port)
        gateway = GatewayThread(config, tmp_path).start()
        try:

            def events(meter: str) -> list[dict]:
                return [e for m in recorder.by_meter().get(meter, []) for e in m.get("events", [])]

            wait_until(
                lambda: events("main-elec") and events("cip-water"),
                timeout=30,
                what="counter events",
            )
        finally:
            gateway.stop()
            recorder.close()
    main = {e["quantity"]: e for e in events("main-elec")}
    assert main["energy_import_total"]["type"] == "reset"
    assert main["energy_import_total"]["current"] < main["energy_import_total"]["previous"]
    water = {e["quantity"]: e["type"] for e in events("cip-water")}
    assert water["volume_total"] == "rollover"


def test_dry_run_prints_a_table_of_decoded_values(tmp_path: Path) -> None:
    with dairy_bus() as bus:
        config = chain_config(tmp_path, bus, "mqtt://127.0.0.1:1")
        site = tmp_path / "site.yaml"
        site.write_text(json.dumps(config.model_dump(mode="json")))
        done = subprocess.run(
            [sys.executable, "-m", "plantmeter_app", "gateway", str(site), "--dry-run"],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=tmp_path,
        )
        expected = bus.state("main-elec")
    assert done.returncode == 0, done.stderr
    lines = [line.split() for line in done.stdout.splitlines()]
    row = next(r for r in lines if r[:2] == ["main-elec", "voltage_l1"])
    assert float(row[2]) == pytest.approx(expected["voltage_l1"], rel=1e-3)
    assert {r[0] for r in lines[1:]} >= {m.id for m in config.meters}


def test_home_assistant_discovery(tmp_path: Path, mosquitto: MosquittoServer) -> None:
    with dairy_bus() as bus:
        config = chain_config(tmp_path, bus, mosquitto.url)
        config = config.model_copy(
            update={"gateway": config.gateway.model_copy(update={"homeassistant_discovery": True})}
        )
        recorder = Recorder(mosquitto.port, topic="homeassistant/#")
        gateway = GatewayThread(config, tmp_path).start()
        try:
            topic = "homeassistant/sensor/dairy_main_elec_energy_import_total/config"
            wait_until(lambda: topic in recorder.retained, what="discovery message")
        finally:
            gateway.stop()
            recorder.close()
    sensor = json.loads(recorder.retained[topic])
    assert sensor["state_topic"] == "plantmeter/dairy/main-elec/reading"
    assert sensor["device_class"] == "energy" and sensor["state_class"] == "total_increasing"
    assert sensor["unit_of_measurement"] == "kWh"


def test_profile_mismatch_is_reported_once_with_register_and_fix(
    tmp_path: Path, mosquitto: MosquittoServer, caplog: pytest.LogCaptureFixture
) -> None:
    """An SDM630 profile pointed at the EM24's unit: the EM24 has no registers at most SDM630 addresses."""
    with dairy_bus() as bus:
        config = chain_config(tmp_path, bus, mosquitto.url, poll=1.0)
        compressor = config.meter("compressor")
        wrong = compressor.model_copy(update={"id": "wrong-profile", "profile": "eastron-sdm630"})
        others = [m for m in config.meters if m.id != "compressor"]
        config = config.model_copy(update={"meters": [wrong, *others]})
        gateway = GatewayThread(config, tmp_path).start()
        try:
            wait_until(
                lambda: (
                    gateway.gateway.pollers
                    and gateway.gateway.pollers[0].health.polls_failed
                    + gateway.gateway.pollers[0].health.polls_ok
                    >= 3
                ),
                timeout=20,
                what="3 polls",
            )
        finally:
            gateway.stop()
    reports = [r.message for r in caplog.records if "the device has no registers" in r.message]
    assert reports, "the mismatch was not reported"
    assert len(reports) == len(set(reports)), "each register range is reported once, not every poll"
    assert all("wrong-profile" in m and "fix:" in m and "0x" in m for m in reports)
