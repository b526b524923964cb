"""Reference write rate of an influxd, and InfluxStore.write_rows/write_points measured beside it.

``raw_write_rate(url, n_points)`` is the reference other benches (``bench.ingest``) compare
to: line protocol built before the clock starts, POSTed to ``/write`` in batches of 5,000
lines over one kept-alive connection, so it measures InfluxDB and HTTP alone.

A *point* here is one stored value (one field of one line, one ``SeriesPoint``), so rates
from all paths compare directly; ``fields_per_line`` sets how many values share a line
(a meter reading carries all its quantities at one timestamp). ``write_rows`` is what
ingest calls (a reading as one ``SeriesRow``); ``write_points`` is the long form.

``python -m bench.influx_raw [--points N] [--fields F]`` starts its own influxd (Debian's
1.6, in a temporary directory) and prints the raw rate, the store's rate and their ratio.
"""

from __future__ import annotations

import argparse
import http.client
import logging
import tempfile
import time
from pathlib import Path
from statistics import median
from urllib.parse import urlencode

from ingest.stores.influx import InfluxStore
from ingest.stores.influx_config import parse_influx_url
from plantmeter.store import SeriesPoint, SeriesRow

__all__ = ["raw_write_rate", "store_write_rate"]

logger = logging.getLogger(__name__)

BATCH_LINES = 5_000
T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z


def _lines(n_lines: int, fields: int, measurement: str, offset_ms: int) -> list[str]:
    names = [f"q{k:02d}" for k in range(fields)]
    out = []
    for i in range(n_lines):
        values = ",".join(f"{name}={i + k * 0.5}" for k, name in enumerate(names))
        out.append(f"{measurement},meter=m{i % 10},site=bench {values} {T0 + offset_ms + i * 10}")
    return out


def raw_write_rate(
    url: str, n_points: int, *, fields_per_line: int = 1, measurement: str = "bench_raw"
) -> float:
    """Points (values) per second for batched line-protocol writes straight into influxd.

    ``url`` is an ``influxdb://`` store URL (its database is created if missing).
    """
    cfg = parse_influx_url(url)
    n_lines = max(1, n_points // fields_per_line)
    lines = _lines(n_lines, fields_per_line, measurement, offset_ms=0)
    bodies = [
        "\n".join(lines[i : i + BATCH_LINES]).encode() for i in range(0, n_lines, BATCH_LINES)
    ]
    conn = http.client.HTTPConnection(cfg.host, cfg.port, timeout=60)
    headers = {**cfg.auth_header(), "Content-Type": "text/plain; charset=utf-8"}
    try:

        def post(path: str, params: dict[str, str], body: bytes) -> None:
            conn.request("POST", f"{path}?{urlencode(params)}", body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            if response.status >= 300:
                raise RuntimeError(f"{path} answered {response.status}: {data[:300]!r}")

        post("/query", {"q": f'CREATE DATABASE "{cfg.database}"'}, b"")
        params = {"db": cfg.database, "precision": "ms"}
        if cfg.rp:
            params["rp"] = cfg.rp
        started = time.perf_counter()
        for body in bodies:
            post("/write", params, body)
        elapsed = time.perf_counter() - started
    finally:
        conn.close()
    return n_lines * fields_per_line / elapsed


def store_write_rate(
    url: str,
    n_points: int,
    *,
    fields_per_line: int = 1,
    lines_per_call: int = BATCH_LINES,
    rows: bool = False,
) -> float:
    """Points per second through ``InfluxStore.write_points`` (or ``write_rows`` with
    ``rows``), ``lines_per_call`` readings per call, as ingest hands over one batch."""
    names = [f"q{k:02d}" for k in range(fields_per_line)]
    n_lines = max(1, n_points // fields_per_line)
    store = InfluxStore.from_url(url, create=True)
    try:
        if rows:
            readings = [
                SeriesRow(
                    "bench",
                    f"m{i % 10}",
                    T0 + i * 10,
                    {name: i + k * 0.5 for k, name in enumerate(names)},
                )
                for i in range(n_lines)
            ]
            started = time.perf_counter()
            for i in range(0, n_lines, lines_per_call):
                store.write_rows(readings[i : i + lines_per_call])
        else:
            points = [
                SeriesPoint("bench", f"m{i % 10}", name, T0 + i * 10, i + k * 0.5)
                for i in range(n_lines)
                for k, name in enumerate(names)
            ]
            per_call = lines_per_call * fields_per_line
            started = time.perf_counter()
            for i in range(0, len(points), per_call):
                store.write_points(points[i : i + per_call])
        elapsed = time.perf_counter() - started
    finally:
        store.close()
    return n_lines * fields_per_line / elapsed


def main(argv: list[str] | None = None) -> None:
    from bench.servers import InfluxServer  # the bench starts its own server

    parser = argparse.ArgumentParser(prog="python -m bench.influx_raw", description=__doc__)
    parser.add_argument("--points", type=int, default=500_000, help="values per run")
    parser.add_argument("--fields", type=int, default=25, help="values per line (a reading)")
    parser.add_argument("--call", type=int, default=BATCH_LINES, help="readings per store call")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds")
    args = parser.parse_args(argv)
    rates: dict[str, list[float]] = {
        "raw line protocol": [],
        "InfluxStore.write_rows": [],
        "InfluxStore.write_points": [],
    }
    with tempfile.TemporaryDirectory(prefix="bench-influx-") as tmp, InfluxServer(Path(tmp)) as srv:
        raw_write_rate(srv.url, 20_000, fields_per_line=args.fields, measurement="warmup")
        for _ in range(args.rounds):  # alternate, so load from elsewhere hits all alike
            rates["raw line protocol"].append(
                raw_write_rate(srv.url, args.points, fields_per_line=args.fields)
            )
            for shape, rows in (("write_rows", True), ("write_points", False)):
                rates[f"InfluxStore.{shape}"].append(
                    store_write_rate(
                        srv.url,
                        args.points,
                        fields_per_line=args.fields,
                        lines_per_call=args.call,
                        rows=rows,
                    )
                )
    print(
        f"influxd {srv.binary}: {args.points:,} values per run, {args.fields} per line, "
        f"{args.call:,} lines per store call, {args.rounds} alternating rounds"
    )
    for name, runs in rates.items():
        print(
            f"{name:25}: median {median(runs):11,.0f} values/s, best {max(runs):11,.0f}"
            f"   runs: {', '.join(f'{r:,.0f}' for r in runs)}"
        )
    raw = rates["raw line protocol"]
    for name, runs in list(rates.items())[1:]:
        print(
            f"{name + ' / raw':34}: median {median(runs) / median(raw):.2f}, best {max(runs) / max(raw):.2f}"
        )


if __name__ == "__main__":
    main()
