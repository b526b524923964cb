"""A baseline fitted once and pinned (``fit_baseline`` -> ``baseline_model``) gives the same
savings as fitting on the same data, and stays put when the baseline data change later."""

from __future__ import annotations

import json

import pytest

from analytics.api import compute_savings, fit_baseline

from .synth import daily_frame

BASE = ("2023-01-01", "2024-01-01")
REP = ("2024-01-01", "2025-01-01")


def test_pinned_model_reproduces_the_fit_and_ignores_later_baseline_edits() -> None:
    df = daily_frame(seed=7, prod=2.0, noise=25.0)
    u = df["usage"].copy()
    fit = fit_baseline(u, BASE, df["temperature"], df["production"], temperature_unit="F")
    assert fit.model["summary"]["type"] == "5P" and set(fit.drivers) == {
        "temperature",
        "production",
    }
    assert {c.name for c in fit.checks} == {"cvrmse", "nmbe"}
    pinned = json.loads(json.dumps(fit.model))  # as stored in the approval record
    fresh = compute_savings(u, BASE, REP, df["temperature"], df["production"], temperature_unit="F")
    again = compute_savings(
        u,
        BASE,
        REP,
        df["temperature"],
        df["production"],
        temperature_unit="F",
        baseline_model=pinned,
    )
    assert again.savings == pytest.approx(fresh.savings, rel=1e-12)
    assert again.fsu_90 == pytest.approx(fresh.fsu_90, rel=1e-12)
    # a late change to the baseline period moves a refit, not the pinned model
    u[(u.index >= "2023-03-01") & (u.index < "2023-04-01")] *= 1.3
    refit = compute_savings(u, BASE, REP, df["temperature"], df["production"], temperature_unit="F")
    kept = compute_savings(
        u,
        BASE,
        REP,
        df["temperature"],
        df["production"],
        temperature_unit="F",
        baseline_model=pinned,
    )
    assert kept.savings == pytest.approx(fresh.savings, rel=1e-12)
    assert abs(refit.savings - fresh.savings) > 100.0
