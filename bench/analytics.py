"""Analytics benchmark: ``python -m bench.analytics [--meters 1000] [--repeats N] [--no-eemeter]``.

Prints, in one run:
* fits/s of our daily model (automatic selection over 1P..5P, and a single 5P) and our
  hourly TOWT, and of eemeter 4.1.1's DailyModel and CalTRACK hourly model on the same
  data (in the eemeter venv), with the ratios;
* wall time of what users run, over a portfolio of N meters x 1 year of hourly counter
  readings (and their power gauge) plus one outdoor-temperature meter: every flag detector
  ``plantmeter flags --plan`` runs (``analytics.engine.detect_site``) and the savings with their
  uncertainty the reports compute (``analytics.api.compute_savings``, hourly TOWT), both through
  ``analytics.portfolio.run_portfolio``; first-call compile time reported apart.

The figure published before (1,000 meters in 3.9-6.3 s) was measured on a separate numba
portfolio kernel with its own detector semantics, which no command ran; it was removed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

from analytics.engine import MeterData

__all__ = ["main"]


def synth_daily(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    idx = pd.date_range("2023-01-01", periods=365, freq="D", tz="UTC")
    t = 57 - 25 * np.cos(2 * np.pi * (np.arange(365) - 15) / 365.25) + rng.normal(0, 6, 365)
    y = 500 + 8 * np.maximum(55 - t, 0) + 12 * np.maximum(t - 68, 0) + rng.normal(0, 15, 365)
    return pd.DataFrame({"usage": y, "temperature": t}, index=idx)


def synth_hourly(meters: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, pd.DatetimeIndex]:
    rng = np.random.default_rng(seed)
    idx = pd.date_range("2023-01-02", periods=24 * 365, freq="h", tz="UTC")
    n = len(idx)
    hrs = np.arange(n) / 24
    t = 57 - 25 * np.cos(2 * np.pi * (hrs - 15) / 365.25) + 8 * np.sin(2 * np.pi * (hrs - 0.375))
    occ = np.asarray((idx.day_of_week < 5) & (idx.hour >= 7) & (idx.hour < 19))
    scale = rng.uniform(0.5, 5.0, (meters, 1))
    base = 4.0 + 6.0 * occ + 0.15 * np.maximum(t - 65, 0) + 0.05 * np.maximum(45 - t, 0)
    usage = scale * base * (1 + rng.normal(0, 0.1, (meters, n)))
    temp = np.broadcast_to(t + rng.normal(0, 2, n), (meters, n)).copy()
    return usage, temp, idx


def portfolio_meters(
    usage: np.ndarray, temp: np.ndarray, idx: pd.DatetimeIndex, baseline_end: pd.Timestamp
) -> list[MeterData]:
    """``MeterData`` as a store read returns them: hourly counter readings whose rises are the
    use of the hour before, the power gauge, and one temperature meter (°F converted to °C)."""
    from analytics.flagref import MeterReference

    ref = MeterReference(idx[0], baseline_end, temperature="outdoor")
    reading_times = idx.append(pd.DatetimeIndex([idx[-1] + pd.Timedelta(hours=1)]))
    meters = []
    for i in range(usage.shape[0]):
        counter = 1000.0 + np.r_[0.0, np.cumsum(usage[i])]
        frame = pd.DataFrame(
            {"energy_import_total": counter, "power_total": np.r_[usage[i], usage[i, -1]]},
            index=reading_times,
        )
        meters.append(MeterData(f"m{i:04d}", "electricity", frame, reference=ref))
    outdoor = pd.DataFrame({"temperature": (temp[0] - 32) * 5 / 9}, index=idx)
    return [*meters, MeterData("outdoor", "temperature", outdoor)]


def rate(fn, min_seconds: float = 1.0) -> float:  # type: ignore[no-untyped-def]
    fn()
    k, t0 = 0, time.perf_counter()
    while True:
        fn()
        k += 1
        el = time.perf_counter() - t0
        if el >= min_seconds:
            return k / el


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.analytics")
    ap.add_argument("--meters", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=3, help="eemeter daily fits timed")
    ap.add_argument("--no-eemeter", action="store_true")
    a = ap.parse_args(argv)

    from analytics.models import ChangePointModel, TOWTModel, select_daily

    print(f"machine: {os.cpu_count()} CPUs; numba threads {__import__('numba').get_num_threads()}")
    daily = synth_daily()
    usage, temp, idx = synth_hourly(max(a.meters, 1))
    hourly = pd.DataFrame({"usage": usage[0], "temperature": temp[0]}, index=idx)

    t0 = time.perf_counter()
    select_daily(daily)
    TOWTModel().fit(hourly)
    compile_models = time.perf_counter() - t0
    ours = {
        "daily_auto": rate(lambda: select_daily(daily)),
        "daily_5p": rate(lambda: ChangePointModel("5P").fit(daily)),
        "hourly_towt": rate(lambda: TOWTModel().fit(hourly)),
    }
    print(f"first-call (compile or cache load) for the models: {compile_models:.2f} s")
    print(
        f"ours: daily auto-selection {ours['daily_auto']:.1f} fits/s, daily 5P "
        f"{ours['daily_5p']:.1f} fits/s, hourly TOWT {ours['hourly_towt']:.1f} fits/s"
    )

    if not a.no_eemeter:
        from bench.eemeter_env import run_eemeter

        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp)
            daily.rename(columns={"usage": "observed"}).rename_axis("timestamp").to_csv(
                out / "bench_daily.csv"
            )
            hourly.rename(columns={"usage": "observed"}).rename_axis("timestamp").to_csv(
                out / "bench_hourly.csv"
            )
            run_eemeter("bench", out, str(a.repeats))
            ee = json.loads((out / "eemeter_bench.json").read_text())
        ee_daily, ee_hourly = 1 / ee["daily_fit_s"], 1 / ee["hourly_fit_s"]
        print(
            f"eemeter 4.1.1: DailyModel {ee_daily:.2f} fits/s, CalTRACK hourly "
            f"{ee_hourly:.3f} fits/s (after warm-up)"
        )
        print(
            f"ratio ours/eemeter: daily auto {ours['daily_auto'] / ee_daily:.0f}x, daily 5P "
            f"{ours['daily_5p'] / ee_daily:.0f}x, hourly {ours['hourly_towt'] / ee_hourly:.0f}x"
        )

    from analytics.engine import detect_site
    from analytics.portfolio import meter_savings, run_portfolio

    end = idx[24 * 243]  # 8 months baseline, 4 months reporting
    periods = ((idx[0], end), (end, idx[-1] + pd.Timedelta(hours=1)))
    meters = portfolio_meters(usage, temp, idx, end)
    by_id = {m.id: m for m in meters}
    t0 = time.perf_counter()
    run_portfolio("bench", [*meters[:2], meters[-1]], *periods)
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    found = detect_site("bench", meters, plan_drivers=True)
    detect = time.perf_counter() - t0
    t0 = time.perf_counter()
    results = [meter_savings(m, by_id, *periods) for m in meters[:-1]]
    savings = time.perf_counter() - t0
    n, wall = len(meters) - 1, detect + savings
    kinds = Counter(f.kind for flags in found.flags.values() for f in flags)
    print(f"portfolio first call (compile or cache load, 2 meters): {first:.2f} s")
    print(
        f"flags (engine.detect_site, what `plantmeter flags --plan` runs) on {n} meters x "
        f"{len(idx)} h: {detect:.1f} s ({n / detect:.1f} meters/s); flags: "
        f"{sum(kinds.values())} ({', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))})"
    )
    print(
        f"savings + FSU (compute_savings, hourly TOWT, what the reports run) on {n} meters: "
        f"{savings:.1f} s ({n / savings:.1f} meters/s); median CV(RMSE) "
        f"{np.nanmedian([r.model.cvrmse for r in results]):.1%}"
    )
    print(
        f"portfolio (run_portfolio = both) {n} meters x {len(idx)} h: {wall:.1f} s "
        f"({n / wall:.1f} meters/s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
