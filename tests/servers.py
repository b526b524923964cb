"""Real servers for tests: Mosquitto (and, via tests/influx_server.py, influxd) on free loopback ports.

The basics (``free_port``, ``require_binary``, ``wait_for_port``, ``ServerProcess``) and
``influxd`` live in ``bench.servers``, shared with the benchmarks, and are re-exported here.

No Docker and no fakes: the binaries come from Debian's packages, which ``make test``
installs. A missing binary is a failure that says how to install it, never a skip.
"""

from __future__ import annotations

import getpass
import subprocess
from pathlib import Path

from bench.servers import ServerProcess, free_port, require_binary, wait_for_port

__all__ = [
    "MosquittoServer",
    "ServerProcess",
    "child_processes",
    "free_port",
    "make_test_ca",
    "require_binary",
    "wait_for_port",
]


class MosquittoServer(ServerProcess):
    """A Mosquitto broker in its own temporary directory, stoppable and restartable."""

    def __init__(
        self,
        workdir: Path,
        port: int | None = None,
        users: dict[str, str] | None = None,
        tls: tuple[Path, Path, Path] | None = None,
    ) -> None:
        """``users`` (name -> password) requires a login; ``tls`` = (CA, cert, key) serves MQTT over TLS."""
        self.binary = require_binary("mosquitto", "mosquitto")
        self.workdir = workdir
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        workdir.mkdir(parents=True, exist_ok=True)
        auth = "allow_anonymous true\n"
        if users:
            passwd = require_binary("mosquitto_passwd", "mosquitto")
            password_file = workdir / "passwords"
            password_file.touch()
            for name, password in users.items():
                subprocess.run([passwd, "-b", str(password_file), name, password], check=True)
            auth = f"allow_anonymous false\npassword_file {password_file}\n"
        self.config = workdir / "mosquitto.conf"
        tls_lines = f"cafile {tls[0]}\ncertfile {tls[1]}\nkeyfile {tls[2]}\n" if tls else ""
        self.tls = tls is not None
        self.config.write_text(
            # stay the current user: as root, mosquitto would switch to `mosquitto` and lose
            # access to the temporary directory (persistence, log, keys)
            f"user {getpass.getuser()}\n"
            f"listener {self.port} 127.0.0.1\n"
            f"{tls_lines}"
            f"{auth}"
            "persistence true\n"
            f"persistence_location {workdir}/\n"
            "max_queued_messages 1000000\n"
            "max_inflight_messages 0\n"
            f"log_dest file {workdir}/mosquitto.log\n"
        )

    @property
    def url(self) -> str:
        return f"{'mqtts' if self.tls else 'mqtt'}://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [self.binary, "-c", str(self.config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port)


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
        pids.update(int(child) for child in children.read_text().split())
    live = set()
    for child in pids:
        try:
            state = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            live.add(child)
    return live
