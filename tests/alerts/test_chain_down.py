"""The chain itself failing, over the real parts: the simulator on Modbus TCP, the gateway, a
real Mosquitto, ingest into SQLite, a real SMTP server.

* A SIGKILLed gateway: the broker sends its last will, the next round opens one ``gateway
  down`` alarm and sends one e-mail; a restarted gateway closes it.
* A bus that goes silent: both meters on it go offline together, one incident and one e-mail;
  when the bus answers again, one closing e-mail."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import firmware_sim
import pytest

from alerts import Ledger, dispatch, evaluate, site_channels
from alerts.status import components, read_retained
from ingest.service import IngestService
from ingest.stores.sqlite import SqliteStore
from plantmeter.alertconfig import AlertsConfig
from plantmeter.config import SiteConfig
from tests.alerts.sinks import Sinks
from tests.integration.helpers import GatewayThread, wait_until
from tests.integration.test_chain import EXAMPLE, chain_config
from tests.servers import MosquittoServer
from tests.smtp_server import SmtpServer

pytestmark = pytest.mark.integration


def with_alerts(config: SiteConfig, smtp_url: str, hook_url: str | None = None) -> SiteConfig:
    alerts = AlertsConfig.model_validate(
        {
            "email": {"smtp_url": smtp_url, "from": "plantmeter@dairy.example"},
            "rules": [{"to": ["manager@dairy.example"], "severity": "warning"}],
            "reminder_after": None,
        }
        | ({"webhook": {"url": hook_url}, "mqtt": True} if hook_url else {})
    )
    return config.model_copy(update={"alerts": alerts})


def round_(store: SqliteStore, site: SiteConfig, ledger: Ledger) -> list[str]:
    now = datetime.now(UTC)
    found = evaluate(store, site, ledger, now=now)
    dispatch(ledger, site_channels(site), now=now)
    return [
        f"{c.action} {c.episode.type} {c.episode.meter}"
        for c in found.changes
        if c.action != "extend"
    ]


def gateway_state(site: SiteConfig) -> str | None:
    topic = components(site)[0].topic
    got = read_retained(site, [topic], wait_s=1.0) or {}
    return json.loads(got[topic])["state"] if topic in got else None


def test_a_killed_gateway_is_one_alarm_and_one_email(
    tmp_path: Path, mosquitto: MosquittoServer
) -> None:
    scenario = firmware_sim.load_scenario(EXAMPLE / "scenario.yaml")
    with (
        firmware_sim.running_bus(scenario, port_overrides={b.id: 0 for b in scenario.buses}) as bus,
        SmtpServer(tmp_path) as smtp,
        Ledger(tmp_path / "alerts.db") as ledger,
    ):
        site = with_alerts(chain_config(tmp_path, bus, mosquitto.url), smtp.url)
        path = tmp_path / "site.yaml"
        path.write_text(json.dumps(site.model_dump(mode="json", by_alias=True)))  # JSON is YAML
        cmd = [sys.executable, "-m", "plantmeter_app", "gateway", str(path)]
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        store = SqliteStore(tmp_path / "chain.db")  # no ingest here: the meters never report
        try:
            proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)  # fmt: skip
            try:
                wait_until(
                    lambda: gateway_state(site) == "online", timeout=30, what="gateway online"
                )
                assert round_(store, site, ledger) == []
            finally:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
            wait_until(lambda: gateway_state(site) == "offline", timeout=15, what="its last will")
            assert round_(store, site, ledger) == ["open gateway_down _gateway/dairy-gw-1"]
            assert round_(store, site, ledger) == []  # the next round: nothing twice
            [mail] = smtp.messages()
            assert mail.message["Subject"] == "[PlantMeter dairy] gateway dairy-gw-1: down"
            assert "gateway dairy-gw-1 is offline" in mail.message.get_content()
            proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)  # fmt: skip
            try:
                wait_until(lambda: gateway_state(site) == "online", timeout=30, what="back online")
                assert round_(store, site, ledger) == ["close gateway_down _gateway/dairy-gw-1"]
            finally:
                proc.send_signal(signal.SIGINT)
                proc.wait(30)
            assert [m.message["Subject"].split("] ")[1] for m in smtp.messages()] == [
                "gateway dairy-gw-1: down",
                "over: gateway dairy-gw-1: down",
            ]
        finally:
            store.close()


def test_a_silent_bus_is_one_incident_and_one_email(
    tmp_path: Path, mosquitto: MosquittoServer
) -> None:
    scenario = firmware_sim.load_scenario(EXAMPLE / "scenario.yaml")
    with (
        firmware_sim.running_bus(scenario, port_overrides={b.id: 0 for b in scenario.buses}) as bus,
        Sinks(tmp_path, mosquitto.port) as sinks,
        Ledger(tmp_path / "alerts.db") as ledger,
    ):
        smtp = sinks.smtp
        site = with_alerts(chain_config(tmp_path, bus, mosquitto.url), smtp.url, sinks.hook.url)
        store = SqliteStore(tmp_path / "chain.db")
        ingest = IngestService(site, store)
        ingest.start()
        gateway = GatewayThread(site, tmp_path).start()
        try:
            ids = [m.id for m in site.meters]
            wait_until(
                lambda: {lv.meter for lv in store.latest("dairy", ids)} == set(ids),
                timeout=30,
                what="readings",
            )
            assert round_(store, site, ledger) == []
            silent = [m.id for m in site.meters if m.bus == "utility-485"]
            bus.inject({"type": "bus_dropout", "bus": "utility-485", "start": bus.clock.now_datetime(),
                        "duration": 8})  # fmt: skip
            time.sleep(5)  # 3 polls of 1 s without a reading: offline
            opened = round_(store, site, ledger)
            assert sorted(opened) == sorted(f"open offline {m}" for m in silent)
            [mail] = smtp.messages()
            assert "meter offline" in mail.message["Subject"]
            mails, hooks, events = sinks.openings()
            assert len(mails) == len(hooks) == len(events) == 1, (mails, hooks, events)
            assert "Seen with it: meter offline" in mail.message.get_content()
            wait_until(
                lambda: not [f for f in _stale(store, site, silent)],
                timeout=30,
                what="readings back",
            )
            closed = round_(store, site, ledger)
            assert sorted(closed) == sorted(f"close offline {m}" for m in silent)
            subjects = [m.message["Subject"] for m in smtp.messages()]
            assert len(subjects) == 2 and subjects[1].startswith("[PlantMeter dairy] over: "), (
                subjects
            )
        finally:
            gateway.stop()
            ingest.stop()
            store.close()


def _stale(store: SqliteStore, site: SiteConfig, meters: list[str]) -> list[str]:
    now_ms = time.time() * 1000
    return [lv.meter for lv in store.latest("dairy", meters) if now_ms - lv.ts_ms > 2500]
