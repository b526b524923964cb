"""Shared fixtures: real servers on free loopback ports, and a guard against leaked threads."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers import MosquittoServer, child_processes

# The CLI speaks the environment's language (plantmeter_app.language); the suite asserts its English
# messages, so a developer's Spanish or Portuguese terminal must not change them. Tests of the
# languages set the variables themselves.
os.environ["PLANTMETER_LANG"] = "en"


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[MosquittoServer]:
    """A real Mosquitto broker for one test."""
    with MosquittoServer(tmp_path / "mosquitto") as server:
        yield server


@pytest.fixture(autouse=True)
def _no_leaked_threads() -> Iterator[None]:
    """Fail a test that leaves threads or child processes running (a server or client not closed)."""
    before = set(threading.enumerate())
    processes_before = child_processes()
    yield
    deadline = time.monotonic() + 3.0
    while True:
        # daemon threads count too: paho's network thread is one, and a client left running
        # keeps reconnecting to a server that is gone
        leaked = [
            t
            for t in threading.enumerate()
            if t not in before and t.is_alive() and not _process_wide(t)
        ]
        if not leaked or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert not leaked, f"test left threads running: {[t.name for t in leaked]}"
    orphans = child_processes() - processes_before
    assert not orphans, f"test left processes running: {sorted(orphans)}"


def _process_wide(thread: threading.Thread) -> bool:
    """Threads a library starts once per process on purpose, not a leak of the test's."""
    return (
        thread.name.startswith(("asyncio_", "Dask-Offload"))  # distributed's one offload pool
        or type(thread).__name__ == "TMonitor"  # tqdm
    )


from tests.influx_server import InfluxServer  # noqa: E402  (appended fixture, kept together)


@pytest.fixture
def influxd(tmp_path: Path) -> Iterator[InfluxServer]:
    """A real influxd (Debian's InfluxDB 1.6) for one test; ``influxd.url`` opens a store on it."""
    with InfluxServer(tmp_path / "influxd") as server:
        yield server


from tests.dairy import dairy  # noqa: E402,F401  (session fixture: the simulated dairy, built once)
from tests.fuzz.budget import pytest_terminal_summary  # noqa: E402,F401  (fuzz: inputs tried per property)
