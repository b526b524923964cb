"""Soak: the whole chain at ten times the dairy's rate, memory and descriptors of every process sampled.

    python -m bench.soak [--minutes 60] [--meters 4] [--poll 1]

The chain of ``bench.chaos_chain`` (simulator, gateway, Mosquitto, ingest, influxd) without
faults: 4 meters read every second is 4 readings/s, ten times the example dairy's ≈ 0.4. Every
``--every`` seconds the resident memory (VmRSS) and open descriptors of each process are read
from /proc. The first fifth of the run is warm-up (caches, InfluxDB's first shards); growth is
the mean of the last fifth minus the mean of the second fifth. The bound, per process: RSS
may grow by at most ``max(20 MB, 10 %)`` per hour of run (pro rata, at least 5 MB), descriptors
by at most 5. The last line is ``soak ok`` or ``soak FAILED`` (exit status 1), and the run
also checks that every reading served was stored (``lost=N``).
"""

from __future__ import annotations

import argparse
import logging
import os
import tempfile
import time
from pathlib import Path

from bench.chaos_chain import Chain
from bench.chaos_count import count_meter

__all__ = ["Sample", "growth_bound", "main", "sample"]

Sample = dict[str, tuple[float, int]]  # process -> (RSS MB, open fds)


def sample(pids: dict[str, int | None]) -> Sample:
    """RSS (MB) and open descriptors of each live process, from /proc."""
    out: Sample = {}
    for name, pid in pids.items():
        if pid is None:
            continue
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            rss_kb = next(
                int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")
            )
            fds = len(os.listdir(f"/proc/{pid}/fd"))
        except (OSError, StopIteration):
            continue
        out[name] = (rss_kb / 1024, fds)
    return out


def growth_bound(start_mb: float, hours: float) -> float:
    """MB of RSS growth allowed over ``hours``: max(20 MB, 10 %) per hour, at least 5 MB."""
    return max(5.0, max(20.0, 0.10 * start_mb) * hours)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--meters", type=int, default=4)
    parser.add_argument("--poll", type=float, default=1.0)
    parser.add_argument(
        "--every", type=float, default=0.0, help="seconds between samples (default: run / 50)"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    seconds = args.minutes * 60
    every = args.every or max(seconds / 50, 0.5)
    samples: list[Sample] = []
    with tempfile.TemporaryDirectory(prefix="plantmeter-soak-") as tmp:
        chain = Chain(Path(tmp), args.meters, args.poll)
        try:
            chain.start()
            time.sleep(5.0)  # every process imported, connected and writing before the first sample
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                time.sleep(every)
                samples.append(sample(chain.pids()))
            chain.silence_all()
            time.sleep(2.0)
            chain.wait_stored(timeout=30.0)
            served, stored = chain.served(), chain.stored()
        finally:
            chain.close()
    lost = sum(count_meter(served[m], stored.get(m, []), []).lost for m in chain.meter_ids)
    readings = sum(len(v) for v in served.values())
    fifth = max(len(samples) // 5, 1)
    early, late = samples[fifth : 2 * fifth], samples[-fifth:]
    print(
        f"# soak: {args.meters} meters every {args.poll:g} s ({args.meters / args.poll:g} readings/s), "
        f"{args.minutes:g} min, {len(samples)} samples, {readings} readings"
    )
    print(
        f"{'process':<16} {'RSS MB':>8} {'growth':>8} {'bound':>7} {'fds':>5} {'growth':>7} {'bound':>6}"
    )
    ok = lost == 0
    for name in sorted({n for s in samples for n in s}):
        first = [s[name] for s in early if name in s]
        last = [s[name] for s in late if name in s]
        if not first or not last:
            continue
        rss0 = sum(r for r, _ in first) / len(first)
        rss1 = sum(r for r, _ in last) / len(last)
        fd0 = sum(f for _, f in first) / len(first)
        fd1 = sum(f for _, f in last) / len(last)
        bound = growth_bound(rss0, seconds / 3600)
        ok = ok and rss1 - rss0 <= bound and fd1 - fd0 <= 5
        print(
            f"{name:<16} {rss0:>8.1f} {rss1 - rss0:>+8.1f} {bound:>7.1f} {fd0:>5.0f} {fd1 - fd0:>+7.1f} {5:>6}"
        )
    print(f"lost={lost}")
    print("soak ok" if ok else "soak FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
