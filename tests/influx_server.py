"""A real ``influxd`` (Debian's InfluxDB 1.6 package) on free loopback ports, for tests and benches.

Everything it writes (meta, data, WAL, log) stays in ``workdir``; ``stop()`` then ``start()``
brings the same server back with the same data (used by the outage tests).
"""

from __future__ import annotations

import http.client
import subprocess
import time
from pathlib import Path

from tests.servers import ServerProcess, free_port, require_binary

__all__ = ["InfluxServer"]


class InfluxServer(ServerProcess):
    """An ``influxd`` in its own directory, stoppable and restartable with its data."""

    def __init__(
        self,
        workdir: Path,
        port: int | None = None,
        database: str = "plantmeter",
        auth: bool = False,
    ) -> None:
        """``auth=True`` turns on HTTP authentication; the first user must be an admin
        (InfluxDB lets ``CREATE USER ... WITH ALL PRIVILEGES`` through while none exists)."""
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
            "[http]\n"
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
