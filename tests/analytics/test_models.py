"""Baseline models: recovery of known laws, statsmodels agreement, selection, round trips."""

from __future__ import annotations

import json

import numpy as np
import pytest
import statsmodels.api as sm

from analytics.kernels import KIND_NAMES, changepoint_design, towt_design
from analytics.models import ChangePointModel, TOWTModel, load_model, prune_knots, select_daily
from analytics.models.towt import time_of_week
from plantmeter.errors import AnalyticsError, DataSufficiencyError

from .synth import daily_frame, hourly_frame


def test_5p_recovers_balance_points_and_slopes() -> None:
    df = daily_frame(noise=5.0)
    m = ChangePointModel("5P").fit(df)
    assert m.qualified
    assert abs(m.hbp - 55) <= 1 and abs(m.cbp - 68) <= 1
    c = m.summary.coefficients
    assert c["heating"] == pytest.approx(8, rel=0.05)
    assert c["cooling"] == pytest.approx(12, rel=0.05)
    assert m.summary.gof.r2 > 0.95


@pytest.mark.parametrize("kind", KIND_NAMES)
def test_coefficients_match_statsmodels_on_same_design(kind: str) -> None:
    df = daily_frame(seed=3, prod=2.0)
    m = ChangePointModel(kind, extras=["production"]).fit(df)
    k = KIND_NAMES.index(kind)
    x = changepoint_design(
        df["temperature"].to_numpy(), df[["production"]].to_numpy(), k, m.hbp, m.cbp
    )
    ref = sm.OLS(df["usage"].to_numpy(), x).fit()
    np.testing.assert_allclose(m.coef, ref.params, rtol=1e-8)
    np.testing.assert_allclose(list(m.summary.pvalues.values()), ref.pvalues, rtol=1e-5, atol=1e-12)
    assert m.summary.gof.r2 == pytest.approx(ref.rsquared, rel=1e-10)


def test_production_regressor_recovered() -> None:
    df = daily_frame(seed=4, prod=3.0, noise=5.0)
    m = ChangePointModel("5P", extras=["production"]).fit(df)
    assert m.summary.coefficients["production"] == pytest.approx(3.0, rel=0.03)


@pytest.mark.parametrize(
    "heat,cool,expected",
    [(8.0, 0.0, "3PH"), (0.0, 12.0, "3PC"), (8.0, 12.0, "5P"), (0.0, 0.0, "1P")],
)
def test_selection_picks_the_true_form_and_says_why(
    heat: float, cool: float, expected: str
) -> None:
    df = daily_frame(seed=5, heat=heat, cool=cool, noise=10.0)
    sel = select_daily(df)
    assert sel.model.kind == expected, sel.reason
    assert sel.reason.startswith(expected) and "adjusted R²" in sel.reason, sel.reason
    assert {c["type"] for c in sel.candidates} == set(KIND_NAMES)


def test_celsius_grid() -> None:
    df = daily_frame(seed=6)
    df["temperature"] = (df["temperature"] - 32) * 5 / 9
    m = ChangePointModel("5P", temperature_unit="C").fit(df)
    assert abs(m.hbp - (55 - 32) * 5 / 9) <= 0.6 and abs(m.cbp - (68 - 32) * 5 / 9) <= 0.6


def test_round_trip_predicts_identically() -> None:
    df = daily_frame(seed=7, prod=1.0)
    m = ChangePointModel("5P", extras=["production"]).fit(df)
    m2 = load_model(json.loads(json.dumps(m.to_dict())))
    np.testing.assert_array_equal(m.predict(df).to_numpy(), m2.predict(df).to_numpy())
    assert m2.summary.gof == m.summary.gof


def test_unfitted_and_missing_columns_raise_clear_errors() -> None:
    df = daily_frame()
    with pytest.raises(AnalyticsError, match="not fitted"):
        ChangePointModel("3PH").predict(df)
    with pytest.raises(AnalyticsError, match="production"):
        ChangePointModel("3PH", extras=["production"]).fit(df[["usage", "temperature"]])
    with pytest.raises(DataSufficiencyError, match="complete rows"):
        ChangePointModel("5P").fit(df.iloc[:3])
    with pytest.raises(AnalyticsError, match="kind"):
        ChangePointModel("7P")


def test_prune_knots_merges_sparse_bins() -> None:
    t = np.linspace(50, 80, 1000)
    k = prune_knots(t, np.array([30.0, 45.0, 55.0, 65.0, 75.0, 90.0]), 20)
    assert 30 not in k and 90 not in k and 45 not in k
    assert {55.0, 65.0, 75.0} <= set(k)


def test_towt_fits_schedule_and_matches_statsmodels() -> None:
    df = hourly_frame(days=120)
    m = TOWTModel().fit(df)
    assert m.qualified
    occ_expected = np.array([(d < 5) and (7 <= h < 19) for d in range(7) for h in range(24)])
    assert (m.occ == occ_expected).mean() > 0.95
    assert m.summary.gof.cvrmse < 0.15
    tow = time_of_week(df.index)
    x = towt_design(
        df["temperature"].to_numpy(),
        tow,
        np.zeros((len(df), 0)),
        m.occ,
        m.knots_occ,
        m.knots_unocc,
        m.has_occ,
        m.has_unocc,
    )
    ref = sm.OLS(df["usage"].to_numpy(), x).fit()
    coef = np.concatenate([m.alpha, m.beta])
    np.testing.assert_allclose(coef, ref.params, rtol=1e-8, atol=1e-10)
    m2 = load_model(json.loads(json.dumps(m.to_dict())))
    np.testing.assert_array_equal(m.predict(df).to_numpy(), m2.predict(df).to_numpy())
