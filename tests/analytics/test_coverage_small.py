"""A small version of ``python -m bench.coverage``: the procedure works end to end and the stated
90 % interval holds the simulator's true saving about as often as it says (a wide band: a
handful of plant-years cannot measure coverage to better than ±20 %; the bench does that)."""

from __future__ import annotations

import numpy as np
import pytest

from bench.coverage import ROWS, Row, coverage_table, run_row, run_trial, scenario_for, wilson

ROW = Row("refrigeration −10 %, cv 8 %, ρ 0.5", "refrigeration", -0.10, 0.08, 0.5)


def test_a_trial_uses_the_simulators_truth() -> None:
    trial = run_trial(ROW, 7)
    scenario = scenario_for(ROW, 7)
    assert scenario.unexplained.cv == 0.08 and scenario.seed == 7
    assert [m.id for m in scenario.meters] == ["refrigeration", "production", "outdoor-temp"]
    # the option multiplies the meter's own load by 0.9 from its date, the same day factors in
    # both runs: true saving = observed × 0.1 / 0.9 exactly
    assert trial.true == pytest.approx(trial.observed * 0.1 / 0.9, rel=1e-9)
    assert trial.half_width > 0 and trial.model in {"1P", "2P", "3PC", "5P", "3PH", "4P"}


def test_stated_90pct_interval_covers_the_truth_within_a_wide_binomial_band() -> None:
    trials = run_row(ROW, 10, first_seed=2000)
    assert len(trials) == 10
    hits = sum(t.inside for t in trials)
    # Binomial(10, 0.9): P(hits <= 6) = 1.3 %; a badly narrow interval (true coverage 50 %)
    # passes this with probability 17 %
    assert hits >= 7, [(round(t.verified), round(t.true), round(t.half_width)) for t in trials]
    errors = np.array([t.verified - t.true for t in trials])
    stated = np.mean([t.half_width for t in trials])
    # the stated half-width is of the size of the real error spread (1.645 sigma for 90 %)
    assert 0.4 < stated / (1.645 * errors.std()) < 2.5
    table, pooled, total = coverage_table({ROW: trials})
    assert total == 10 and pooled == hits / 10 and ROW.name in table


def test_wilson_interval_and_rows() -> None:
    lo, hi = wilson(90, 100)
    assert lo == pytest.approx(0.8256, abs=1e-3) and hi == pytest.approx(0.9448, abs=1e-3)
    assert len({r.name for r in ROWS}) == len(ROWS)
