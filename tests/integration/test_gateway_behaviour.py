"""Gateway behaviour over real Modbus TCP and a real Mosquitto: schedule, counter events, dry run, discovery."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import firmware_sim
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from gateway.poller import next_boundary
from tests.gateway.ha_rules import available
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


def _discovery_on(config):  # type: ignore[no-untyped-def]
    return config.model_copy(
        update={"gateway": config.gateway.model_copy(update={"homeassistant_discovery": True})}
    )


def _publish_retained(port: int, topic: str, payload: bytes) -> None:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"retain-{time.monotonic_ns()}")
    client.connect("127.0.0.1", port)
    client.loop_start()
    try:
        client.publish(topic, payload, qos=1, retain=True).wait_for_publish(timeout=10)
    finally:
        client.disconnect()
        client.loop_stop()


def test_home_assistant_discovery(tmp_path: Path, mosquitto: MosquittoServer) -> None:
    with dairy_bus() as bus:
        config = _discovery_on(chain_config(tmp_path, bus, mosquitto.url))
        # the config an earlier release left retained, under the old (colliding) topic
        legacy = "homeassistant/sensor/dairy_main_elec_energy_import_total/config"
        _publish_retained(mosquitto.port, legacy, b'{"name": "energy import total"}')
        recorder = Recorder(mosquitto.port, topic="homeassistant/#")
        wait_until(lambda: legacy in recorder.retained, what="the old retained config")
        gateway = GatewayThread(config, tmp_path).start()
        topic = "homeassistant/sensor/plantmeter_dairy/main-elec_energy_import_total/config"
        water = "homeassistant/sensor/plantmeter_dairy/cip-water_volume_total/config"
        try:
            wait_until(lambda: {topic, water} <= set(recorder.retained), what="discovery messages")
            sensor = json.loads(recorder.retained[topic])
            wait_until(
                lambda: available(sensor, list(recorder.retained.items())),
                what="main-elec available in HA once polled",
            )
        finally:
            gateway.stop()
            recorder.close()
    assert sensor["state_topic"] == "plantmeter/dairy/main-elec/reading"
    assert sensor["device_class"] == "energy" and sensor["state_class"] == "total_increasing"
    assert sensor["unit_of_measurement"] == "kWh"
    assert json.loads(recorder.retained[water])["device_class"] == "water"
    assert recorder.retained[legacy] == b"", "the old entity is removed from HA"
    # a clean stop publishes the gateway offline: HA shows the sensor unavailable, though the
    # meter's own status stays retained `online`
    assert not available(sensor, list(recorder.retained.items()))
    assert json.loads(recorder.retained["plantmeter/dairy/main-elec/status"])["state"] == "online"


def _far_poll(now: float) -> float:
    """A poll interval whose first wall-clock boundary is minutes away."""
    return next(p for p in (3600.0, 5400.0, 7200.0) if next_boundary(now, p) - now > 300)


def test_home_assistant_availability_after_the_gateway_dies(
    tmp_path: Path, mosquitto: MosquittoServer
) -> None:
    """A gateway process killed (its last will fires) leaves its meters unavailable in HA, and
    a meter not yet polled is never available."""
    with dairy_bus() as bus:
        config = _discovery_on(chain_config(tmp_path, bus, mosquitto.url))
        polled, unpolled = config.meter("main-elec"), config.meter("outdoor-temp")
        config = config.model_copy(
            update={
                "meters": [
                    polled.model_copy(update={"poll": 1.0}),
                    unpolled.model_copy(update={"poll": _far_poll(time.time())}),
                ]
            }
        )
        site = tmp_path / "site.yaml"
        site.write_text(json.dumps(config.model_dump(mode="json")))
        sensors = {
            m: f"homeassistant/sensor/plantmeter_dairy/{m}_{q}/config"
            for m, q in (("main-elec", "voltage_l1"), ("outdoor-temp", "temperature"))
        }
        recorder = Recorder(mosquitto.port, topic="homeassistant/#")
        process = subprocess.Popen(
            [sys.executable, "-m", "plantmeter_app", "gateway", str(site)],
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_until(
                lambda: set(sensors.values()) <= set(recorder.retained),
                timeout=30,
                what="discovery messages",
            )
            main, temp = (json.loads(recorder.retained[sensors[m]]) for m in sensors)
            wait_until(
                lambda: available(main, list(recorder.retained.items())),
                timeout=30,
                what="main-elec available once polled",
            )
            status = json.loads(recorder.retained["plantmeter/dairy/outdoor-temp/status"])
            assert status["state"] == "starting"
            assert not available(temp, list(recorder.retained.items())), "never polled, yet live"
            process.kill()  # no clean shutdown: only the broker's last will says offline
            process.wait(10)
            wait_until(
                lambda: not available(main, list(recorder.retained.items())),
                what="HA to see the dead gateway",
            )
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(10)
            recorder.close()
    # Home Assistant starting later sees only what the broker kept
    late = Recorder(mosquitto.port, topic="homeassistant/#")
    try:
        wait_until(lambda: set(sensors.values()) <= set(late.retained), what="retained configs")
        wait_until(
            lambda: "plantmeter/dairy/_gateway/dairy-gw-1/status" in late.retained,
            what="retained gateway status",
        )
        assert json.loads(late.retained["plantmeter/dairy/main-elec/status"])["state"] == "online"
        assert not available(main, list(late.retained.items()))
        assert not available(temp, list(late.retained.items()))
    finally:
        late.close()


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
