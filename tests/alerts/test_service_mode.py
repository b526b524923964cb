"""``plantmeter alerts SITE.yaml`` without ``--once`` evaluates on its own, round after round,
and stops cleanly (exit 0) on Ctrl-C (SIGINT)."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

from ingest.stores import open_store
from tests.alerts.history import LEAK_AT, SITE, load
from tests.servers import free_port


def test_the_service_evaluates_and_stops_on_ctrl_c(tmp_path: Path, leaky: pd.DataFrame) -> None:
    store_path = tmp_path / "dairy.db"
    store = open_store(f"sqlite:///{store_path}")
    try:
        load(store, leaky, tmp_path, LEAK_AT)
    finally:
        store.close()
    site = tmp_path / "site.yaml"  # SMTP is down: rounds go on, nothing is lost
    site.write_text(
        SITE.format(smtp=f"smtp://127.0.0.1:{free_port()}")
        + f"store: {{url: 'sqlite:///{store_path}'}}\n"
    )
    data = tmp_path / "data"
    cmd = [
        sys.executable,
        "-m",
        "plantmeter_app",
        "alerts",
        str(site),
        "--data-dir",
        str(data),
        "--every",
        "10s",
    ]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 90
        evaluated: list[tuple[object, ...]] = []
        while time.monotonic() < deadline and proc.poll() is None and not evaluated:
            time.sleep(0.5)
            if (data / "alerts.db").exists():
                with sqlite3.connect(data / "alerts.db") as db:
                    try:
                        evaluated = db.execute("SELECT site, until_ms FROM evaluations").fetchall()
                    except sqlite3.OperationalError:
                        pass  # the schema is being created
        assert evaluated == [("dairy", int(LEAK_AT.timestamp() * 1000))], proc.poll()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "every 10s (Ctrl-C stops)" in err and "alerts stopped" in err and "Traceback" not in err
