"""Typed Python API: pandas series in, a SavingsResult (dataclasses + frames) out."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from plantmeter.errors import AnalyticsError, DataSufficiencyError
from plantmeter.i18n import N_
from plantmeter.text import Join, Text

from .prepare import FREQ, bin_drivers, bin_usage, parse_period, validate_series
from .savings import NonRoutineAdjustment, Tariff, avoided_energy
from .stats import (
    Check,
    calibration_checks,
    enpi_checks,
    fractional_savings_uncertainty,
    savings_half_width,
)
from .sufficiency import (
    DRIVER_RANGE_CODE,
    SufficiencyWarning,
    check_driver_range,
    check_period,
    disqualifying,
    is_extrapolated,
)

__all__ = ["BaselineFit", "ModelInfo", "SavingsResult", "compute_savings", "fit_baseline"]

NO_VALID_INTERVALS = Text(
    N_("no reporting interval has both usage and a prediction; savings are undefined")
)


def _reasons(bad: list[SufficiencyWarning]) -> Join:
    """The disqualifying warnings as one parameter, each in the reader's language."""
    return Join(tuple(w.text if w.text is not None else w.description for w in bad))


logger = logging.getLogger(__name__)

Granularity = Literal["daily", "hourly"]


@dataclass
class ModelInfo:
    type: str
    r2: float
    cvrmse: float
    nmbe: float
    n: int
    coefficients: dict[str, float]
    selection_reason: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    serialized: dict[str, Any] = field(default_factory=dict)


@dataclass
class SavingsResult:
    """Verified savings over the reporting period with uncertainty and data quality."""

    observed: float
    adjusted_baseline: float
    savings: float
    savings_fraction: float
    fsu_68: float
    fsu_90: float
    model: ModelInfo
    data_sufficiency: list[SufficiencyWarning]
    checks: list[Check]
    frame: pd.DataFrame
    granularity: str
    cost_savings: float | None = None
    co2_savings: float | None = None
    disqualified_allowed: bool = False

    @property
    def driver_range(self) -> list[SufficiencyWarning]:
        """The reporting-period drivers found outside the baseline's range (EnPI Lite rule)."""
        return [w for w in self.data_sufficiency if w.code == DRIVER_RANGE_CODE]

    @property
    def extrapolated(self) -> bool:
        """True when the savings rest on drivers outside what the baseline saw."""
        return is_extrapolated(self.data_sufficiency)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (NaN -> None); the per-interval frame is left out."""

        def clean(v: Any) -> Any:
            if isinstance(v, float) and not math.isfinite(v):
                return None
            if isinstance(v, dict):
                return {k: clean(x) for k, x in v.items()}
            if isinstance(v, list | tuple):
                return [clean(x) for x in v]
            if isinstance(v, np.generic):
                return clean(v.item())
            return v

        m = self.model
        return clean(
            {
                "observed": self.observed,
                "adjusted_baseline": self.adjusted_baseline,
                "savings": self.savings,
                "savings_fraction": self.savings_fraction,
                "fsu_68": self.fsu_68,
                "fsu_90": self.fsu_90,
                "cost_savings": self.cost_savings,
                "co2_savings": self.co2_savings,
                "granularity": self.granularity,
                "model": {
                    "type": m.type,
                    "r2": m.r2,
                    "cvrmse": m.cvrmse,
                    "nmbe": m.nmbe,
                    "n": m.n,
                    "coefficients": m.coefficients,
                    "selection_reason": m.selection_reason,
                    "params": m.params,
                },
                "data_sufficiency": [w.to_dict() for w in self.data_sufficiency],
                "checks": [c.to_dict() for c in self.checks],
                "disqualified_allowed": self.disqualified_allowed,
                "extrapolated": self.extrapolated,
            }
        )


def _fit(train: pd.DataFrame, granularity: str, model: str, extras: list[str], unit: str):  # type: ignore[no-untyped-def]
    from .models import ChangePointModel, TOWTModel, select_daily

    if granularity == "hourly":
        if model not in ("auto", "towt"):
            raise AnalyticsError(f"hourly model {model!r}: use 'auto' or 'towt'")
        m = TOWTModel(extras, unit).fit(train)
        return (
            m,
            "TOWT: the hourly model (168 time-of-week terms + occupied/unoccupied temperature)",
        )
    if model == "auto":
        sel = select_daily(train, extras, unit, _daily_candidates(train))
        return sel.model, sel.reason
    m = ChangePointModel(model, extras, unit).fit(train)
    if not m.qualified:
        raise DataSufficiencyError(f"model {model} does not qualify: {m.disqualified_reason}")
    return m, f"{model}: requested by the caller"


def _daily_candidates(train: pd.DataFrame) -> tuple[str, ...]:
    if train["temperature"].nunique() <= 1:
        return ("1P",)
    return ("1P", "2P", "3PH", "3PC", "4P", "5P")


@dataclass
class BaselineFit:
    """A baseline model fitted once (to be pinned): the model, why, and its data findings."""

    model: dict[str, Any]  # the model's to_dict(); rebuild with analytics.models.load_model
    reason: str
    granularity: str
    data_sufficiency: list[SufficiencyWarning]
    checks: list[Check]
    drivers: dict[str, dict[str, float]]  # driver -> min, max, mean, sd over the baseline


def fit_baseline(
    usage: pd.Series,
    baseline: tuple[object, object],
    temperature: pd.Series | None = None,
    production: pd.Series | None = None,
    granularity: Granularity = "daily",
    model: str = "auto",
    temperature_unit: str = "C",
    min_baseline_days: int = 365,
) -> BaselineFit:
    """Fit the baseline model on ``baseline`` only, as ``compute_savings`` would.

    Disqualifying data-sufficiency findings raise DataSufficiencyError (a baseline is not
    agreed on disqualified data); the others are returned with the G14 calibration checks.
    """
    if granularity not in FREQ:
        raise AnalyticsError(f"granularity {granularity!r}: use 'daily' or 'hourly'")
    u = validate_series(usage, "usage")
    t = validate_series(temperature, "temperature", allow_negative=True)
    p = validate_series(production, "production")
    assert u is not None
    b0, b1 = parse_period(baseline, u.index.tz, "baseline")
    binned = bin_usage(u, granularity)
    binned = binned.join(bin_drivers(pd.DatetimeIndex(binned.index), granularity, t, p))
    extras = ["production"] if p is not None else []
    if t is None:
        binned["temperature"] = 0.0
    base = binned[(binned.index >= b0) & (binned.index < b1)]
    warnings = check_period(base, (b0, b1), granularity, "baseline", min_baseline_days)
    bad = disqualifying(warnings)
    if bad:
        text = Text(N_("baseline data not sufficient: {reasons}"), reasons=_reasons(bad))
        raise DataSufficiencyError(text.english(), text)
    train = base[base["coverage"] >= 0.9]
    m, reason = _fit(train, granularity, model, extras, temperature_unit)
    if m.summary is None:
        raise DataSufficiencyError(f"baseline model could not be fitted: {m.disqualified_reason}")
    drivers = {}
    for name in ["temperature", *extras] if t is not None else extras:
        x = train[name].to_numpy(dtype=float)
        x = x[np.isfinite(x)]
        if x.size:
            drivers[name] = {
                "min": float(x.min()),
                "max": float(x.max()),
                "mean": float(x.mean()),
                "sd": float(x.std(ddof=1)) if x.size > 1 else 0.0,
            }
    return BaselineFit(
        m.to_dict(),
        reason,
        granularity,
        warnings,
        calibration_checks(m.summary.gof, granularity),
        drivers,
    )


def compute_savings(
    usage: pd.Series,
    baseline: tuple[object, object],
    reporting: tuple[object, object],
    temperature: pd.Series | None = None,
    production: pd.Series | None = None,
    granularity: Granularity = "daily",
    model: str = "auto",
    temperature_unit: str = "C",
    adjustments: list[NonRoutineAdjustment] | None = None,
    tariff: Tariff | None = None,
    emission_factor: float | None = None,
    allow_disqualified: bool = False,
    min_baseline_days: int = 365,
    baseline_model: dict[str, Any] | None = None,
) -> SavingsResult:
    """Avoided energy use over ``reporting`` against a baseline fitted on ``baseline``.

    ``usage`` holds interval consumption (value at t = use in [t, t + step)), on a
    tz-aware index in the site's zone (days and hours of week are local). Periods are
    [start, end). Data-sufficiency findings are returned in ``data_sufficiency``;
    disqualifying ones raise DataSufficiencyError unless ``allow_disqualified``.

    ``baseline_model`` (a model's ``to_dict()``, e.g. pinned at plan approval) is used as
    the baseline instead of fitting one: the baseline period's data are then not checked
    again (they were when the model was fitted) and only inform the driver-range checks.
    """
    if granularity not in FREQ:
        raise AnalyticsError(f"granularity {granularity!r}: use 'daily' or 'hourly'")
    u = validate_series(usage, "usage")
    t = validate_series(temperature, "temperature", allow_negative=True)
    p = validate_series(production, "production")
    assert u is not None
    tz = u.index.tz
    b0, b1 = parse_period(baseline, tz, "baseline")
    r0, r1 = parse_period(reporting, tz, "reporting")
    if r0 < b1:
        raise AnalyticsError(f"reporting period starts {r0}, before the baseline ends {b1}")
    binned = bin_usage(u, granularity)
    binned = binned.join(bin_drivers(pd.DatetimeIndex(binned.index), granularity, t, p))
    extras = ["production"] if p is not None else []
    if t is None:
        binned["temperature"] = 0.0
    base = binned[(binned.index >= b0) & (binned.index < b1)]
    rep = binned[(binned.index >= r0) & (binned.index < r1)]
    warnings = (
        []
        if baseline_model is not None
        else check_period(base, (b0, b1), granularity, "baseline", min_baseline_days)
    )
    warnings += check_period(rep, (r0, r1), granularity, "reporting")
    bad = disqualifying(warnings)
    if bad and not allow_disqualified:
        text = Text(
            N_(
                "data not sufficient: {reasons} (pass allow_disqualified=True to compute "
                "anyway, flagged)"
            ),
            reasons=_reasons(bad),
        )
        raise DataSufficiencyError(text.english(), text)
    train = base[base["coverage"] >= 0.9] if len(base) else base
    if baseline_model is not None:
        from .models import load_model

        m, reason = (
            load_model(baseline_model),
            "pinned: the model fitted when the plan was approved",
        )
    else:
        m, reason = _fit(train, granularity, model, extras, temperature_unit)
    summary = m.summary
    if summary is None:
        raise DataSufficiencyError(f"baseline model could not be fitted: {m.disqualified_reason}")
    pred = m.predict(rep)
    valid = rep["usage"].notna() & pred.notna() & (rep["coverage"] >= 0.9)
    interval = pd.Timedelta(1, unit="h" if granularity == "hourly" else "D")
    frame = avoided_energy(
        rep["usage"].where(valid), pred.where(valid), interval, adjustments, tariff, emission_factor
    )
    obs_total = float(frame["observed"].sum())
    base_total = float(frame["adjusted_baseline"].sum())
    sav_total = float(frame["savings"].sum())
    frac = sav_total / base_total if base_total else math.nan
    mcount = int(valid.sum())
    gof = summary.gof
    leverage = m.mean_leverage(rep[valid]) if mcount else math.nan
    half = {c: savings_half_width(gof, mcount, leverage, c) for c in (0.68, 0.90)}
    fsu = {c: half[c] / abs(sav_total) if sav_total else math.nan for c in half}
    checks = calibration_checks(gof, granularity)
    if extras and granularity == "daily":
        from .stats import RegressionTests

        tests = RegressionTests(
            tuple(summary.pvalues),
            (),
            (),
            tuple(summary.pvalues.values()),
            math.nan,
            summary.f_pvalue,
        )
        checks += enpi_checks(
            tests,
            gof.r2,
            extras,
            {"production": train["production"].to_numpy()},
            {"production": rep["production"].to_numpy()},
        )
    used = (["temperature"] if t is not None and summary.type != "1P" else []) + extras
    warnings += check_driver_range(train, rep[valid], used, granularity)
    if mcount == 0:
        warnings.append(
            SufficiencyWarning(
                "reporting_no_valid_intervals",
                NO_VALID_INTERVALS.english(),
                {},
                disqualifying=True,
                text=NO_VALID_INTERVALS,
            )
        )
    info = ModelInfo(
        type=summary.type,
        r2=gof.r2,
        cvrmse=gof.cvrmse,
        nmbe=gof.nmbe,
        n=gof.n,
        coefficients=summary.coefficients
        if granularity == "daily"
        else {k: v for k, v in summary.coefficients.items() if not k.startswith("tow_")},
        selection_reason=reason,
        params={
            **summary.params,
            "p": gof.p,
            "adj_r2": gof.adj_r2,
            "autocorr": gof.autocorr,
            "n_eff": gof.n_eff,
            "f_pvalue": summary.f_pvalue,
            "leverage": leverage,
            # G14 Annex B's shortcut, for comparison (it understates a long period's spread)
            "fsu_90_g14_annex_b": fractional_savings_uncertainty(gof, mcount, frac, 0.90),
        },
        serialized=m.to_dict(),
    )
    return SavingsResult(
        observed=obs_total,
        adjusted_baseline=base_total,
        savings=sav_total,
        savings_fraction=frac,
        fsu_68=fsu[0.68],
        fsu_90=fsu[0.90],
        model=info,
        data_sufficiency=warnings,
        checks=checks,
        frame=frame,
        granularity=granularity,
        cost_savings=float(frame["cost_savings"].sum()) if "cost_savings" in frame else None,
        co2_savings=float(frame["co2_savings"].sum()) if "co2_savings" in frame else None,
        disqualified_allowed=bool(bad) and allow_disqualified,
    )
