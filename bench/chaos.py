"""Chaos under load: the whole chain at ≥ 200 readings/s while a schedule breaks its parts.

    python -m bench.chaos [--short] [--meters 200] [--poll 1] [--keep DIR]

The chain (``bench.chaos_chain``): the simulator (N SDM120 meters, ten per Modbus TCP bus;
one bus behind a proxy that can make a meter answer garbage), the gateway, Mosquitto with the
recommended configuration (deploy/mosquitto/plantmeter.conf), ingest and influxd 1.6. The
schedule injects, one after the other (``--short``: once, short outages; the full run: twice,
longer ones): SIGKILL of the gateway, of ingest and of Mosquitto; influxd stopped and killed;
a bus going silent; a meter answering garbage; a full disk under the gateway's outbox (a
small tmpfs; skipped, and said so, when mount is not permitted); the gateway host's clock
stepped back and forward; ingest down while the broker crashes.

Then every bus goes silent, the chain drains, and the store is compared with the simulator's
record of what it served (``bench.chaos_count``): readings lost, duplicated, foreign, the
energy per meter against the simulator's counter difference, and each fault's recovery time.
The last line is ``lost=N duplicated=M``.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bench.chaos_chain import Chain
from bench.chaos_count import MeterCount, count_meter, recovery_seconds

__all__ = ["Fault", "main", "schedule"]

logger = logging.getLogger(__name__)


@dataclass
class Fault:
    """One injected fault: ``begin`` breaks, ``end`` (after ``hold`` s) repairs."""

    name: str
    begin: Callable[[Chain], None]
    end: Callable[[Chain], None]
    hold: float
    started: float = 0.0  # simulated seconds (= wall clock of this process)
    ended: float = 0.0
    excuse: list[tuple[str, float, float]] = field(default_factory=list)  # (meter or *, start, end)
    skipped: str = ""


def _kill_gateway(chain: Chain) -> None:
    chain.gateway.kill()


def _kill_ingest(chain: Chain) -> None:
    chain.ingest.kill()


def _start_gateway(chain: Chain) -> None:
    chain.gateway.start()


def _start_ingest(chain: Chain) -> None:
    chain.ingest.start()


def _silent_bus(seconds: float) -> Callable[[Chain], None]:
    def act(chain: Chain) -> None:
        start = datetime.fromtimestamp(chain.bus.clock.now(), UTC)
        chain.bus.inject(
            {"type": "bus_dropout", "bus": "bus-01", "start": start, "duration": seconds}
        )

    return act


def _nothing(chain: Chain) -> None:
    """The fault ends by itself (a scheduled simulator fault)."""


def _garble(on: bool) -> Callable[[Chain], None]:
    def act(chain: Chain) -> None:
        chain.proxy.garble = on

    return act


def _clock(offset: float) -> Callable[[Chain], None]:
    def act(chain: Chain) -> None:
        chain.clock_file.write_text(f"{offset:g}\n")

    return act


def _compound_begin(chain: Chain) -> None:
    chain.ingest.kill()
    time.sleep(2.0)  # readings queue in the broker for the absent ingest...
    chain.broker.kill()  # ...and the broker crashes with them


def _compound_end(chain: Chain) -> None:
    chain.broker.start()
    time.sleep(2.0)
    chain.ingest.start()


def _fill_disk(chain: Chain) -> None:
    filler = chain.outbox_dir / "filler"
    with contextlib.suppress(OSError), filler.open("wb") as f:
        block = b"\0" * 65536
        while True:
            f.write(block)
            f.flush()


def _free_disk(chain: Chain) -> None:
    (chain.outbox_dir / "filler").unlink(missing_ok=True)


def schedule(short: bool) -> list[Fault]:
    """The faults of a run, in order (``short``: once, short outages)."""
    k = 1.0 if short else 4.0
    faults = [
        Fault("gateway SIGKILL", _kill_gateway, _start_gateway, 2 * k),
        Fault("ingest SIGKILL", _kill_ingest, _start_ingest, 3 * k),
        Fault("mosquitto SIGKILL", lambda c: c.broker.kill(), lambda c: c.broker.start(), 2 * k),
        Fault("influxd stopped", lambda c: c.influx.stop(), lambda c: c.influx.start(), 4 * k),
        Fault("influxd SIGKILL", lambda c: c.influx.kill(), lambda c: c.influx.start(), 3 * k),
        Fault("bus silent", _silent_bus(4 * k), _nothing, 4 * k),
        Fault("meter answers garbage", _garble(True), _garble(False), 4 * k),
        Fault("outbox disk full", _fill_disk, _free_disk, 4 * k),
        Fault("gateway clock -60 s", _clock(-60), _clock(0), 5 * k),
        Fault("gateway clock +60 s", _clock(60), _clock(0), 5 * k),
        Fault("ingest down + mosquitto SIGKILL", _compound_begin, _compound_end, 3 * k),
    ]
    return faults if short else faults + schedule(True)


def _mount_tmpfs(path: Path, size_mb: int) -> str:
    """Mount a small tmpfs at ``path``; '' on success, else why not."""
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        return "not root: mount is not permitted"
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs", str(path)],
        capture_output=True,
        text=True,
    )
    return "" if result.returncode == 0 else f"mount failed: {result.stderr.strip()}"


def run(
    short: bool, meters: int, poll: float, workdir: Path
) -> tuple[list[Fault], dict[str, MeterCount], Chain, float]:
    outbox = workdir / "outbox"
    why_no_tmpfs = _mount_tmpfs(outbox, 48)
    chain = Chain(workdir, meters, poll, outbox)
    faults = schedule(short)
    gap = 4.0 if short else 20.0
    started = time.monotonic()
    try:
        chain.start()
        time.sleep(5.0)  # the chain settles: every meter polled, ingest subscribed
        for fault in faults:
            if fault.name == "outbox disk full" and why_no_tmpfs:
                fault.skipped = why_no_tmpfs
                continue
            fault.started = chain.bus.clock.now()
            logger.info("fault: %s", fault.name)
            fault.begin(chain)
            time.sleep(fault.hold)
            fault.end(chain)
            fault.ended = chain.bus.clock.now()
            if fault.name == "gateway SIGKILL":
                fault.excuse.append(("*", fault.started - 2.0, fault.started + 0.1))
            if fault.name == "meter answers garbage":
                fault.excuse.append((chain.garbage_meter, fault.started, fault.ended + 0.5))
            time.sleep(gap)
        chain.silence_all()
        time.sleep(2.0)
        chain.wait_stored(timeout=60.0)
        time.sleep(2.0)  # one more sample after the last write
        served, stored = chain.served(), chain.stored()
        counts = {}
        for meter in chain.meter_ids:
            excused = [(a, b) for f in faults for who, a, b in f.excuse if who in ("*", meter)]
            counts[meter] = count_meter(served[meter], stored.get(meter, []), excused)
        for fault in faults:
            if fault.skipped:
                continue
            targets = {}
            for meter, values in served.items():
                after = [v for t, v in values if t >= fault.ended]
                if after:
                    targets[meter] = after[0]
            fault_recovery = recovery_seconds(fault.ended, targets, chain.samples)
            fault.excuse.append(
                ("recovery", fault_recovery if fault_recovery is not None else -1.0, 0.0)
            )
    finally:
        chain.close()
        if not why_no_tmpfs:
            subprocess.run(["umount", str(outbox)], check=False)
    return faults, counts, chain, time.monotonic() - started


def _recovery(fault: Fault) -> float | None:
    for who, a, _ in fault.excuse:
        if who == "recovery":
            return a if a >= 0 else None
    return None


def report(
    faults: list[Fault], counts: dict[str, MeterCount], chain: Chain, seconds: float
) -> tuple[int, int]:
    served = sum(c.served for c in counts.values())
    stored = sum(c.stored for c in counts.values())
    lost = sum(c.lost for c in counts.values())
    duplicated = sum(c.duplicated for c in counts.values())
    print(
        f"# chaos: {len(counts)} meters every {chain.poll:g} s, {seconds:.0f} s, cpus={os.cpu_count()}"
    )
    print(f"{'fault':<34} {'held s':>7} {'recovery s':>11} {'lost':>6}")
    lost_times = sorted(t for c in counts.values() for t in c.lost_times)
    ran = [f for f in faults if not f.skipped]
    before = sum(1 for t in lost_times if not ran or t < ran[0].started)
    print(f"{'(before the first fault)':<34} {'':>7} {'':>11} {before:>6}")
    for i, fault in enumerate(faults):
        if fault.skipped:
            print(f"{fault.name:<34} {'-':>7} {'skipped':>11}  ({fault.skipped})")
            continue
        following = [f for f in faults[i + 1 :] if not f.skipped]
        until = following[0].started if following else float("inf")
        in_window = sum(1 for t in lost_times if fault.started <= t < until)
        rec = _recovery(fault)
        print(
            f"{fault.name:<34} {fault.ended - fault.started:>7.1f} "
            f"{rec if rec is not None else float('nan'):>11.1f} {in_window:>6}"
        )
    span = max((t for values in chain.served().values() for t, _ in values), default=0.0) - min(
        (t for values in chain.served().values() for t, _ in values), default=0.0
    )
    energy_bad = [m for m, c in counts.items() if not c.energy_exact]
    recoveries = [r for f in faults if (r := _recovery(f)) is not None]
    not_taken = sum(c.not_taken for c in counts.values())
    not_exact = f" (not: {', '.join(energy_bad[:5])})" if energy_bad else ""
    print(
        f"readings served {served} ({served / max(span, 1):.0f}/s), stored {stored}, "
        f"not taken (read as the gateway was killed, or garbled on the wire) {not_taken}"
    )
    print(
        f"foreign values stored {sum(c.foreign for c in counts.values())}; energy exact for "
        f"{len(counts) - len(energy_bad)}/{len(counts)} meters{not_exact}"
    )
    print(
        f"faults survived {sum(1 for f in faults if not f.skipped)}, longest recovery "
        f"{max(recoveries) if recoveries else float('nan'):.1f} s, unrecovered "
        f"{sum(1 for f in faults if not f.skipped and _recovery(f) is None)}"
    )
    print(
        f"unexpected exits: gateway {chain.gateway.unexpected_exits}, ingest {chain.ingest.unexpected_exits}; "
        f"garbled answers {chain.proxy.garbled}"
    )
    print(f"lost={lost} duplicated={duplicated}")
    return lost, duplicated


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--short", action="store_true", help="each fault once, short outages (CI)")
    parser.add_argument("--meters", type=int, default=220)
    parser.add_argument("--poll", type=float, default=1.0, help="seconds between polls of a meter")
    parser.add_argument(
        "--keep", type=Path, help="run in this directory and keep it (logs, configs)"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("pymodbus").setLevel(logging.CRITICAL)
    logging.getLogger("firmware_sim").setLevel(logging.WARNING)
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        faults, counts, chain, seconds = run(args.short, args.meters, args.poll, args.keep)
    else:
        with tempfile.TemporaryDirectory(prefix="plantmeter-chaos-") as tmp:
            faults, counts, chain, seconds = run(args.short, args.meters, args.poll, Path(tmp))
    lost, duplicated = report(faults, counts, chain, seconds)
    return 0 if lost == 0 and duplicated == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
