"""The whole chain for the chaos and soak runs: simulator, gateway, Mosquitto, ingest, influxd.

The simulator runs in this process (its record of what it served is the truth the run is
checked against); gateway and ingest run as their own processes (``plantmeter gateway``
through ``bench.chaos_gateway``, whose wall clock can be stepped, and ``plantmeter ingest``),
so that they can be SIGKILLed; Mosquitto and influxd are the Debian binaries. A supervisor
thread restarts gateway or ingest if one exits without being told to, as systemd's
``Restart=always`` would, and counts it: an exit the run did not cause is a finding.
"""

from __future__ import annotations

import http.client
import json
import logging
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

from bench.chaos_proxy import GarbageProxy
from bench.servers import InfluxServer, MosquittoServer, wait_for_port

__all__ = ["Chain", "ChildProcess", "recommended_broker_lines"]

logger = logging.getLogger(__name__)

UNITS_PER_BUS = 10
RECOMMENDED_CONF = (
    Path(__file__).resolve().parent.parent / "deploy" / "mosquitto" / "plantmeter.conf"
)
_BROKER_KEYS = {
    "autosave_interval",
    "autosave_on_changes",
    "persistent_client_expiration",
    "max_queued_messages",
    "max_queued_bytes",
    "max_inflight_messages",
    "queue_qos0_messages",
    "retain_available",
}


def recommended_broker_lines() -> str:
    """The persistence and queue settings of deploy/mosquitto/plantmeter.conf, for the test broker
    (its listener, paths, users and log stay the test's own)."""
    lines = []
    for line in RECOMMENDED_CONF.read_text().splitlines():
        words = line.split()
        if words and words[0] in _BROKER_KEYS:
            lines.append(line.strip())
    return "".join(f"{line}\n" for line in lines)


class ChildProcess:
    """A child process that can be SIGKILLed and started again; output to a log file."""

    def __init__(self, name: str, cmd: list[str], log: Path) -> None:
        self.name = name
        self.cmd = cmd
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None
        self.wanted = False  # the supervisor restarts it when it exits while wanted
        self.unexpected_exits = 0

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(self.cmd, stdout=log, stderr=subprocess.STDOUT)
        self.wanted = True

    def kill(self) -> None:
        self.wanted = False
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()

    def stop(self, timeout: float = 20) -> None:
        self.wanted = False
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None and self.proc.poll() is None else None


class Chain:
    """Everything of one run, started by ``start()`` and torn down by ``close()``."""

    def __init__(
        self, workdir: Path, meters: int, poll: float, outbox_dir: Path | None = None
    ) -> None:
        self.workdir = workdir
        self.n_meters = meters
        self.poll = poll
        self.outbox_dir = outbox_dir or workdir / "outbox"
        self.meter_ids = [f"m{k:03d}" for k in range(meters)]
        self.n_buses = (meters + UNITS_PER_BUS - 1) // UNITS_PER_BUS
        self.garbage_bus = "bus-00"
        self.garbage_meter = self.meter_ids[0]
        self.clock_file = workdir / "gateway-clock-offset"
        self.clock_file.write_text("0\n")
        self._stack = ExitStack()
        self.samples: list[tuple[float, dict[str, float]]] = []
        self._monitor_stop = threading.Event()
        self._threads: list[threading.Thread] = []

    # ------------------------------------------------------------------ setup
    def _scenario(self) -> Path:
        now = datetime.now(UTC)
        scenario = {
            "site": {"id": "chaos", "timezone": "UTC"},
            # the run starts today: counters stay small, so float32 keeps every poll's value distinct
            "start": now.date().isoformat(),
            "end": (now + timedelta(days=3)).date().isoformat(),
            "seed": 17,
            "buses": [
                {"id": f"bus-{i:02d}", "transport": "tcp", "port": 0} for i in range(self.n_buses)
            ],
            "meters": [
                {
                    "id": meter,
                    "bus": f"bus-{k // UNITS_PER_BUS:02d}",
                    "unit_id": k % UNITS_PER_BUS + 1,
                    "profile": "eastron-sdm120",
                    "kind": "electricity",
                    # small counters, a load that never stops: float32 keeps every poll's value distinct
                    "initial": 100.0 + k,
                    "load": {"base": 5.0, "noise": 0.02, "unexplained": {"cv": 0.0, "rho": 0.0}},
                }
                for k, meter in enumerate(self.meter_ids)
            ],
        }
        path = self.workdir / "scenario.yaml"
        path.write_text(yaml.safe_dump(scenario))
        return path

    def _site(self, ports: dict[str, int]) -> Path:
        site = {
            "site": {"id": "chaos", "timezone": "UTC"},
            "broker": {"url": self.broker.url},
            "store": {"url": self.influx.url},
            "gateway": {
                "id": "chaos-gw",
                "outbox": str(self.outbox_dir / "outbox.db"),
                "replay_rate": 5000,
            },
            # one ingest, plain subscription: Mosquitto 2.0.11 does not bring a shared subscription
            # back from its persistence file (root README, "Reliability")
            "ingest": {"client_id": "chaos-ingest", "batch_interval": "250ms", "group": ""},
            "buses": [
                {"id": bus, "transport": "tcp", "host": "127.0.0.1", "port": port, "timeout": "3s"}
                for bus, port in ports.items()
            ],
            "meters": [
                {
                    "id": meter,
                    "bus": f"bus-{k // UNITS_PER_BUS:02d}",
                    "unit_id": k % UNITS_PER_BUS + 1,
                    "profile": "eastron-sdm120",
                    "kind": "electricity",
                    "poll": f"{self.poll:g}s",
                    "quantities": ["energy_import_total"],
                }
                for k, meter in enumerate(self.meter_ids)
            ],
        }
        path = self.workdir / "site.yaml"
        path.write_text(yaml.safe_dump(site))
        return path

    def start(self) -> None:
        from firmware_sim import load_scenario, running_bus

        self.broker = MosquittoServer(
            self.workdir / "mosquitto", extra_config=recommended_broker_lines()
        )
        self.influx = InfluxServer(self.workdir / "influxd")
        self.broker.start()
        self._stack.callback(self.broker.stop)
        self.influx.start()
        self._stack.callback(self.influx.stop)
        scenario = load_scenario(self._scenario())
        self.bus = self._stack.enter_context(
            running_bus(scenario, port_overrides={b.id: 0 for b in scenario.buses})
        )
        ports = dict(self.bus.ports)
        unit = int(self.garbage_meter[1:]) % UNITS_PER_BUS + 1
        self.proxy = GarbageProxy(ports[self.garbage_bus], unit).start()
        self._stack.callback(self.proxy.stop)
        ports[self.garbage_bus] = self.proxy.port
        for port in ports.values():
            wait_for_port(port)
        site = self._site(ports)
        python = sys.executable
        self.gateway = ChildProcess(
            "gateway",
            [
                python,
                "-m",
                "bench.chaos_gateway",
                str(self.clock_file),
                "--log-level",
                "INFO",
                "gateway",
                str(site),
            ],
            self.workdir / "gateway.log",
        )
        self.ingest = ChildProcess(
            "ingest",
            [
                python,
                "-m",
                "plantmeter_app",
                "--log-level",
                "INFO",
                "ingest",
                str(site),
                "--status-interval",
                "5",
            ],
            self.workdir / "ingest.log",
        )
        self.ingest.start()
        self._stack.callback(self.ingest.stop)
        # readings published before ingest's first SUBSCRIBE reach no session: start the
        # gateway once ingest is subscribed (a first installation must do the same)
        deadline = time.monotonic() + 60
        while "subscribed to" not in self.ingest.log.read_text(errors="replace"):
            if time.monotonic() > deadline:
                raise TimeoutError(f"ingest did not subscribe within 60 s; see {self.ingest.log}")
            time.sleep(0.1)
        self.gateway.start()
        self._stack.callback(self.gateway.stop)
        for target in (self._supervise, self._monitor):
            thread = threading.Thread(target=target, name=f"chaos-{target.__name__}")
            thread.start()
            self._threads.append(thread)

    def close(self) -> None:
        self._monitor_stop.set()
        for thread in self._threads:
            thread.join(10)
        self._stack.close()

    # ------------------------------------------------------------------ supervision
    def _supervise(self) -> None:
        while not self._monitor_stop.wait(0.5):
            for child in (self.gateway, self.ingest):
                if child.wanted and child.proc is not None and child.proc.poll() is not None:
                    child.unexpected_exits += 1
                    logger.warning(
                        "%s exited by itself (status %s); restarting it",
                        child.name,
                        child.proc.returncode,
                    )
                    child.start()

    def _monitor(self) -> None:
        """Once a second: the largest counter stored per meter (what recovery is measured on)."""
        while not self._monitor_stop.wait(1.0):
            try:
                self.samples.append((self.bus.clock.now(), self.stored_max()))
            except (OSError, http.client.HTTPException, ValueError, KeyError):
                pass  # influxd down or killed mid-answer: no sample

    # ------------------------------------------------------------------ the store, read directly
    def query(self, q: str, timeout: float = 30) -> list[dict]:
        params = urllib.parse.urlencode({"db": self.influx.database, "q": q, "epoch": "ms"})
        with urllib.request.urlopen(
            f"http://127.0.0.1:{self.influx.port}/query?{params}", timeout=timeout
        ) as r:
            body = json.loads(r.read())
        return body["results"][0].get("series", [])

    def stored_max(self) -> dict[str, float]:
        series = self.query(
            'SELECT max("energy_import_total") FROM "readings" GROUP BY "meter"', timeout=2
        )
        return {s["tags"]["meter"]: float(s["values"][0][1]) for s in series}

    def stored(self) -> dict[str, list[tuple[int, float]]]:
        """Every stored (ts ms, counter) per meter."""
        series = self.query('SELECT "energy_import_total" FROM "readings" GROUP BY "meter"')
        return {
            s["tags"]["meter"]: [(int(t), float(v)) for t, v in s["values"] if v is not None]
            for s in series
        }

    def served(self) -> dict[str, list[tuple[float, float]]]:
        """Every energy counter value the simulator sent, per meter: (simulated s, value)."""
        return {
            meter: [
                (s.time, s.value)
                for s in self.bus.served(meter)
                if s.quantity == "energy_import_total"
            ]
            for meter in self.meter_ids
        }

    def silence_all(self) -> None:
        """Every bus stops answering (the end of a run: nothing more is served)."""
        now = datetime.fromtimestamp(self.bus.clock.now(), UTC)
        for i in range(self.n_buses):
            self.bus.inject({"type": "bus_dropout", "bus": f"bus-{i:02d}", "start": now})

    def pids(self) -> dict[str, int | None]:
        """Process ids of every part (the simulator is this process)."""
        import os

        return {
            "simulator+bench": os.getpid(),
            "gateway": self.gateway.pid,
            "ingest": self.ingest.pid,
            "mosquitto": self.broker.proc.pid if self.broker.proc else None,
            "influxd": self.influx.proc.pid if self.influx.proc else None,
        }

    def wait_stored(self, timeout: float) -> None:
        """Until every served counter value is stored or ``timeout`` passed (the end of a run)."""
        deadline = time.monotonic() + timeout
        served = self.served()
        target = {m: v[-1][1] for m, v in served.items() if v}
        while time.monotonic() < deadline:
            try:
                got = self.stored_max()
            except (OSError, http.client.HTTPException, ValueError, KeyError):
                got = {}
            if all(got.get(m, -1.0) >= v for m, v in target.items()):
                return
            time.sleep(1.0)
