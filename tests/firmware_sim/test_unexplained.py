"""Unexplained day-to-day variation: the configured CV and lag-1 correlation, deterministic per
seed, identical with and without an option (so the true saving stays exact)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from firmware_sim import Plant, Scenario
from firmware_sim.scenario import load_scenario

DAY = 86400.0


def plant_data(**unexplained: float) -> dict[str, Any]:
    """A flat 10 kW load with no per-step noise: its daily energy is 240 kWh x the day's factor."""
    return {
        "site": {"id": "flat", "timezone": "UTC"},
        "start": "2024-01-01",
        "end": "2027-01-01",
        "seed": 3,
        "step": "1h",
        "unexplained": unexplained,
        "buses": [{"id": "b", "port": 0}],
        "meters": [
            {
                "id": "m",
                "bus": "b",
                "unit_id": 1,
                "profile": "eastron-sdm120",
                "kind": "electricity",
                "load": {"base": 10.0, "noise": 0.0},
            },
            {
                "id": "other",
                "bus": "b",
                "unit_id": 2,
                "profile": "eastron-sdm120",
                "kind": "electricity",
                "load": {"base": 10.0, "noise": 0.0, "unexplained": {"cv": 0.0, "rho": 0.0}},
            },
        ],
        "options": [
            {
                "id": "opt",
                "level": "housekeeping",
                "meter": "m",
                "date": "2025-06-01",
                "change": -0.2,
            }
        ],
    }


def daily_energy(scenario: Scenario, meter: str) -> np.ndarray:
    plant = Plant(scenario)
    t0 = scenario.epoch(scenario.start)
    days = np.arange(t0, scenario.epoch(scenario.end) + 1, DAY)
    return np.diff(plant.primary(meter, days).total)


def test_daily_factor_has_the_configured_cv_and_correlation() -> None:
    scenario = Scenario.model_validate(plant_data(cv=0.1, rho=0.6) | {"options": []})
    factor = daily_energy(scenario, "m") / 240.0
    assert factor.size == 1096
    u = factor - 1.0
    # sampling error of an AR(1) sample of 1096 days: sd within ~10 %, rho within ~0.06
    assert u.std() == pytest.approx(0.1, rel=0.12)
    rho = float(np.corrcoef(u[1:], u[:-1])[0, 1])
    assert rho == pytest.approx(0.6, abs=0.08)
    plant = Plant(scenario)
    assert [plant.unexplained("m", d) for d in (0, 400, 800)] == pytest.approx(
        factor[[0, 400, 800]], rel=1e-12
    )
    # a meter can have its own: this one none at all
    assert np.allclose(daily_energy(scenario, "other"), 240.0, rtol=1e-12)


def test_deterministic_per_seed_and_whatever_day_is_asked_first() -> None:
    scenario = Scenario.model_validate(plant_data(cv=0.1, rho=0.6))
    a, b = Plant(scenario), Plant(scenario)
    late_first = [b.unexplained("m", d) for d in (900, 3, 500)]
    assert late_first == [a.unexplained("m", d) for d in (900, 3, 500)]
    other_seed = Plant(scenario, seed=4)
    assert other_seed.unexplained("m", 3) != a.unexplained("m", 3)
    # past the scenario's end the series continues (a live run may outlast it)
    assert math.isfinite(a.unexplained("m", 5000))


def test_the_option_multiplies_the_same_day_factor_so_the_true_saving_is_exact() -> None:
    with_option = Scenario.model_validate(plant_data(cv=0.12, rho=0.5))
    without = with_option.model_copy(update={"options": []})
    e_with, e_without = daily_energy(with_option, "m"), daily_energy(without, "m")
    first = (
        with_option.epoch(with_option.options[0].date) - with_option.epoch(with_option.start)
    ) // DAY
    after = np.arange(e_with.size) >= first
    np.testing.assert_allclose(e_with[after], 0.8 * e_without[after], rtol=1e-12)
    np.testing.assert_array_equal(e_with[~after], e_without[~after])
    assert e_without[after].std() / e_without[after].mean() > 0.05  # the variation is there


def test_no_unexplained_variation_is_the_old_plant() -> None:
    scenario = Scenario.model_validate(plant_data(cv=0.0, rho=0.0) | {"options": []})
    assert np.allclose(daily_energy(scenario, "m"), 240.0, rtol=1e-12)


def test_the_dairy_example_declares_realistic_variation(dairy: Scenario) -> None:
    assert 0.05 <= dairy.unexplained.cv <= 0.15 and 0 < dairy.unexplained.rho < 1


@pytest.mark.parametrize(
    ("unexplained", "field"),
    [({"cv": 0.7}, "unexplained.cv"), ({"rho": 1.0}, "unexplained.rho"), ({"cvv": 0.1}, "cvv")],
)
def test_bad_variation_is_named(tmp_path, unexplained: dict, field: str) -> None:  # type: ignore[no-untyped-def]
    import yaml

    from plantmeter.errors import ScenarioError

    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(plant_data(**unexplained)))
    with pytest.raises(ScenarioError, match=field.replace(".", r"\.")):
        load_scenario(path)
