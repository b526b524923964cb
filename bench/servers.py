"""Real servers on free loopback ports, shared by tests and benchmarks: Mosquitto, ``influxd``, the basics.

Benchmarks start their own servers but must not import test helpers, so what both need lives
here; ``tests/servers.py`` and ``tests/influx_server.py`` re-export it. No Docker and no
fakes: the binaries come from Debian's packages. A missing binary is an error that says how
to install it, never a skip.

``InfluxServer`` runs Debian's InfluxDB 1.6; everything it writes (meta, data, WAL, log)
stays in its ``workdir``, and ``stop()`` then ``start()`` brings the same server back with
the same data (used by the outage tests).
"""

from __future__ import annotations

import getpass
import http.client
import itertools
import os
import random
import shutil
import socket
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Self

__all__ = [
    "InfluxServer",
    "MosquittoServer",
    "ServerProcess",
    "free_port",
    "require_binary",
    "wait_for_port",
]


# Under pytest-xdist every worker takes ports from its own block below the kernel's ephemeral
# range, so two workers never both find a port free and start servers on it; within a worker
# the blocks are walked in turn, so a port just handed out is not handed out again at once.
_WORKER_BLOCK = 1000
_WORKER_BASE = 20000
_next_in_block = itertools.count(random.randrange(_WORKER_BLOCK))


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free now (one worker's own block under pytest-xdist)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if worker.startswith("gw") and worker[2:].isdigit() and int(worker[2:]) < 12:
        base = _WORKER_BASE + int(worker[2:]) * _WORKER_BLOCK
        for _ in range(_WORKER_BLOCK):
            port = base + next(_next_in_block) % _WORKER_BLOCK
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def require_binary(name: str, package: str) -> str:
    """Path of ``name``; raise with the install command when it is missing."""
    for candidate in (shutil.which(name), f"/usr/sbin/{name}", f"/usr/bin/{name}"):
        if candidate and Path(candidate).exists():
            return candidate
    raise RuntimeError(
        f"{name} is not installed; run `make test` (as root) or `apt-get install -y {package}`"
    )


def wait_for_port(port: int, timeout: float = 10.0, host: str = "127.0.0.1") -> None:
    """Block until something accepts TCP connections on ``port``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.02)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout}s")


class ServerProcess:
    """A server binary run as a child process: ``start()`` (subclass), ``stop()``, context manager."""

    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        """SIGTERM, so the server saves its state (sessions, WAL); SIGKILL if it hangs."""
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None

    def kill(self) -> None:
        """SIGKILL: a crash, nothing saved on the way out (what the chaos runs inject)."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class InfluxServer(ServerProcess):
    """An ``influxd`` in its own directory, stoppable and restartable with its data."""

    def __init__(
        self,
        workdir: Path,
        port: int | None = None,
        database: str = "plantmeter",
        auth: bool = False,
        data_options: Mapping[str, str] | None = None,
    ) -> None:
        """``auth=True`` turns on HTTP authentication; the first user must be an admin
        (InfluxDB lets ``CREATE USER ... WITH ALL PRIVILEGES`` through while none exists).
        ``data_options``: more ``[data]`` settings, written as given (values already quoted),
        e.g. ``{"cache-snapshot-write-cold-duration": '"1s"'}``."""
        self.binary = require_binary("influxd", "influxdb")
        self.workdir = workdir
        self.port = port or free_port()
        self.rpc_port = free_port()
        self.database = database
        self.proc: subprocess.Popen[bytes] | None = None
        workdir.mkdir(parents=True, exist_ok=True)
        self.log = workdir / "influxd.log"
        self.config = workdir / "influxdb.conf"
        self.config.write_text(
            "reporting-enabled = false\n"
            f'bind-address = "127.0.0.1:{self.rpc_port}"\n'
            "[meta]\n"
            f'  dir = "{workdir}/meta"\n'
            "  logging-enabled = false\n"
            "[data]\n"
            f'  dir = "{workdir}/data"\n'
            f'  wal-dir = "{workdir}/wal"\n'
            '  wal-fsync-delay = "0s"\n'
            "  query-log-enabled = false\n"
            + "".join(f"  {key} = {value}\n" for key, value in (data_options or {}).items())
            + "[http]\n"
            f'  bind-address = "127.0.0.1:{self.port}"\n'
            "  log-enabled = false\n"
            "  suppress-write-log = true\n"
            "  pprof-enabled = false\n"
            "  max-row-limit = 0\n"
            f"  auth-enabled = {'true' if auth else 'false'}\n"
            "[continuous_queries]\n"
            "  enabled = false\n"
            "[monitor]\n"
            "  store-enabled = false\n"
            "[logging]\n"
            '  level = "warn"\n'
            "  suppress-logo = true\n"
        )

    @property
    def url(self) -> str:
        return f"influxdb://127.0.0.1:{self.port}/{self.database}"

    def ping(self, timeout: float = 0.5) -> int:
        """Status of ``GET /ping`` (204 when up); raises OSError when nothing listens."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request("GET", "/ping")
            return conn.getresponse().status
        finally:
            conn.close()

    def start(self, timeout: float = 20.0) -> None:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [self.binary, "-config", str(self.config)], stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                tail = self.log.read_text(errors="replace")[-2000:]
                self.proc = None
                raise RuntimeError(f"influxd exited at start; log tail:\n{tail}")
            try:
                if self.ping() == 204:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        self.stop()
        raise TimeoutError(
            f"influxd on 127.0.0.1:{self.port} did not answer /ping within {timeout}s"
        )


class MosquittoServer(ServerProcess):
    """A Mosquitto broker in its own temporary directory, stoppable and restartable."""

    def __init__(
        self,
        workdir: Path,
        port: int | None = None,
        users: dict[str, str] | None = None,
        tls: tuple[Path, Path, Path] | None = None,
        acl_file: Path | None = None,
        persistence: bool = True,
        extra_config: str = "",
    ) -> None:
        """``users`` (name -> password) requires a login; ``tls`` = (CA, cert, key) serves MQTT over TLS;
        ``acl_file`` (with ``users``) limits what each user may publish and subscribe to.
        ``persistence=False``: a restart forgets every session (what a crash without a saved
        file does); ``extra_config``: more mosquitto.conf lines, appended as given."""
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
        if acl_file is not None:
            auth += f"acl_file {acl_file}\n"
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
            f"persistence {'true' if persistence else 'false'}\n"
            f"persistence_location {workdir}/\n"
            "max_queued_messages 1000000\n"
            "max_inflight_messages 0\n"
            f"log_dest file {workdir}/mosquitto.log\n"
            f"{extra_config}"
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
