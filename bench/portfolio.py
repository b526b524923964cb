"""Portfolio scale: time and cost per site as the portfolio grows, and 2 Dask workers against 1.

    python -m bench.portfolio [--sites 10 100 1000] [--scheduler ADDRESS] [--workdir DIR]

Generates the largest portfolio once (``firmware_sim.portfolio.generate_portfolio``: plants of
the five catalogue sectors, a 365-day hourly baseline and a reporting month each — the year
CalTRACK asks of a baseline; SQLite store in ``--workdir``, reused when it already holds enough
plants), then for each size N runs ``portfolio.run_portfolio`` over the first N sites:

* on a LocalCluster of 1 worker process and of 2 (``threads_per_worker=1``), in the same run —
  or, with ``--scheduler``, on that cluster beside the local 1-worker reference;
* each cluster first runs one warm-up site per worker (worker start-up, imports, numba's cached
  kernels), reported apart: the timed part is the steady state a long portfolio sees;
* **cost** is the workers' CPU seconds (``getrusage`` in every worker, before and after), so
  it holds however loaded the machine is; **growth** is time(N) / time(previous N) divided by
  N / previous N (1.0 = linear).

Results are checked equal between the clusters (the same numbers, whatever runs them).
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

__all__ = ["main", "run_size"]


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _worker_cpu(client: Any) -> float:
    return float(sum(client.run(_cpu).values()))


def _subset(full: Path, n: int) -> Path:
    data = yaml.safe_load(full.read_text())
    data["sites"] = data["sites"][:n]
    path = full.with_name(f"portfolio-{n}.yaml")
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _ensure_portfolio(workdir: Path, n: int, baseline_days: int) -> Path:
    from firmware_sim.portfolio import generate_portfolio

    from ingest.stores import open_store

    full = workdir / "portfolio.yaml"
    if full.is_file() and len(yaml.safe_load(full.read_text())["sites"]) >= n:
        print(f"reusing {full}")
        return full
    url = f"sqlite:///{(workdir / 'portfolio.db').resolve()}"
    store = open_store(url)
    t0 = time.perf_counter()
    try:
        generate_portfolio(n, workdir, store, url, baseline_days=baseline_days)
    finally:
        store.close()
    print(f"generated {n} plants in {time.perf_counter() - t0:.0f} s ({workdir})")
    return full


def run_size(path: Path, client: Any) -> tuple[float, float, list[dict[str, Any]]]:
    """Wall seconds, worker CPU seconds and the results of one portfolio run on ``client``."""
    from plantmeter_app.runtime import existing_store
    from portfolio import load_portfolio, run_portfolio

    loaded = load_portfolio(path)
    cpu0 = _worker_cpu(client)
    t0 = time.perf_counter()
    results = run_portfolio(loaded, existing_store, client, progress=False)
    wall = time.perf_counter() - t0
    return wall, _worker_cpu(client) - cpu0, [r.to_dict() for r in results]


def _warm(client: Any, full: Path) -> float:
    workers = len(client.scheduler_info()["workers"])
    t0 = time.perf_counter()
    run_size(_subset(full, workers), client)
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.portfolio", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--sites", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument(
        "--scheduler", help="a running Dask scheduler to measure beside 1 local worker"
    )
    parser.add_argument("--workdir", type=Path, help="keep the generated portfolio here (reused)")
    parser.add_argument("--baseline-days", type=int, default=365)
    args = parser.parse_args(argv)
    from plantmeter_app.commands.portfolio import dask_client

    sizes = sorted(set(args.sites))
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-portfolio-"))
    workdir.mkdir(parents=True, exist_ok=True)
    full = _ensure_portfolio(workdir, sizes[-1], args.baseline_days)
    subsets = {n: _subset(full, n) for n in sizes}
    clusters = [("1 local worker", None, 1), ("2 local workers", None, 2)]
    if args.scheduler:
        clusters[1] = (f"scheduler {args.scheduler}", args.scheduler, 0)
    table: dict[str, dict[int, tuple[float, float]]] = {}
    reference: dict[int, list[dict[str, Any]]] = {}
    for label, address, workers in clusters:
        with dask_client(address, workers or 2) as client:
            n_workers = len(client.scheduler_info()["workers"])
            print(
                f"{label}: {n_workers} worker(s), warm-up {_warm(client, full):.1f} s", flush=True
            )
            for n in sizes:
                wall, cpu, results = run_size(subsets[n], client)
                table.setdefault(label, {})[n] = (wall, cpu)
                if n in reference:
                    assert results == reference[n], f"{label}: results differ at {n} sites"
                reference.setdefault(n, results)
                print(f"  {n:>5} sites: {wall:8.1f} s wall, {cpu:8.1f} CPU s", flush=True)
    print()
    print(
        f"{'cluster':<28} {'sites':>6} {'wall s':>8} {'s/site':>7} {'CPU s/site':>10} {'growth':>7}"
    )
    for label, rows in table.items():
        prev = None
        for n, (wall, cpu) in rows.items():
            growth = f"{(wall / prev[1]) / (n / prev[0]):.2f}" if prev else "—"
            print(f"{label:<28} {n:>6} {wall:8.1f} {wall / n:7.2f} {cpu / n:10.2f} {growth:>7}")
            prev = (n, wall)
    one, two = (table[c[0]] for c in clusters)
    for n in sizes:
        print(
            f"speed-up of {clusters[1][0]} over 1 worker at {n} sites: {one[n][0] / two[n][0]:.2f}x"
        )
    print(
        f"history per site: {args.baseline_days}-day baseline + a reporting month, hourly readings"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
