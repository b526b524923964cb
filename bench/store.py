"""Storage size and read speed of both stores for one SDM630 polled every minute for a year.

``python -m bench.store [--days 365] [--rounds 5] [--influx-rounds 1] [--no-influx] [--json]`` generates the
readings of one Eastron SDM630 (its profile's 28 quantities: gauges around plausible values,
cumulative energy counters, all rounded to float32 as the meter's registers are), writes
them a day per call into a SQLite store and into an influxd it starts (Debian's 1.6, in a
temporary directory), and prints for each store:

* bytes per value on disk: the SQLite file; InfluxDB's data and WAL directories once its
  cache was written to TSM files and fully compacted (the bench's influxd snapshots a cache
  after 1 s without writes, instead of 10 min), and its TSM files alone (the data proper;
  the rest is mostly the series file's preallocated segments, a fixed cost per database);
* the median time of an hourly and a daily ``read_buckets`` of one quantity and of all
  quantities over the whole range, beside a raw ``read`` of the same, and their ratio;
* the time of ``latest`` (the newest value of each quantity: a dashboard's live tiles);
* with ``--migration``: the size of a version-1 file (one row per value) of the same readings
  and the time its automatic migration to version 2 takes, and the size of the design that
  blocks replace: a row per value with an integer series id (``WITHOUT ROWID``);
* for SQLite, the cost of durability: ms per ingest-like write (one reading of 28 values per
  transaction) with ``synchronous=FULL`` (the default) and ``NORMAL`` (``?durable=false``).
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from statistics import median
from typing import Any

import numpy as np

from ingest.stores import open_store
from plantmeter.profile import load_profile
from plantmeter.store import SeriesRow, SeriesStore

__all__ = ["disk_bytes", "load_year", "main", "sdm630_minutes", "time_reads"]

logger = logging.getLogger(__name__)

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z
MINUTE, DAY = 60_000, 86_400_000
SITE, METER = "bench", "main-elec"
TYPICAL = {"V": (230.0, 2.0), "A": (12.0, 4.0), "W": (2_700.0, 900.0), "VA": (8_500.0, 2_000.0),
           "var": (1_200.0, 400.0), "Hz": (50.0, 0.02), "": (0.93, 0.03)}  # fmt: skip


def sdm630_minutes(days: int, seed: int = 1) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Timestamps (UTC ms, one a minute from 2026-01-01) and a float32-rounded column per quantity."""
    rng = np.random.default_rng(seed)
    n = days * 1440
    ts = T0 + np.arange(n, dtype=np.int64) * MINUTE
    daily = np.sin(2 * np.pi * np.arange(n) / 1440)  # a plant's day: load follows the shift
    columns: dict[str, np.ndarray] = {}
    for point in load_profile("eastron-sdm630").points:
        if point.kind == "counter":
            increments = rng.uniform(0.0, 0.09, n) * (1.2 + daily)  # kWh a minute
            values = 12_345.6 + np.cumsum(increments)
        else:
            mean, spread = TYPICAL.get(point.unit, (1.0, 0.1))
            values = mean + 0.5 * spread * daily + rng.normal(0.0, 0.1 * spread, n)
        columns[point.name] = values.astype(np.float32).astype(np.float64)
    return ts, columns


def load_year(
    store: SeriesStore, ts: np.ndarray, columns: dict[str, np.ndarray], progress: bool = True
) -> int:
    """Write the readings a day per ``write_rows`` call; return the values written."""
    from tqdm import tqdm

    names = list(columns)
    matrix = np.column_stack([columns[q] for q in names])
    written = 0
    days = range(0, ts.size, 1440)
    for start in tqdm(
        days, desc=f"writing {type(store).__name__}", unit="day", disable=not progress
    ):
        stop = min(start + 1440, ts.size)
        rows = [
            SeriesRow(SITE, METER, t, dict(zip(names, values, strict=True)))
            for t, values in zip(ts[start:stop].tolist(), matrix[start:stop].tolist(), strict=True)
        ]
        written += store.write_rows(rows)
    return written


def disk_bytes(path: Path, pattern: str = "*") -> int:
    """Bytes a file, or the files matching ``pattern`` under a directory, take on disk
    (allocated blocks: influxd's series file preallocates segments it has not filled)."""
    files = [path] if path.is_file() else [p for p in path.rglob(pattern) if p.is_file()]
    return sum(min(p.stat().st_blocks * 512, p.stat().st_size) or p.stat().st_size for p in files)


def _median_time(call: Callable[[], Any], rounds: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(rounds):
        started = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - started)
    return median(times), result


def time_reads(store: SeriesStore, quantity: str, days: int, rounds: int) -> dict[str, Any]:
    """Median seconds of raw and aggregated reads over the whole range, and what they returned."""
    import pandas as pd

    start = pd.Timestamp(T0, unit="ms", tz="UTC")
    end = start + pd.Timedelta(days=days)
    reads: dict[str, Callable[[], Any]] = {
        "raw, one quantity": lambda: store.read(SITE, METER, [quantity], start, end),
        "hourly, one quantity": lambda: store.read_buckets(
            SITE, METER, "1h", [quantity], start, end
        ),
        "daily, one quantity": lambda: store.read_buckets(
            SITE, METER, "1D", [quantity], start, end
        ),
        "raw, all quantities": lambda: store.read(SITE, METER, None, start, end),
        "hourly, all quantities": lambda: store.read_buckets(SITE, METER, "1h", None, start, end),
        "daily, all quantities": lambda: store.read_buckets(SITE, METER, "1D", None, start, end),
        "latest, all quantities": lambda: _frame_of(store.latest(SITE, [METER])),
    }
    out: dict[str, Any] = {"seconds": {}, "shape": {}}
    for name, call in reads.items():
        seconds, frame = _median_time(call, rounds)
        out["seconds"][name] = seconds
        out["shape"][name] = list(frame.shape)
    return out


def _frame_of(values: list[Any]) -> Any:
    import pandas as pd

    return pd.DataFrame(values)


def _durability_cost(workdir: Path, names: list[str], writes: int) -> dict[str, float]:
    """Milliseconds per one-reading transaction, FULL versus NORMAL synchronous."""
    out = {}
    for label, suffix in (("FULL", ""), ("NORMAL", "?durable=false")):
        store = open_store(f"sqlite:///{workdir / f'sync-{label}.db'}{suffix}")
        try:
            rows = [
                SeriesRow(SITE, METER, T0 + i * 10_000, dict.fromkeys(names, float(i)))
                for i in range(writes)
            ]
            started = time.perf_counter()
            for row in rows:
                store.write_rows([row])
            out[label] = (time.perf_counter() - started) / writes * 1000
        finally:
            store.close()
    return out


def run_sqlite(workdir: Path, days: int, rounds: int, progress: bool) -> dict[str, Any]:
    ts, columns = sdm630_minutes(days)
    path = workdir / "year.db"
    store = open_store(f"sqlite:///{path}")
    try:
        started = time.perf_counter()
        values = load_year(store, ts, columns, progress)
        write_s = time.perf_counter() - started
        reads = time_reads(store, "power_total", days, rounds)
    finally:
        store.close()
    size = disk_bytes(path)
    return {
        "store": "SQLite",
        "rounds": rounds,
        "values": values,
        "bytes": size,
        "bytes_per_value": size / values,
        "write_seconds": write_s,
        **reads,
        "ms_per_write": _durability_cost(workdir, list(columns), 200),
    }


def run_migration(workdir: Path, days: int) -> dict[str, Any]:
    """A version-1 file (one row per value, as PlantMeter wrote before schema 2) of the same
    readings: its size, and the time of the automatic migration on open."""
    import sqlite3

    from ingest.stores.sqlite import SqliteStore

    ts, columns = sdm630_minutes(days)
    path = workdir / "v1.db"
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(
        "CREATE TABLE readings (site TEXT NOT NULL, meter TEXT NOT NULL, quantity TEXT NOT NULL, "
        "ts INTEGER NOT NULL, value REAL NOT NULL, PRIMARY KEY (site, meter, quantity, ts)) WITHOUT ROWID"
    )
    times = ts.tolist()
    for quantity, values in columns.items():
        rows = zip(
            [SITE] * ts.size,
            [METER] * ts.size,
            [quantity] * ts.size,
            times,
            values.tolist(),
            strict=True,
        )
        db.executemany("INSERT INTO readings VALUES (?,?,?,?,?)", rows)
        db.commit()
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    v1_bytes = disk_bytes(path)
    rows_path = workdir / "rows.db"  # the design below blocks: a row per value, integer ids
    db = sqlite3.connect(rows_path)
    db.execute(
        "CREATE TABLE r (series INTEGER NOT NULL, ts INTEGER NOT NULL, value REAL NOT NULL, "
        "PRIMARY KEY (series, ts)) WITHOUT ROWID"
    )
    for k, values in enumerate(columns.values()):
        db.executemany(
            "INSERT INTO r VALUES (?,?,?)", zip([k] * ts.size, times, values.tolist(), strict=True)
        )
        db.commit()
    db.close()
    rows_bytes = disk_bytes(rows_path)
    started = time.perf_counter()
    SqliteStore(path).close()
    seconds = time.perf_counter() - started
    values, v2_bytes = ts.size * len(columns), disk_bytes(path)
    return {
        "values": values,
        "v1_bytes": v1_bytes,
        "v1_bytes_per_value": v1_bytes / values,
        "integer_rows_bytes_per_value": rows_bytes / values,
        "seconds": seconds,
        "v2_bytes": v2_bytes,
        "v2_bytes_per_value": v2_bytes / values,
    }


def run_influx(workdir: Path, days: int, rounds: int, progress: bool) -> dict[str, Any]:
    """The same on influxd; reads of all quantities of a year take minutes there, so the
    store's request timeout is raised to 30 min."""
    from bench.servers import InfluxServer

    ts, columns = sdm630_minutes(days)
    fast_snapshots = {
        "cache-snapshot-write-cold-duration": '"1s"',
        "compact-full-write-cold-duration": '"1s"',
    }
    with InfluxServer(workdir / "influxd", data_options=fast_snapshots) as server:
        store = open_store(server.url + "?timeout=1800")
        try:
            started = time.perf_counter()
            values = load_year(store, ts, columns, progress)
            write_s = time.perf_counter() - started
            data, wal = _settled_sizes(server.workdir)
            tsm = disk_bytes(server.workdir / "data", "*.tsm")
            reads = time_reads(store, "power_total", days, rounds)
        finally:
            store.close()
    return {
        "store": "InfluxDB 1.6",
        "rounds": rounds,
        "values": values,
        "bytes": data + wal,
        "bytes_wal": wal,
        "bytes_tsm": tsm,
        "bytes_per_value": (data + wal) / values,
        "write_seconds": write_s,
        **reads,
    }


def _settled_sizes(workdir: Path, timeout: float = 180.0) -> tuple[int, int]:
    """(data dir, WAL dir) bytes once the cache is in TSM files and compaction has stopped."""
    deadline = time.monotonic() + timeout
    last, stable = (-1, -1), 0
    while time.monotonic() < deadline:
        sizes = disk_bytes(workdir / "data"), disk_bytes(workdir / "wal")
        stable = stable + 1 if sizes == last else 0
        if stable >= 4 and sizes[1] < 1_000_000:
            return sizes
        last = sizes
        time.sleep(1.0)
    logger.warning("influxd did not settle in %.0f s; sizes as they are", timeout)
    return last


def _print(results: list[dict[str, Any]], days: int) -> None:
    print(f"one SDM630, 28 quantities, 1-minute readings for {days} days")
    for r in results:
        print(
            f"\n{r['store']}: {r['values']:,} values, {r['bytes'] / 1e6:,.1f} MB on disk, "
            f"{r['bytes_per_value']:.2f} bytes a value (written in {r['write_seconds']:.0f} s); "
            f"read times: median of {r['rounds']}"
        )
        if "bytes_tsm" in r:
            print(
                f"  of which TSM files (the data proper) {r['bytes_tsm'] / 1e6:,.1f} MB, "
                f"{r['bytes_tsm'] / r['values']:.2f} bytes a value; WAL {r['bytes_wal'] / 1e6:,.1f} MB"
            )
        seconds = r["seconds"]
        for scope in ("one quantity", "all quantities"):
            raw = seconds[f"raw, {scope}"]
            print(
                f"  {'raw read, ' + scope:28} {raw * 1000:9.1f} ms  {r['shape'][f'raw, {scope}']}"
            )
            for width in ("hourly", "daily"):
                t = seconds[f"{width}, {scope}"]
                print(
                    f"  {width + ' buckets, ' + scope:28} {t * 1000:9.1f} ms  "
                    f"{r['shape'][f'{width}, {scope}']}   aggregated/raw {t / raw:.3f}"
                )
        print(
            f"  {'latest values, all quantities':28} {seconds['latest, all quantities'] * 1000:9.1f} ms"
        )
        if "ms_per_write" in r:
            cost = r["ms_per_write"]
            print(
                f"  one reading per transaction: synchronous=FULL {cost['FULL']:.2f} ms, "
                f"NORMAL {cost['NORMAL']:.2f} ms"
            )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m bench.store", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument(
        "--days", type=int, default=365, help="days of 1-minute readings (default 365)"
    )
    parser.add_argument(
        "--rounds", type=int, default=5, help="timed repetitions of each SQLite read (median)"
    )
    parser.add_argument(
        "--influx-rounds", type=int, default=1, help="the same on InfluxDB (slow: default 1)"
    )
    parser.add_argument("--no-influx", action="store_true", help="SQLite only")
    parser.add_argument(
        "--migration",
        action="store_true",
        help="also: a version-1 file of the same readings, migrated on open",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-store-") as tmp:
        results.append(run_sqlite(Path(tmp), args.days, args.rounds, not args.no_progress))
        if not args.no_influx:
            results.append(
                run_influx(Path(tmp), args.days, args.influx_rounds, not args.no_progress)
            )
        migration = run_migration(Path(tmp), args.days) if args.migration else None
    report: dict[str, Any] = {"days": args.days, "results": results}
    if migration:
        report["migration"] = migration
    if args.json:
        print(json.dumps(report, indent=1))
    else:
        _print(results, args.days)
        if migration:
            print(
                f"\nversion-1 SQLite file of the same readings: {migration['v1_bytes'] / 1e6:,.0f} MB, "
                f"{migration['v1_bytes_per_value']:.1f} bytes a value; migrated on open in "
                f"{migration['seconds']:.0f} s to {migration['v2_bytes'] / 1e6:,.1f} MB "
                f"({migration['v2_bytes_per_value']:.2f} bytes a value); a row per value with "
                f"integer series id, ms and REAL (WITHOUT ROWID): "
                f"{migration['integer_rows_bytes_per_value']:.1f} bytes a value"
            )
    return report


if __name__ == "__main__":
    main()
