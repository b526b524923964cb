"""Verified savings on the simulated dairy contain each option's true effect within the 90 % interval.

The true effect is known exactly: the simulator is deterministic under its seed, so the same plant
run without the option gives the counterfactual use, and the true saving is the difference.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import firmware_sim
import pandas as pd
import pytest

from analytics.api import compute_savings
from analytics.jobs import counter_to_hourly

EXAMPLE = Path(__file__).parents[2] / "examples" / "dairy" / "scenario.yaml"
COUNTER = {
    "compressor": "energy_import_total",
    "refrigeration": "energy_import_total",
    "cip-water": "volume_total",
}


def history(
    scenario: firmware_sim.Scenario, out: Path, start: date, end: date
) -> dict[str, pd.DataFrame]:
    paths = firmware_sim.generate_history(scenario, _ts(start), _ts(end), out, interval=3600.0)
    return {
        m: pd.read_csv(p, index_col="timestamp", parse_dates=["timestamp"])
        for m, p in paths.items()
    }


def _ts(day: date) -> float:
    return pd.Timestamp(day, tz="UTC").timestamp()


def usage(frames: dict[str, pd.DataFrame], meter: str) -> pd.Series:
    hourly, _ = counter_to_hourly(frames[meter][COUNTER[meter]])
    return hourly["usage"].iloc[1:-1]  # first and last hours are partial


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    scenario = firmware_sim.load_scenario(
        EXAMPLE
    )  # runs from 2024: a baseline year before every option
    start, end = date(2024, 3, 1), date(2026, 9, 5)
    with_options = history(scenario, tmp_path_factory.mktemp("with"), start, end)
    without = history(
        scenario.model_copy(update={"options": []}), tmp_path_factory.mktemp("without"), start, end
    )
    return {"scenario": scenario, "with": with_options, "without": without}


@pytest.mark.slow
@pytest.mark.parametrize("option_id", ["air-leaks", "cip-recycling", "vsd-refrigeration"])
def test_true_effect_inside_the_reported_90pct_interval(runs: dict, option_id: str) -> None:
    option = next(o for o in runs["scenario"].options if o.id == option_id)
    day = option.date if isinstance(option.date, date) else option.date.date()
    baseline = (pd.Timestamp(day - timedelta(days=365), tz="UTC"), pd.Timestamp(day, tz="UTC"))
    reporting = (pd.Timestamp(day, tz="UTC"), pd.Timestamp(day + timedelta(days=365), tz="UTC"))
    actual = usage(runs["with"], option.meter)
    counterfactual = usage(runs["without"], option.meter)
    temperature = runs["with"]["outdoor-temp"]["temperature"]
    production, _ = counter_to_hourly(runs["with"]["production"]["production_total"])
    result = compute_savings(
        actual,
        baseline,
        reporting,
        temperature=temperature,
        production=production["usage"].iloc[1:-1],
        granularity="daily",
    )
    in_reporting = (actual.index >= reporting[0]) & (actual.index < reporting[1])
    true_saving = float((counterfactual - actual)[in_reporting].sum())
    half_width = result.fsu_90 * abs(result.savings)
    print(
        f"{option_id}: true {true_saving:,.0f}, verified {result.savings:,.0f} ± {half_width:,.0f}"
        f" (model {result.model.type}, R² {result.model.r2:.3f}, CV {result.model.cvrmse:.1%})"
    )
    assert true_saving == pytest.approx(
        -option.change * counterfactual[in_reporting].sum(), rel=0.02
    )
    assert abs(result.savings - true_saving) <= half_width, (
        f"{option_id}: verified {result.savings:.0f} ± {half_width:.0f}, true {true_saving:.0f} "
        f"(model {result.model.type}, R² {result.model.r2:.3f})"
    )
