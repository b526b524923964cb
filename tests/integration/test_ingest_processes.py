"""`plantmeter ingest --processes 2`: two processes in the shared-subscription group store everything once."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ingest.stores import SqliteStore
from plantmeter.message import Reading, encode_reading, reading_topic
from tests.integration.helpers import Recorder, publish_all, wait_until, write_site
from tests.servers import MosquittoServer, child_processes

pytestmark = pytest.mark.integration

BUSES = "  - {id: b, transport: tcp, host: 127.0.0.1, port: 5020}\n"
METERS = "".join(
    f"  - {{id: m{i}, bus: b, unit_id: {i}, profile: eastron-sdm630, kind: electricity}}\n"
    for i in (1, 2, 3)
)


def test_two_processes_split_the_stream_and_store_each_reading_once(
    tmp_path: Path, mosquitto: MosquittoServer
) -> None:
    site = write_site(
        tmp_path / "site.yaml",
        mosquitto.url,
        f"sqlite:///{tmp_path}/s.db",
        BUSES,
        METERS,
        'ingest: {batch_interval: "100ms", client_id: "multi"}\n',
    )
    status = Recorder(mosquitto.port, topic="plantmeter/_ingest/+/status")
    status.client.subscribe("plantmeter/_ingest/+/status", qos=1)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "plantmeter_app",
            "ingest",
            str(site),
            "--processes",
            "2",
            "--status-interval",
            "0.5",
        ],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    t0 = int(time.time() * 1000) - 3_600_000
    messages = [
        (
            reading_topic("dairy", f"m{i % 3 + 1}"),
            encode_reading(
                Reading("dairy", f"m{i % 3 + 1}", "gw", i, t0 + i * 10, {"power_total": float(i)})
            ),
        )
        for i in range(3000)
    ]
    store = SqliteStore(tmp_path / "s.db")
    try:
        wait_until(
            lambda: (
                {"plantmeter/_ingest/multi-1/status", "plantmeter/_ingest/multi-2/status"}
                <= set(status.retained)
            ),
            timeout=30,
            what="both members online",
        )
        time.sleep(0.5)  # both SUBACKs
        publish_all(mosquitto.port, messages)
        wait_until(
            lambda: sum(len(store.read("dairy", f"m{i}")) for i in (1, 2, 3)) == 3000,
            timeout=60,
            what="every reading stored",
        )
        wait_until(
            lambda: all(
                json.loads(status.retained[f"plantmeter/_ingest/multi-{k}/status"]).get(
                    "stored_messages", 0
                )
                > 0
                for k in (1, 2)
            ),
            timeout=10,
            what="status of both members",
        )
        shares = [
            json.loads(status.retained[f"plantmeter/_ingest/multi-{k}/status"])["stored_messages"]
            for k in (1, 2)
        ]
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
        status.close()
    assert proc.returncode == 0, err.decode()[-2000:]
    stored = sorted(v for i in (1, 2, 3) for v in store.read("dairy", f"m{i}")["power_total"])
    store.close()
    assert stored == [float(i) for i in range(3000)]  # each once
    assert min(shares) > 0, f"one member got nothing: {shares}"


def _is_member(pid: int) -> bool:
    """A spawned ingest member (not multiprocessing's resource tracker)."""
    try:
        return "spawn_main" in Path(f"/proc/{pid}/cmdline").read_text()
    except OSError:
        return False


def test_a_member_that_dies_stops_them_all_with_an_error(
    tmp_path: Path, mosquitto: MosquittoServer
) -> None:
    site = write_site(
        tmp_path / "site.yaml",
        mosquitto.url,
        f"sqlite:///{tmp_path}/s.db",
        BUSES,
        METERS,
        'ingest: {client_id: "fragile-group"}\n',
    )
    status = Recorder(mosquitto.port, topic="plantmeter/_ingest/+/status")
    status.client.subscribe("plantmeter/_ingest/+/status", qos=1)
    proc = subprocess.Popen(
        [sys.executable, "-m", "plantmeter_app", "ingest", str(site), "--processes", "2"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_until(
            lambda: "plantmeter/_ingest/fragile-group-2/status" in status.retained,
            timeout=30,
            what="the second member online",
        )
        (member,) = [pid for pid in child_processes(proc.pid) if _is_member(pid)]
        subprocess.run(["kill", "-KILL", str(member)], check=True)
        try:
            _, err = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
            raise AssertionError("ingest did not stop:\n" + err.decode()[-3000:]) from None
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
        status.close()
    assert proc.returncode == 2
    assert "ingest-2 exited with status -9; all members stopped" in err.decode(), err.decode()[
        -2000:
    ]
