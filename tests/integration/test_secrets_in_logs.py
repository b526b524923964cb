"""No configured secret reaches a log: the chain run as an operator runs it (``plantmeter gateway``,
``ingest``, ``alerts --once``, ``user add`` and ``serve`` (the dashboard) as processes, DEBUG
logging), with a broker password, an SMTP password and a dashboard user's password set, a login
to the dashboard (right, then wrong), then every byte they wrote to stdout/stderr and the
broker's log searched for each secret, as typed and as its common encodings (URL-quoted, base64:
an SMTP AUTH PLAIN or HTTP Basic header would carry it so)."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import firmware_sim
import pytest
import yaml

from ingest.stores import SqliteStore
from plantmeter.store import SeriesRow
from tests.integration.helpers import wait_until
from tests.integration.test_chain import EXAMPLE
from tests.servers import MosquittoServer, free_port, wait_for_port
from tests.smtp_server import SmtpServer

pytestmark = [pytest.mark.integration, pytest.mark.slow]

BROKER_PASSWORD = "brk-Zq81-secret"
SMTP_PASSWORD = "smtp-Xv27-secret"
DASHBOARD_PASSWORD = "dash-Kp53-secret"
WRONG_PASSWORD = "dash-Wr99-secret"  # typed by mistake at the login: must not be logged either
SECRETS = [BROKER_PASSWORD, SMTP_PASSWORD, DASHBOARD_PASSWORD, WRONG_PASSWORD]


def _forms(secret: str) -> list[str]:
    return [
        secret,
        urllib.parse.quote(secret),
        base64.b64encode(secret.encode()).decode(),
        base64.b64encode(f"\0plantmeter\0{secret}".encode()).decode(),
    ]


def _site(
    tmp_path: Path, bus: firmware_sim.MeterBus, broker: MosquittoServer, smtp: SmtpServer
) -> Path:
    data = yaml.safe_load((EXAMPLE / "site.yaml").read_text())
    for b in data["buses"]:
        b["port"] = bus.ports.get(b["id"], b["port"])
    for m in data["meters"]:
        m["poll"] = "1s"
    data["meters"].append(  # not served by the simulator: offline, so alerts has an e-mail to send
        {
            "id": "ghost",
            "bus": "board-1",
            "unit_id": 99,
            "profile": "eastron-sdm120",
            "kind": "electricity",
            "poll": "1s",
        }
    )
    data["broker"] = {
        "url": broker.url,
        "username": "plant",
    }  # the password comes from the environment
    data["store"] = {"url": f"sqlite:///{tmp_path}/chain.db"}
    data["gateway"]["outbox"] = str(tmp_path / "outbox.db")
    data["ingest"] = {"batch_interval": "200ms"}
    data["alerts"] = {
        "email": {
            "smtp_url": smtp.url,
            "starttls": False,
            "from": "plantmeter@dairy.example",
            "username": "plantmeter",
        },
        "rules": [{"to": ["manager@dairy.example"]}],
        "offline_after": 3,
    }
    path = tmp_path / "site.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_no_configured_secret_appears_in_any_log(tmp_path: Path) -> None:
    env = os.environ | {
        "PLANTMETER_BROKER_PASSWORD": BROKER_PASSWORD,
        "PLANTMETER_SMTP_PASSWORD": SMTP_PASSWORD,
        "PLANTMETER_PASSWORD": DASHBOARD_PASSWORD,
    }
    cli = [sys.executable, "-m", "plantmeter_app", "--log-level", "DEBUG"]
    logs: list[Path] = []
    procs: list[subprocess.Popen[bytes]] = []

    def start(name: str, *args: str) -> subprocess.Popen[bytes]:
        out = tmp_path / f"{name}.log"
        logs.append(out)
        with out.open("wb") as sink:
            proc = subprocess.Popen(
                [*cli, *args], stdout=sink, stderr=subprocess.STDOUT, env=env, cwd=tmp_path
            )
        procs.append(proc)
        return proc

    def run(name: str, *args: str) -> None:
        code = start(name, *args).wait(timeout=120)
        assert code == 0, (
            f"plantmeter {' '.join(args)} exited {code}: {logs[-1].read_text()[-2000:]}"
        )

    scenario = firmware_sim.load_scenario(EXAMPLE / "scenario.yaml")
    with (
        MosquittoServer(tmp_path / "mq", users={"plant": BROKER_PASSWORD}) as broker,
        SmtpServer(tmp_path, mode="plain", login=("plantmeter", SMTP_PASSWORD)) as smtp,
        firmware_sim.running_bus(scenario, port_overrides={b.id: 0 for b in scenario.buses}) as bus,
    ):
        site = _site(tmp_path, bus, broker, smtp)
        seed = SqliteStore(
            tmp_path / "chain.db"
        )  # the ghost was read once, an hour ago: it is offline now
        seed.write_rows(
            [SeriesRow("dairy", "ghost", int(time.time() * 1000) - 3_600_000, {"power_total": 1.0})]
        )
        seed.close()
        try:
            run(
                "user-add",
                "user",
                "add",
                "ada",
                "--role",
                "admin",
                "--data-dir",
                str(tmp_path / "dash"),
            )
            port = free_port()
            # all at once: their start-up (imports) overlaps
            start("ingest", "ingest", str(site))
            start("gateway", "gateway", str(site))
            start(
                "dashboard",
                "serve",
                str(site),
                "--port",
                str(port),
                "--data-dir",
                str(tmp_path / "dash"),
                "--insecure-cookies",
            )
            # INFO: at DEBUG numba logs its compiler's internals (megabytes, no secrets)
            alerts = start(
                "alerts",
                "--log-level",
                "INFO",
                "alerts",
                str(site),
                "--once",
                "--data-dir",
                str(tmp_path / "alerts"),
            )
            store = SqliteStore(tmp_path / "chain.db")
            try:
                wait_until(
                    lambda: len(store.read("dairy", "main-elec")) >= 3,
                    timeout=60,
                    what="readings stored",
                )
            finally:
                store.close()
            wait_for_port(port, timeout=60)
            token = _login(port, DASHBOARD_PASSWORD)
            assert token, "the dashboard refused the right password"
            assert not _login(port, WRONG_PASSWORD)
            assert alerts.wait(timeout=120) == 0, logs[-1].read_text()[-2000:]
        finally:
            for proc in procs:
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
            for proc in procs:
                proc.wait(timeout=30)
        sent = smtp.messages()
    assert sent, "alerts sent no e-mail, so the SMTP login was not exercised"
    text = {
        log.name: log.read_text(errors="replace")
        for log in [*logs, broker.workdir / "mosquitto.log"]
    }
    leaks = [
        f"{name}: {form!r}"
        for name, content in text.items()
        for secret in SECRETS
        for form in _forms(secret)
        if form in content
    ]
    assert not leaks, "secrets in the logs:\n" + "\n".join(leaks)
    assert all(len(content) > 0 for name, content in text.items() if name != "user-add.log"), (
        "a log is empty"
    )


def _login(port: int, password: str) -> str | None:
    body = urllib.parse.urlencode({"username": "ada", "password": password}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/token", data=body, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            token = json.load(response)["access_token"]
    except urllib.error.HTTPError as exc:
        assert exc.code in (400, 401), exc.code
        return None
    with urllib.request.urlopen(
        urllib.request.Request(
            f"http://127.0.0.1:{port}/api/v1/sites", headers={"Authorization": f"Bearer {token}"}
        ),
        timeout=30,
    ) as response:
        assert response.status == 200
    return str(token)
