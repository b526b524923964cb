"""Analytics benchmark:
``python -m bench.analytics [--meters 1000] [--repeats N] [--no-eemeter] [--models-only]``.

Prints, in one run:
* fits/s of our daily model (automatic selection over 1P..5P, and a single 5P) and our
  hourly TOWT, each on the fast path (prefix-sum balance-point search, TOWT on
  per-hour-of-week sums) and on the exhaustive reference (``exhaustive=True``: every
  candidate's design solved, TOWT by QR on the explicit design), with the ratio fast /
  exhaustive; then eemeter 4.1.1's DailyModel and CalTRACK hourly model on the same data (in
  the eemeter venv), with the ratios ours / eemeter in wall time and in CPU time;
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
import math
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


def rate(fn, min_seconds: float = 1.0) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """Calls per second of wall time and of CPU time (on a shared machine wall time also
    measures the neighbours; both are compared with eemeter's, timed the same two ways)."""
    fn()
    k, t0, c0 = 0, time.perf_counter(), time.process_time()
    while True:
        fn()
        k += 1
        el = time.perf_counter() - t0
        if el >= min_seconds:
            return k / el, k / max(time.process_time() - c0, 1e-9)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.analytics")
    ap.add_argument("--meters", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=3, help="eemeter daily fits timed")
    ap.add_argument("--no-eemeter", action="store_true")
    ap.add_argument("--models-only", action="store_true", help="skip the 1,000-meter portfolio")
    a = ap.parse_args(argv)

    from analytics.models import ChangePointModel, TOWTModel, select_daily

    print(f"machine: {os.cpu_count()} CPUs; numba threads {__import__('numba').get_num_threads()}")
    daily = synth_daily()
    usage, temp, idx = synth_hourly(max(a.meters, 1))
    hourly = pd.DataFrame({"usage": usage[0], "temperature": temp[0]}, index=idx)

    t0 = time.perf_counter()
    select_daily(daily)
    select_daily(daily, exhaustive=True)
    TOWTModel().fit(hourly)
    TOWTModel(exhaustive=True).fit(hourly)
    compile_models = time.perf_counter() - t0
    same = json.dumps(select_daily(daily).model.to_dict(), default=str) == json.dumps(
        select_daily(daily, exhaustive=True).model.to_dict(), default=str
    )
    fits = {
        "daily_auto": lambda: select_daily(daily),
        "daily_auto_exhaustive": lambda: select_daily(daily, exhaustive=True),
        "daily_5p": lambda: ChangePointModel("5P").fit(daily),
        "daily_5p_exhaustive": lambda: ChangePointModel("5P", exhaustive=True).fit(daily),
        "hourly_towt": lambda: TOWTModel().fit(hourly),
        "hourly_towt_exhaustive": lambda: TOWTModel(exhaustive=True).fit(hourly),
    }
    timed = {k: rate(f) for k, f in fits.items()}
    ours = {k: v[0] for k, v in timed.items()}
    cpu = {k: v[1] for k, v in timed.items()}
    print(f"first-call (compile or cache load) for the models: {compile_models:.2f} s")
    print(f"daily selection identical on both paths: {same}")
    for key, label in (
        ("daily_auto", "daily auto-selection 1P..5P"),
        ("daily_5p", "daily 5P"),
        ("hourly_towt", "hourly TOWT"),
    ):
        fast, ref = ours[key], ours[key + "_exhaustive"]
        print(
            f"ours: {label}: {fast:.1f} fits/s wall, {cpu[key]:.1f} CPU (exhaustive reference "
            f"{ref:.1f} wall, {cpu[key + '_exhaustive']:.1f} CPU; fast/exhaustive "
            f"{fast / ref:.1f}x wall, {cpu[key] / cpu[key + '_exhaustive']:.1f}x CPU)"
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
        for clock, mine, d_s, h_s in (
            ("wall", ours, ee["daily_fit_s"], ee["hourly_fit_s"]),
            ("CPU", cpu, ee.get("daily_fit_cpu_s", math.nan), ee.get("hourly_fit_cpu_s", math.nan)),
        ):
            ee_daily, ee_hourly = 1 / d_s, 1 / h_s
            print(
                f"eemeter 4.1.1 ({clock}): DailyModel {ee_daily:.2f} fits/s, CalTRACK hourly "
                f"{ee_hourly:.3f} fits/s (after warm-up)"
            )
            print(
                f"ratio ours/eemeter ({clock}): daily auto {mine['daily_auto'] / ee_daily:.0f}x "
                f"(exhaustive {mine['daily_auto_exhaustive'] / ee_daily:.0f}x), daily 5P "
                f"{mine['daily_5p'] / ee_daily:.0f}x (exhaustive "
                f"{mine['daily_5p_exhaustive'] / ee_daily:.0f}x), hourly TOWT "
                f"{mine['hourly_towt'] / ee_hourly:.0f}x (exhaustive "
                f"{mine['hourly_towt_exhaustive'] / ee_hourly:.0f}x)"
            )
    if a.models_only:
        return 0

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
