"""Reporting-period drivers against the baseline's range (DOE EnPI Lite's validity rule).

A constructed plant: a year of baseline days whose temperature cycles through 10..25 °C, then a
reporting year with chosen temperatures, so the share of days outside the range and the
EnPI Lite verdict are known in closed form.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.api import compute_savings
from analytics.sufficiency import DRIVER_RANGE_CODE, EXTRAPOLATION_SHARE

BASE = ("2023-01-01", "2024-01-01")
REP = ("2024-01-01", "2025-01-01")
BASE_T = 10.0 + 15.0 * (np.arange(365) % 16) / 15.0  # 10, 11, ..., 25 °C, repeated


def _plant(reporting_t: np.ndarray) -> tuple[pd.Series, pd.Series]:
    idx = pd.date_range("2023-01-01", "2025-01-01", freq="D", tz="UTC", inclusive="left")
    t = np.concatenate([BASE_T, reporting_t])
    rng = np.random.default_rng(7)
    use = 100.0 + 5.0 * np.maximum(t - 18.0, 0.0) + rng.normal(0, 1.0, len(t))
    return pd.Series(use, idx), pd.Series(t, idx)


def _run(reporting_t: np.ndarray):  # type: ignore[no-untyped-def]
    u, t = _plant(reporting_t)
    return compute_savings(u, BASE, REP, temperature=t)


def test_same_weather_raises_no_range_warning() -> None:
    r = _run(10.0 + 15.0 * (np.arange(366) % 16) / 15.0)
    assert r.model.type != "1P"
    assert r.driver_range == [] and not r.extrapolated


def test_fahrenheit_temperatures_are_extrapolated() -> None:
    """°C baseline, °F reporting (the issue's 1261 % case): every day far outside."""
    rep_f = (10.0 + 15.0 * (np.arange(366) % 16) / 15.0) * 9 / 5 + 32  # 50..77 °F
    r = _run(rep_f)
    (w,) = r.driver_range
    sd = float(np.std(BASE_T, ddof=1))
    assert w.code == DRIVER_RANGE_CODE and not w.disqualifying
    assert w.data["driver"] == "temperature"
    assert (w.data["baseline_min"], w.data["baseline_max"]) == (10.0, 25.0)
    assert w.data["baseline_sd"] == pytest.approx(sd)
    assert w.data["reporting_mean"] == pytest.approx(rep_f.mean())
    assert w.data["share_outside"] == 1.0 and w.data["intervals"] == 366
    assert w.data["enpi_lite_valid"] is False  # mean 63.5 > 17.5 + 3 × 4.8
    assert r.extrapolated and r.to_dict()["extrapolated"] is True
    assert "100% of reporting days" in w.description and "extrapolated" in w.description


def test_share_of_days_outside_marks_the_figure_even_when_the_mean_passes() -> None:
    """150 of 366 days at 27 °C: 41 % outside, the mean inside the range (EnPI Lite passes)."""
    rep = 10.0 + 15.0 * (np.arange(366) % 16) / 15.0
    rep[:150] = 27.0
    r = _run(rep)
    (w,) = r.driver_range
    assert w.data["intervals_outside"] == 150
    assert w.data["share_outside"] == pytest.approx(150 / 366)
    assert 10.0 <= rep.mean() <= 25.0 and w.data["enpi_lite_valid"] is True
    assert 150 / 366 >= EXTRAPOLATION_SHARE and r.extrapolated
    assert "41% of reporting days" in w.description


def test_three_standard_deviations_keep_a_mean_just_outside_the_range_valid() -> None:
    """All reporting days at 26 °C: outside [10, 25] but within mean ± 3 SD (17.5 ± 14.4)."""
    r = _run(np.full(366, 26.0))
    (w,) = r.driver_range
    assert w.data["enpi_lite_valid"] is True  # EnPI Lite: range *or* ±3 SD
    assert w.data["share_outside"] == 1.0 and r.extrapolated  # every day beyond what was seen


def test_a_driver_the_model_does_not_use_is_not_checked() -> None:
    """A flat plant gets a 1P model: its temperature cannot make the figure extrapolated."""
    u, t = _plant(np.full(366, 60.0))
    flat = pd.Series(100.0 + np.random.default_rng(3).normal(0, 1.0, len(u)), u.index)
    r = compute_savings(flat, BASE, REP, temperature=t)
    assert r.model.type == "1P" and r.driver_range == [] and not r.extrapolated
