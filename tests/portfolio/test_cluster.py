"""The same numbers from one process, a LocalCluster of two worker processes, and a separate
``dask scheduler`` + ``dask worker`` pair; flags end up in the store."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from distributed import Client

from ingest.stores import open_store
from plantmeter_app.cli import main
from plantmeter_app.commands.portfolio import dask_client
from plantmeter_app.runtime import existing_store
from portfolio import portfolio_summary, run_portfolio
from reports.document import jsonable
from tests.servers import free_port

from .conftest import Tiny

pytestmark = pytest.mark.integration


def test_local_cluster_of_two_workers_gives_the_numbers_of_one_process(tiny: Tiny) -> None:
    with dask_client(None, 2) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        on_cluster = run_portfolio(tiny.loaded, existing_store, client, progress=False)
    assert [r.to_dict() for r in on_cluster] == [r.to_dict() for r in tiny.in_process]
    assert all(r.error is None and r.verified_cost is not None for r in on_cluster)


def test_flags_are_written_back_to_the_store(tiny: Tiny) -> None:
    store = open_store(tiny.store_url, read_only=True)
    try:
        for site in tiny.loaded.sites:
            runs = store.read_flag_runs(site.site_id)
            assert {r.meter for r in runs} >= {"production", "outdoor-temp"}
    finally:
        store.close()
    assert sum(sum(r.flags.values()) for r in tiny.in_process) > 0  # the sim's night loads


@pytest.fixture
def scheduler(tmp_path: Path) -> Iterator[str]:
    """``dask scheduler`` and one ``dask worker`` (two processes of its own), as an operator
    starts them; stopped at the end."""
    dask = shutil.which("dask", path=str(Path(sys.executable).parent))
    assert dask, "the dask command is missing: pip install 'plantmeter[portfolio]'"
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs = [
        subprocess.Popen(
            [dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
            stdout=subprocess.DEVNULL,
            stderr=(tmp_path / "scheduler.log").open("w"),
        )
    ]
    procs.append(
        subprocess.Popen(
            [
                dask,
                "worker",
                address,
                "--nworkers",
                "1",
                "--nthreads",
                "1",
                "--no-dashboard",
                "--local-directory",
                str(tmp_path / "worker"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=(tmp_path / "worker.log").open("w"),
        )
    )
    try:
        deadline = time.monotonic() + 60
        while True:  # a Client that fails to connect leaves its IO loop thread: poll the port
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, (tmp_path / "scheduler.log").read_text()[-2000:]
                time.sleep(0.2)
        with Client(address, timeout="10s") as client:
            client.wait_for_workers(1, timeout=60)
        yield address
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def test_remote_scheduler_gives_the_same_report(tiny: Tiny, scheduler: str, tmp_path: Path) -> None:
    out = tmp_path / "portfolio.json"
    code = main(
        [
            "portfolio",
            str(tiny.generated.path),
            "--scheduler",
            scheduler,
            "--out",
            str(out),
            "--no-progress",
        ]
    )
    assert code == 0
    expected = jsonable(portfolio_summary(tiny.in_process, tiny.loaded).to_dict())
    got = json.loads(out.read_text())
    assert got["sites"] == expected["sites"]
    assert got["totals"] == expected["totals"]


def test_the_command_says_which_cluster_and_keeps_dasks_routine_lines_out(
    tiny: Tiny, tmp_path: Path
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "plantmeter_app", "portfolio", str(tiny.generated.path)]
        + ["--workers", "1", "--no-progress", "--out", str(tmp_path / "p.json")],
        capture_output=True,
        text=True,
        timeout=120,
        # as from a shell: not what an in-process main() of another test left in os.environ
        env={k: v for k, v in os.environ.items() if k != "DASK_LOGGING__DISTRIBUTED"},
    )
    assert done.returncode == 0, done.stderr
    assert "local Dask cluster: 1 worker processes" in done.stderr
    assert "distributed." not in done.stderr, done.stderr[:2000]
