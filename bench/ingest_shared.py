"""Ingest scale-out: N ingest processes on one MQTT shared subscription, under load.

    python -m bench.ingest_shared [--processes 1 2 3] [--messages 30000] [--meters 20] [--rounds 2]

Starts one Mosquitto and one influxd (Debian's packages, temporary directories). For each N,
``plantmeter ingest SITE --processes N`` runs N separate processes in the site's
shared-subscription group (``$share/plantmeter-ingest/plantmeter/+/+/reading``: the broker
hands each message to one member; each member acknowledges after its durable write). A
publisher process sends M SDM630 reading messages (28 values each) at QoS 1; the rate runs from
the publisher's go to the moment influxd holds all M readings (a count query). Rounds alternate
the sizes so that load from elsewhere hits them alike; medians are compared with N = 1.

On a machine with few cores the broker, the publisher, influxd and the members share them: the
speed-up says how much a group gains *here*; on a cluster each member gets its own cores.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from statistics import median

__all__ = ["main", "run"]


def run(processes: list[int], messages: int, meters: int, rounds: int) -> dict[str, object]:
    """Rates (messages/s) per group size, every round, and the medians' speed-ups over the first."""
    from bench.ingest import ingest_processes_rate
    from bench.servers import InfluxServer, MosquittoServer

    rates: dict[int, list[float]] = {n: [] for n in processes}
    with tempfile.TemporaryDirectory(prefix="bench-ingest-shared-") as tmp:
        with (
            MosquittoServer(Path(tmp) / "mosquitto") as broker,
            InfluxServer(Path(tmp) / "influxd") as influx,
        ):
            offset = 0
            for _ in range(rounds):
                for n in processes:
                    rates[n].append(
                        ingest_processes_rate(
                            broker.url,
                            influx.url,
                            influx.port,
                            messages,
                            meters,
                            offset,
                            {},
                            n,
                            Path(tmp),
                        )
                    )
                    offset += messages  # fresh timestamps: every write is a new point
    medians = {n: median(r) for n, r in rates.items()}
    first = medians[processes[0]]
    return {
        "messages": messages,
        "meters": meters,
        "rounds": rounds,
        "rates": {str(n): r for n, r in rates.items()},
        "median": {str(n): m for n, m in medians.items()},
        "speed_up": {str(n): m / first for n, m in medians.items()},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.ingest_shared",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--messages", type=int, default=30_000, help="reading messages per run")
    parser.add_argument("--meters", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = run(sorted(set(args.processes)), args.messages, args.meters, args.rounds)
    if args.json:
        print(json.dumps(result, indent=1))
        return 0
    print(
        f"{args.messages:,} SDM630 readings per run (28 values each), {args.meters} meters, QoS 1, "
        f"Mosquitto -> `plantmeter ingest --processes N` -> InfluxDB; {args.rounds} alternating rounds"
    )
    print(f"{'processes':>9} {'median msg/s':>13} {'values/s':>10} {'speed-up':>9}")
    for n, m in result["median"].items():  # type: ignore[attr-defined]
        print(f"{n:>9} {m:13,.0f} {m * 28:10,.0f} {result['speed_up'][n]:8.2f}x")  # type: ignore[index]
    return 0


if __name__ == "__main__":
    sys.exit(main())
