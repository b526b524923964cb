"""Real servers for tests: Mosquitto (and, via tests/influx_server.py, influxd) on free loopback ports.

The basics (``free_port``, ``require_binary``, ``wait_for_port``, ``ServerProcess``),
``MosquittoServer`` and ``influxd`` live in ``bench.servers``, shared with the benchmarks, and
are re-exported here.

No Docker and no fakes: the binaries come from Debian's packages, which ``make test``
installs. A missing binary is a failure that says how to install it, never a skip.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from bench.servers import MosquittoServer, ServerProcess, free_port, require_binary, wait_for_port

__all__ = [
    "MosquittoServer",
    "ServerProcess",
    "child_processes",
    "free_port",
    "make_test_ca",
    "require_binary",
    "wait_for_port",
]


def make_test_ca(workdir: Path) -> tuple[Path, Path, Path]:
    """A throw-away CA and a server certificate for 127.0.0.1: (ca.pem, server.pem, server.key)."""
    openssl = require_binary("openssl", "openssl")
    workdir.mkdir(parents=True, exist_ok=True)
    ca, ca_key = workdir / "ca.pem", workdir / "ca.key"
    cert, key, csr = workdir / "server.pem", workdir / "server.key", workdir / "server.csr"
    ext = workdir / "san.ext"
    ext.write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    quiet = {"check": True, "capture_output": True}
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(ca_key),
            "-out",
            str(ca),
            "-days",
            "2",
            "-subj",
            "/CN=plantmeter-test-ca",
        ],
        **quiet,
    )
    subprocess.run(
        [
            openssl,
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(csr),
            "-subj",
            "/CN=localhost",
        ],
        **quiet,
    )
    subprocess.run(
        [
            openssl,
            "x509",
            "-req",
            "-in",
            str(csr),
            "-CA",
            str(ca),
            "-CAkey",
            str(ca_key),
            "-CAcreateserial",
            "-out",
            str(cert),
            "-days",
            "2",
            "-extfile",
            str(ext),
        ],
        **quiet,
    )
    return ca, cert, key


def child_processes(pid: int | str = "self") -> set[int]:
    """Live child processes of ``pid`` (default: this process), from Linux /proc; zombies excluded."""
    pids: set[int] = set()
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            pids.update(int(child) for child in children.read_text().split())
        except OSError:
            continue  # that thread ended between the listing and the read
    live = set()
    for child in pids:
        try:
            state = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            live.add(child)
    return live
