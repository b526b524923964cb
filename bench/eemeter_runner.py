"""Runs INSIDE the eemeter virtual environment (pandas 2.3, eemeter 4.1.1); not imported by
PlantMeter. Usage: python eemeter_runner.py samples|bench OUTDIR [ARGS]

samples: export eemeter's bundled samples as CSV (usage, hourly temperature) and write
         eemeter's own reporting-year results to OUTDIR/eemeter_results.json.
bench:   time eemeter fits on OUTDIR/bench_daily.csv / bench_hourly.csv; write timings.
"""

from __future__ import annotations

import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

warnings.filterwarnings("ignore")

from eemeter import eemeter  # noqa: E402  (the package nests its API one level down)
from eemeter.eemeter.samples.load import load_sample  # noqa: E402
from scipy import stats  # noqa: E402

DAILY = [
    "il-electricity-cdd-hdd-daily",
    "il-electricity-cdd-only-daily",
    "il-gas-hdd-only-daily",
    "il-gas-intercept-only-daily",
]
HOURLY = ["il-electricity-cdd-hdd-hourly"]


def periods(meta: dict) -> tuple[pd.Timestamp, pd.Timestamp, pd.Timestamp, pd.Timestamp]:
    def ts(v: object) -> pd.Timestamp:
        t = pd.Timestamp(v)
        return t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")

    b1 = ts(meta["blackout_start_date"])
    r0 = ts(meta["blackout_end_date"])
    return b1 - pd.Timedelta(days=365), b1, r0, r0 + pd.Timedelta(days=365)


def export(name: str, meter: pd.DataFrame, temp: pd.Series, out: Path) -> None:
    meter["value"].rename("usage").rename_axis("timestamp").reset_index().to_csv(
        out / f"{name}.usage.csv", index=False
    )
    temp.rename("temperature").rename_axis("timestamp").reset_index().to_csv(
        out / f"{name}.temperature.csv", index=False
    )


def daily(name: str, out: Path) -> dict:
    meter, temp, meta = load_sample(name)
    export(name, meter, temp, out)
    b0, b1, r0, r1 = periods(meta)
    m_b = meter[(meter.index >= b0) & (meter.index < b1)]
    m_r = meter[(meter.index >= r0) & (meter.index < r1)]
    base = eemeter.DailyBaselineData.from_series(
        m_b, temp, is_electricity_data="electricity" in name
    )
    rep = eemeter.DailyReportingData.from_series(
        m_r, temp, is_electricity_data="electricity" in name
    )
    t0 = time.perf_counter()
    model = eemeter.DailyModel().fit(base, ignore_disqualification=True)
    fit_s = time.perf_counter() - t0
    pred = model.predict(rep, ignore_disqualification=True)
    ok = pred["observed"].notna() & pred["predicted"].notna()
    p = pred[ok]
    band90 = float(np.sqrt((p["predicted_unc"] ** 2).sum()))
    return {
        "name": name,
        "granularity": "daily",
        "periods": [str(x) for x in (b0, b1, r0, r1)],
        "observed": float(p["observed"].sum()),
        "adjusted_baseline": float(p["predicted"].sum()),
        "savings": float((p["predicted"] - p["observed"]).sum()),
        "band_90": band90,
        "band_68": band90 * stats.norm.ppf(0.84) / stats.norm.ppf(0.95),
        "n_days": int(ok.sum()),
        "model": model.best_combination,
        "fit_seconds": fit_s,
    }


def hourly(name: str, out: Path) -> dict:
    meter, temp, meta = load_sample(name)
    export(name, meter, temp, out)
    b0, b1, r0, r1 = periods(meta)
    elec = "electricity" in name
    df = pd.DataFrame({"observed": meter["value"], "temperature": temp}).dropna(how="all")
    base = eemeter.HourlyCaltrackBaselineData(df[(df.index >= b0) & (df.index < b1)], elec)
    rep = eemeter.HourlyCaltrackReportingData(df[(df.index >= r0) & (df.index < r1)], elec)
    t0 = time.perf_counter()
    model = eemeter.HourlyCaltrackModel().fit(base)
    fit_s = time.perf_counter() - t0
    pred = model.predict(rep)
    ok = pred["observed"].notna() & pred["predicted"].notna()
    p = pred[ok]
    return {
        "name": name,
        "granularity": "hourly",
        "periods": [str(x) for x in (b0, b1, r0, r1)],
        "observed": float(p["observed"].sum()),
        "adjusted_baseline": float(p["predicted"].sum()),
        "savings": float((p["predicted"] - p["observed"]).sum()),
        "n_hours": int(ok.sum()),
        "model": "caltrack hourly (three-month weighted TOWT)",
        "fit_seconds": fit_s,
    }


def bench(out: Path, repeats: int) -> dict:
    res = {}
    d = pd.read_csv(out / "bench_daily.csv", parse_dates=["timestamp"]).set_index("timestamp")
    base = eemeter.DailyBaselineData(d[["observed", "temperature"]], is_electricity_data=True)
    eemeter.DailyModel().fit(base, ignore_disqualification=True)  # compile / warm up
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(repeats):
        eemeter.DailyModel().fit(base, ignore_disqualification=True)
    res["daily_fit_s"] = (time.perf_counter() - t0) / repeats
    res["daily_fit_cpu_s"] = (time.process_time() - c0) / repeats
    h = pd.read_csv(out / "bench_hourly.csv", parse_dates=["timestamp"]).set_index("timestamp")
    hb = eemeter.HourlyCaltrackBaselineData(h[["observed", "temperature"]], True)
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(max(1, repeats // 5)):
        eemeter.HourlyCaltrackModel().fit(hb)
    res["hourly_fit_s"] = (time.perf_counter() - t0) / max(1, repeats // 5)
    res["hourly_fit_cpu_s"] = (time.process_time() - c0) / max(1, repeats // 5)
    return res


def main() -> int:
    mode, out = sys.argv[1], Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    if mode == "samples":
        results = [daily(n, out) for n in DAILY] + [hourly(n, out) for n in HOURLY]
        (out / "eemeter_results.json").write_text(json.dumps(results, indent=1))
    elif mode == "bench":
        repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 5
        (out / "eemeter_bench.json").write_text(json.dumps(bench(out, repeats)))
    else:
        print(f"unknown mode {mode}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
