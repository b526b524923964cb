"""Latency of the dashboard's series API over a year of 1-minute readings of one meter.

``python -m bench.dashboard [--days 365] [--rounds 30] [--all-quantities] [--json]`` writes one
Eastron SDM630 polled every minute for a year (``bench.store``'s generator: by default its
``power_total`` gauge and ``energy_import_total`` counter, ``--all-quantities`` for all 28)
into a SQLite store, opens it read-only as ``plantmeter serve`` does, serves the dashboard with
uvicorn on a loopback port and asks, as a logged-in API client over HTTP (keep-alive):

* ``GET /api/v1/meters/main-elec/series`` of each quantity at 1-minute resolution over the
  longest window the API accepts at it (a week), and over the whole year at hourly and daily
  resolution;
* the overview page ``/`` when the app has one (the pages are built separately; skipped
  with a message otherwise).

Each case prints the p50 and p95 of ``rounds`` requests beside the p50 / p95 of the store's
own ``read_buckets`` of the same window and width in the same run, and the ratio of the p50s
(what the service layer, validation and JSON add). Goal: p95 < 150 ms for a year at hourly
resolution on the 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import logging
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd

from bench.store import METER, SITE, T0, load_year, sdm630_minutes
from ingest.stores import open_store

__all__ = ["main", "percentiles"]

logger = logging.getLogger(__name__)

QUANTITIES = ("power_total", "energy_import_total")
SITE_YAML = f"""\
site: {{id: {SITE}, name: Bench plant, timezone: UTC}}
store: {{url: "sqlite:///unused.db"}}
buses:
  - {{id: b, transport: tcp, host: 127.0.0.1, port: 5020}}
meters:
  - {{id: {METER}, bus: b, unit_id: 1, profile: eastron-sdm630, kind: electricity, poll: 60s}}
"""
PASSWORD = "bench-password"


def percentiles(samples: list[float]) -> tuple[float, float]:
    """p50 and p95 in milliseconds of ``samples`` (seconds)."""
    a = np.asarray(samples) * 1000.0
    return float(np.percentile(a, 50)), float(np.percentile(a, 95))


def _time(call: Callable[[], Any], rounds: int) -> list[float]:
    call()  # warm: first-use imports, SQLite page cache
    out = []
    for _ in range(rounds):
        t = time.perf_counter()
        call()
        out.append(time.perf_counter() - t)
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(
        prog="python -m bench.dashboard", description=__doc__.split("\n\n")[0]
    )
    p.add_argument("--days", type=int, default=365)
    p.add_argument("--rounds", type=int, default=30)
    p.add_argument("--all-quantities", action="store_true", help="store all 28 SDM630 quantities")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    import uvicorn

    from dashboard import DashboardSettings, create_app
    from dashboard.users import UserStore

    with tempfile.TemporaryDirectory(prefix="bench-dashboard-") as tmp:
        root = Path(tmp)
        (root / "site.yaml").write_text(SITE_YAML)
        ts, columns = sdm630_minutes(args.days)
        if not args.all_quantities:
            columns = {q: columns[q] for q in QUANTITIES}
        url = f"sqlite:///{root / 'bench.db'}"
        writer = open_store(url)
        t = time.perf_counter()
        written = load_year(writer, ts, columns, progress=not args.json)
        writer.close()
        write_s = time.perf_counter() - t
        with UserStore(root / "data" / "users.db") as users:
            users.add_user("bench", PASSWORD, "admin")
        store = open_store(url, read_only=True)
        settings = DashboardSettings(
            sites=(root / "site.yaml",), data_dir=root / "data", secure_cookies=False
        )
        app = create_app(settings, store)
        port = _free_port()
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
        )
        thread = threading.Thread(target=server.run, name="bench-uvicorn", daemon=True)
        thread.start()
        try:
            base = f"http://127.0.0.1:{port}"
            with httpx.Client(base_url=base, timeout=60) as client:
                for _ in range(200):
                    try:
                        client.get("/api/v1/health")
                        break
                    except httpx.TransportError:
                        time.sleep(0.05)
                token = client.post(
                    "/api/v1/token", data={"username": "bench", "password": PASSWORD}
                )
                headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
                results = _run_cases(client, headers, store, args, ts)
        finally:
            server.should_exit = True
            thread.join(timeout=30)
            store.close()
    out = {
        "days": args.days,
        "rounds": args.rounds,
        "values_written": written,
        "write_s": write_s,
        "quantities": len(columns),
        "cases": results,
    }
    if args.json:
        print(json.dumps(out, indent=1))
    else:
        _print(out)
    return out


def _run_cases(
    client: httpx.Client,
    headers: dict[str, str],
    store: Any,
    args: argparse.Namespace,
    ts: np.ndarray,
) -> list[dict[str, Any]]:
    year_start = pd.Timestamp(T0, unit="ms", tz="UTC")
    year_end = pd.Timestamp(int(ts[-1]) + 60_000, unit="ms", tz="UTC")
    week_end = min(year_start + pd.Timedelta(days=7), year_end)
    cases = [
        ("1m over a week", "1m", 60.0, year_start, week_end),
        ("1h over the year", "1h", 3600.0, year_start, year_end),
        ("1d over the year", "1d", "1D", year_start, year_end),
    ]
    results = []
    for quantity in QUANTITIES:
        for label, resolution, every, t0, t1 in cases:
            params = {
                "quantity": quantity,
                "start": t0.isoformat(),
                "end": t1.isoformat(),
                "resolution": resolution,
            }

            def api(params: dict[str, str] = params) -> None:
                r = client.get(f"/api/v1/meters/{METER}/series", params=params, headers=headers)
                if r.status_code != 200:
                    raise RuntimeError(f"{r.status_code} {r.text}")

            def read(
                every: Any = every,
                t0: pd.Timestamp = t0,
                t1: pd.Timestamp = t1,
                quantity: str = quantity,
            ) -> None:
                store.read_buckets(
                    SITE, METER, every, [quantity], t0, t1, tz="UTC" if every == "1D" else None
                )

            check = client.get(
                f"/api/v1/meters/{METER}/series", params=params, headers=headers
            ).json()
            api_s, read_s = _time(api, args.rounds), _time(read, args.rounds)
            (a50, a95), (r50, r95) = percentiles(api_s), percentiles(read_s)
            results.append(
                {
                    "case": f"{quantity} {label}",
                    "buckets": len(check["time"]),
                    "api_p50_ms": a50,
                    "api_p95_ms": a95,
                    "store_p50_ms": r50,
                    "store_p95_ms": r95,
                    "ratio_p50": a50 / r50,
                }
            )
    overview = client.get("/", headers=headers, follow_redirects=True)
    if overview.status_code == 404:
        results.append(
            {"case": "overview page /", "skipped": "the app has no page at / yet (dashboard.pages)"}
        )
    else:
        # one site: / redirects to its page (/sites/ID); the redirect is part of what is timed
        def page() -> None:
            client.get("/", headers=headers, follow_redirects=True).raise_for_status()

        p50, p95 = percentiles(_time(page, args.rounds))
        label = "overview page /" + (f" -> {overview.url.path}" if overview.url.path != "/" else "")
        results.append(
            {"case": label, "status": overview.status_code, "api_p50_ms": p50, "api_p95_ms": p95}
        )
    return results


def _print(out: dict[str, Any]) -> None:
    print(
        f"{out['days']} days of 1-minute readings, {out['quantities']} quantities "
        f"({out['values_written']:,} values, written in {out['write_s']:.0f} s); {out['rounds']} requests a case"
    )
    print(
        f"{'case':<42} {'buckets':>8} {'API p50':>9} {'API p95':>9} {'store p50':>10} {'store p95':>10} {'ratio':>6}"
    )
    for c in out["cases"]:
        if "skipped" in c:
            print(f"{c['case']:<42} skipped: {c['skipped']}")
        elif "store_p50_ms" not in c:
            print(f"{c['case']:<42} {'':>8} {c['api_p50_ms']:>7.1f}ms {c['api_p95_ms']:>7.1f}ms")
        else:
            print(
                f"{c['case']:<42} {c['buckets']:>8,} {c['api_p50_ms']:>7.1f}ms {c['api_p95_ms']:>7.1f}ms "
                f"{c['store_p50_ms']:>8.1f}ms {c['store_p95_ms']:>8.1f}ms {c['ratio_p50']:>5.1f}x"
            )
    print(
        "ratio: API p50 / store read_buckets p50 of the same window and width (goal: 1h over a year p95 < 150 ms)"
    )


if __name__ == "__main__":
    main()
