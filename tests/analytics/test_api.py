"""compute_savings end to end: known effects, structured warnings, one test per bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.api import compute_savings
from analytics.savings import NonRoutineAdjustment, normalized_savings
from analytics.sufficiency import DRIVER_RANGE_CODE
from plantmeter.errors import AnalyticsError, DataSufficiencyError

from .synth import daily_frame, hourly_frame

BASE = ("2023-01-01", "2024-01-01")
REP = ("2024-01-01", "2025-01-01")


def _with_effect(df: pd.DataFrame, effect: float) -> pd.Series:
    u = df["usage"].copy()
    u[u.index >= pd.Timestamp("2024-01-01", tz="UTC")] -= effect
    return u


def test_known_effect_inside_reported_90pct_interval() -> None:
    df = daily_frame(seed=101, prod=2.0, noise=25.0)
    u = _with_effect(df, 40.0)  # 40 units/day saved
    r = compute_savings(u, BASE, REP, df["temperature"], df["production"], temperature_unit="F")
    true = 40.0 * 365
    half = r.fsu_90 * abs(r.savings)
    assert abs(r.savings - true) <= half, (r.savings, true, half)
    assert 0 < r.fsu_68 < r.fsu_90 < 1
    assert r.model.type == "5P" and "production" in r.model.coefficients
    assert r.savings == pytest.approx(r.adjusted_baseline - r.observed)
    assert r.frame["cumulative_savings"].iloc[-1] == pytest.approx(r.savings)
    # a fresh weather year has a few days outside the baseline's range (2 % here): reported,
    # not extrapolated; nothing else is wrong with the data
    assert not r.extrapolated
    assert [w for w in r.data_sufficiency if w.code != DRIVER_RANGE_CODE] == []
    assert all(w.data["share_outside"] < 0.05 for w in r.driver_range)
    assert {c.name for c in r.checks} >= {"cvrmse", "nmbe", "f_test", "p_production"}


def test_fsu_intervals_cover_the_true_effect_at_about_their_level() -> None:
    """Over 30 synthetic plants the 68 % / 90 % intervals hold the true effect about as often."""
    hits68 = hits90 = 0
    for seed in range(200, 230):
        df = daily_frame(seed=seed, prod=2.0, noise=25.0)
        r = compute_savings(
            _with_effect(df, 40.0),
            BASE,
            REP,
            df["temperature"],
            df["production"],
            temperature_unit="F",
        )
        err = abs(r.savings - 40.0 * 365)
        hits68 += err <= r.fsu_68 * abs(r.savings)
        hits90 += err <= r.fsu_90 * abs(r.savings)
    assert hits68 >= 15 and hits90 >= 24, (hits68, hits90)


def test_hourly_towt_savings() -> None:
    df = hourly_frame(days=480, start="2023-01-02")
    u = df["usage"].copy()
    u[u.index >= pd.Timestamp("2024-01-02", tz="UTC")] *= 0.85
    r = compute_savings(
        u,
        ("2023-01-02", "2024-01-02"),
        ("2024-01-02", "2024-04-26"),
        df["temperature"],
        granularity="hourly",
        temperature_unit="F",
    )
    assert r.model.type == "TOWT"
    assert r.savings_fraction == pytest.approx(0.15, abs=0.01)
    assert r.fsu_90 < 0.2


def test_tariff_callable_emissions_and_adjustment() -> None:
    df = daily_frame(seed=12)
    u = _with_effect(df, 30.0)
    adj = NonRoutineAdjustment(pd.Timestamp("2024-07-01", tz="UTC"), 100.0, "new line")
    r = compute_savings(
        u,
        BASE,
        REP,
        df["temperature"],
        temperature_unit="F",
        adjustments=[adj],
        tariff=lambda s: s * 0.2,
        emission_factor=0.5,
    )
    nra = r.frame["non_routine_adjustment"]
    assert nra.sum() == pytest.approx(100.0 * 183)  # data end 2024-12-30
    assert r.cost_savings == pytest.approx(0.2 * r.savings)
    assert r.co2_savings == pytest.approx(0.5 * r.savings)


def test_normalized_savings_under_fixed_conditions() -> None:
    from analytics.models import ChangePointModel

    df = daily_frame(seed=13, noise=5.0)
    before = ChangePointModel("5P", temperature_unit="F").fit(df.iloc[:365])
    after_df = df.iloc[365:].copy()
    after_df["usage"] -= 50.0
    after = ChangePointModel("5P", temperature_unit="F").fit(after_df)
    res = normalized_savings(before, after, df.iloc[:365][["temperature"]])
    assert res["normalized_savings"] == pytest.approx(50.0 * 365, rel=0.03)


def test_short_baseline_is_disqualifying_unless_allowed() -> None:
    df = daily_frame(seed=14)
    with pytest.raises(DataSufficiencyError, match="baseline period is 181 days"):
        compute_savings(
            df["usage"], ("2023-07-04", "2024-01-01"), REP, df["temperature"], temperature_unit="F"
        )
    r = compute_savings(
        df["usage"],
        ("2023-07-04", "2024-01-01"),
        REP,
        df["temperature"],
        temperature_unit="F",
        allow_disqualified=True,
    )
    assert r.disqualified_allowed
    assert [w.code for w in r.data_sufficiency if w.disqualifying] == ["baseline_too_short"]


def test_missing_month_is_reported_with_data() -> None:
    df = daily_frame(seed=15)
    u = df["usage"].copy()
    u["2023-03-01":"2023-03-20"] = np.nan
    r = compute_savings(u, BASE, REP, df["temperature"], temperature_unit="F")
    w = [w for w in r.data_sufficiency if w.code == "baseline_month_low_coverage"]
    assert len(w) == 1 and w[0].data["month"] == "2023-03" and not w[0].disqualifying


def _u(**kw):
    df = daily_frame(seed=16)
    return df["usage"], df["temperature"]


def test_bad_input_empty() -> None:
    u, t = _u()
    with pytest.raises(DataSufficiencyError, match="empty"):
        compute_savings(u.iloc[:0], BASE, REP, t)


def test_bad_input_all_nan() -> None:
    u, t = _u()
    with pytest.raises(DataSufficiencyError, match="every value is NaN"):
        compute_savings(u * np.nan, BASE, REP, t)


def test_bad_input_constant_usage_is_flagged() -> None:
    u, t = _u()
    with pytest.raises(DataSufficiencyError, match="constant"):
        compute_savings(u * 0 + 100.0, BASE, REP, t, temperature_unit="F")


def test_bad_input_baseline_too_short_for_the_model() -> None:
    u, t = _u()
    with pytest.raises(DataSufficiencyError, match="needs at least|no baseline model"):
        compute_savings(
            u,
            ("2023-01-01", "2023-01-04"),
            REP,
            t,
            temperature_unit="F",
            allow_disqualified=True,
            model="5P",
        )


def test_bad_input_unsorted() -> None:
    u, t = _u()
    with pytest.raises(AnalyticsError, match="not sorted"):
        compute_savings(u.iloc[::-1], BASE, REP, t)


def test_bad_input_duplicates() -> None:
    u, t = _u()
    with pytest.raises(AnalyticsError, match="duplicate timestamps"):
        compute_savings(pd.concat([u, u.iloc[:3]]).sort_index(), BASE, REP, t)


def test_bad_input_naive_timestamps() -> None:
    u, t = _u()
    with pytest.raises(AnalyticsError, match="no time zone"):
        compute_savings(u.tz_localize(None), BASE, REP, t)


def test_bad_input_mixed_timezones() -> None:
    u, t = _u()
    mixed = [ts.tz_convert("America/Guatemala") if i % 2 else ts for i, ts in enumerate(u.index)]
    with pytest.raises(AnalyticsError, match="mixed UTC offsets"):
        compute_savings(pd.Series(u.to_numpy(), index=pd.Index(mixed, dtype=object)), BASE, REP, t)


def test_bad_input_negative_usage() -> None:
    u, t = _u()
    u = u.copy()
    u.iloc[10] = -5.0
    with pytest.raises(DataSufficiencyError, match="1 negative values"):
        compute_savings(u, BASE, REP, t)


def test_bad_input_periods() -> None:
    u, t = _u()
    with pytest.raises(AnalyticsError, match="before the baseline ends"):
        compute_savings(u, BASE, ("2023-06-01", "2024-01-01"), t)
    with pytest.raises(AnalyticsError, match="not after start"):
        compute_savings(u, ("2024-01-01", "2023-01-01"), REP, t)
    with pytest.raises(AnalyticsError, match="granularity"):
        compute_savings(u, BASE, REP, t, granularity="weekly")  # type: ignore[arg-type]
