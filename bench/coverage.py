"""Does the stated 90 % savings interval hold the true saving 90 % of the time?

``python -m bench.coverage [--trials N] [--rows NAME,...]``

Each trial is one simulated plant-year pair: a baseline year and a reporting year of one
consumption meter of the dairy (refrigeration: production and outdoor temperature drive it;
compressor: shifts and production), with a cleaner-production option on the first reporting
day. The plant comes from the simulator's own model (``firmware_sim.Plant``, the one the Modbus
server and the history generator use), read at local midnights, so daily use is the exact
difference of its counters. The same scenario without the option, same seed, is the
counterfactual: true saving = counterfactual use − actual use over the reporting year.
The savings and their interval come from ``analytics.api.compute_savings`` (daily, automatic
model selection, the path ``plantmeter savings`` and the reports use). A trial's interval
holds the truth when |verified − true| <= fsu_90 × |verified|.

Rows vary the seed (one per trial), the size of the saving and the unexplained day-to-day
variation (CV and lag-1 correlation of the simulator's AR(1) daily factor). The table gives
coverage with its 95 % binomial (Wilson) interval, the mean stated half-width, the empirical
90 % half-width (the 90th percentile of |verified − true|) and their ratio; the last line states
the pooled coverage against the nominal 90 % and the 85-95 % target.
"""

from __future__ import annotations

import argparse
import functools
import logging
import math
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analytics.api import compute_savings
from plantmeter.errors import PlantMeterError

__all__ = ["ROWS", "Row", "Trial", "coverage_table", "main", "run_row", "run_trial", "wilson"]

logger = logging.getLogger(__name__)

EXAMPLE = Path(__file__).parents[1] / "examples" / "dairy" / "scenario.yaml"
START, OPTION, END = date(2024, 1, 1), date(2025, 1, 1), date(2026, 1, 1)
DAY = 86400.0
NOMINAL = 0.90


@dataclass(frozen=True)
class Row:
    """One scenario of the sweep: which meter, how large a saving, how much unexplained variation."""

    name: str
    meter: str
    change: float
    cv: float
    rho: float


ROWS = (
    Row("refrigeration −10 %, cv 5 %, ρ 0.5", "refrigeration", -0.10, 0.05, 0.5),
    Row("refrigeration −5 %, cv 8 %, ρ 0.5", "refrigeration", -0.05, 0.08, 0.5),
    Row("refrigeration −10 %, cv 8 %, ρ 0.5", "refrigeration", -0.10, 0.08, 0.5),
    Row("refrigeration −20 %, cv 8 %, ρ 0.5", "refrigeration", -0.20, 0.08, 0.5),
    Row("refrigeration −10 %, cv 15 %, ρ 0.5", "refrigeration", -0.10, 0.15, 0.5),
    Row("refrigeration −10 %, cv 8 %, ρ 0 (white)", "refrigeration", -0.10, 0.08, 0.0),
    Row("refrigeration −10 %, cv 8 %, ρ 0.8", "refrigeration", -0.10, 0.08, 0.8),
    Row("compressor −12 %, cv 8 %, ρ 0.5", "compressor", -0.12, 0.08, 0.5),
)


@dataclass(frozen=True)
class Trial:
    """One plant-year: the verified saving, its stated 90 % half-width and the truth."""

    verified: float
    half_width: float
    true: float
    model: str
    observed: float  # the reporting year's actual use

    @property
    def inside(self) -> bool:
        return abs(self.verified - self.true) <= self.half_width


@functools.cache
def _base_scenario() -> Any:
    import firmware_sim

    return firmware_sim.load_scenario(EXAMPLE)


def _example() -> dict[str, Any]:
    return _base_scenario().model_dump()


def scenario_for(row: Row, seed: int) -> Any:
    """The dairy reduced to ``row.meter`` and its drivers, hourly steps, one option, ``seed``."""
    import firmware_sim

    data = _example()
    keep = {row.meter, "production", "outdoor-temp"}
    data["meters"] = [m | {"includes": []} for m in data["meters"] if m["id"] in keep]
    data.update(
        seed=seed,
        step=3600.0,
        start=START,
        end=END,
        faults=[],
        unexplained={"cv": row.cv, "rho": row.rho},
        options=[
            {
                "id": "option",
                "level": "low-cost",
                "meter": row.meter,
                "date": OPTION,
                "change": row.change,
            }
        ],
    )
    return firmware_sim.Scenario.model_validate(data)


def daily(plant: Any, meters: list[str], days: int) -> dict[str, np.ndarray]:
    """Per-day use (or mean, for a temperature) of each meter over the run's first ``days`` days.

    Straight from the plant model's per-step rates (``Plant.block``): a counter is the exact
    integral of its rate, so a day's use is the sum of its steps' rate × step, the same number
    the meter's counter differences at midnight give (the run starts at local midnight).
    """
    per_hour = plant.step / 3600.0
    out = {m: np.empty(days) for m in meters}
    for d in range(days):
        block = plant.block(d)
        for m in meters:
            kind = plant.scenario.meter(m).kind
            v = block[m]
            out[m][d] = v.mean() if kind == "temperature" else v.sum() * per_hour
    return out


def run_trial(row: Row, seed: int) -> Trial:
    """Simulate the two years with and without the option and verify the reporting year."""
    import firmware_sim

    scenario = scenario_for(row, seed)
    zone = scenario.zone
    days = pd.date_range(START, END, freq="D", tz=zone, inclusive="left")
    actual = daily(
        firmware_sim.Plant(scenario), [row.meter, "production", "outdoor-temp"], len(days)
    )
    cf_plant = firmware_sim.Plant(scenario.model_copy(update={"options": []}))
    counterfactual = daily(cf_plant, [row.meter], len(days))[row.meter]
    use = pd.Series(actual[row.meter], index=days)
    baseline = (pd.Timestamp(START, tz=zone), pd.Timestamp(OPTION, tz=zone))
    reporting = (pd.Timestamp(OPTION, tz=zone), pd.Timestamp(END, tz=zone))
    result = compute_savings(
        use,
        baseline,
        reporting,
        temperature=pd.Series(actual["outdoor-temp"], index=days),
        production=pd.Series(actual["production"], index=days),
        granularity="daily",
    )
    rep = days >= reporting[0]
    true = float((counterfactual[rep] - actual[row.meter][rep]).sum())
    observed = float(actual[row.meter][rep].sum())
    return Trial(
        result.savings, result.fsu_90 * abs(result.savings), true, result.model.type, observed
    )


def run_row(row: Row, trials: int, first_seed: int = 1000, bar: Any = None) -> list[Trial]:
    """``trials`` plant-years of ``row``, seeds ``first_seed`` .. ``first_seed + trials - 1``."""
    out = []
    for seed in range(first_seed, first_seed + trials):
        try:
            out.append(run_trial(row, seed))
        except PlantMeterError as exc:  # a baseline that does not qualify is not a trial
            logger.warning("%s seed %d: %s", row.name, seed, exc)
        if bar is not None:
            bar.update(1)
    return out


def wilson(hits: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion."""
    if n == 0:
        return (math.nan, math.nan)
    p = hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def coverage_table(results: dict[Row, list[Trial]]) -> tuple[str, float, int]:
    """The printed table and the pooled coverage over every trial."""
    lines = [
        f"{'scenario':<42} {'trials':>6} {'coverage':>9} {'95 % CI':>13} "
        f"{'stated ±':>9} {'empirical ±':>11} {'ratio':>6}  models",
    ]
    hits = total = 0
    for row, trials in results.items():
        if not trials:
            lines.append(f"{row.name:<42} {0:>6}   (no qualifying baseline)")
            continue
        inside = sum(t.inside for t in trials)
        hits += inside
        total += len(trials)
        lo, hi = wilson(inside, len(trials))
        errors = np.array([abs(t.verified - t.true) for t in trials])
        stated = float(np.mean([t.half_width for t in trials]))
        empirical = float(np.quantile(errors, NOMINAL))
        models = pd.Series([t.model for t in trials]).value_counts()
        mix = ", ".join(f"{k} {v}" for k, v in models.items())
        lines.append(
            f"{row.name:<42} {len(trials):>6} {inside / len(trials):>9.1%} "
            f"{f'{lo:.0%}–{hi:.0%}':>13} {stated:>9,.0f} {empirical:>11,.0f} "
            f"{stated / empirical if empirical else math.nan:>6.2f}  {mix}"
        )
    pooled = hits / total if total else math.nan
    return "\n".join(lines), pooled, total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.coverage", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--trials", type=int, default=100, help="plant-years per scenario row")
    parser.add_argument("--first-seed", type=int, default=1000)
    parser.add_argument(
        "--rows", default="", help="comma-separated row numbers (1-based) to run; default all"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    rows = [ROWS[int(i) - 1] for i in args.rows.split(",") if i] or list(ROWS)
    from tqdm import tqdm

    started = time.perf_counter()
    results: dict[Row, list[Trial]] = {}
    with tqdm(total=len(rows) * args.trials, unit="plant-year", desc="coverage") as bar:
        for row in rows:
            # every row its own plant-years: the error of a verified saving does not depend on
            # the saving's size, so rows sharing seeds would repeat the same trials
            first = args.first_seed + 10_000 * ROWS.index(row)
            results[row] = run_row(row, args.trials, first, bar)
    table, pooled, total = coverage_table(results)
    print(table)
    lo, hi = wilson(round(pooled * total), total)
    verdict = "inside" if 0.85 <= pooled <= 0.95 else "OUTSIDE"
    print(
        f"\npooled: {pooled:.1%} of {total} stated 90 % intervals hold the true saving "
        f"(95 % CI {lo:.1%}–{hi:.1%}); nominal 90 %, ratio {pooled / NOMINAL:.3f}; "
        f"{verdict} the 85–95 % target. {time.perf_counter() - started:.0f} s."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
