"""Data sufficiency checks (CalTRACK-like), returned as structured warnings, never raised."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from plantmeter.i18n import N_
from plantmeter.text import Num, Pct, Term, Text

__all__ = [
    "DRIVER_RANGE_CODE",
    "EXTRAPOLATION_SHARE",
    "SufficiencyWarning",
    "check_driver_range",
    "check_period",
    "disqualifying",
    "is_extrapolated",
]

DRIVER_RANGE_CODE = "reporting_driver_outside_baseline_range"
EXTRAPOLATION_SHARE = 0.10
"""A figure is *extrapolated* when its drivers fail EnPI Lite's rule, or when at least this
share of its reporting intervals has a driver value outside the baseline's observed range."""

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SufficiencyWarning:
    """A data-quality finding: machine code, plain-language description (English), the
    numbers, and ``text``: the description as a message id and parameters
    (``plantmeter.text``), shown in the reader's language."""

    code: str
    description: str
    data: dict[str, Any] = field(default_factory=dict)
    disqualifying: bool = False
    text: Text | None = None

    def shown(self) -> str:
        """The description in the current locale (English when no text was built)."""
        return str(self.text) if self.text is not None else self.description

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "description": self.description,
            "data": dict(self.data),
            "disqualifying": self.disqualifying,
            "message": self.text.to_json() if self.text is not None else None,
        }


def _warning(
    code: str, text: Text, data: dict[str, Any], disqualifying: bool = False
) -> SufficiencyWarning:
    return SufficiencyWarning(code, text.english(), data, disqualifying, text)


_PERIODS = {"baseline": N_("baseline period"), "reporting": N_("reporting period")}
_DATA = {"hourly": N_("hourly data"), "daily": N_("daily data")}
_INTERVALS = {"hourly": N_("hourly intervals"), "daily": N_("daily intervals")}
_VALUES = {"hourly": N_("hourly values"), "daily": N_("daily values")}


def disqualifying(warnings: list[SufficiencyWarning]) -> list[SufficiencyWarning]:
    """The warnings that stop a computation unless the caller allows disqualified data."""
    return [w for w in warnings if w.disqualifying]


def check_period(
    frame: pd.DataFrame,
    period: tuple[pd.Timestamp, pd.Timestamp],
    granularity: str,
    role: str,
    min_days: int = 365,
    min_fraction: float = 0.9,
    min_month_fraction: float = 0.9,
) -> list[SufficiencyWarning]:
    """Coverage of a period and of each calendar month in it.

    ``frame`` is the binned data of the period with columns ``usage``, ``coverage``
    (0..1 per bin) and optionally ``temperature``. A bin counts as valid when usage
    (and temperature, when present) is finite and coverage >= 0.9 — CalTRACK 2.2's
    90 % rule. For the baseline (``role='baseline'``): fewer than ``min_days`` days
    or under ``min_fraction`` valid bins disqualifies; a month under
    ``min_month_fraction`` warns (disqualifies for hourly, as CalTRACK hourly).
    """
    out: list[SufficiencyWarning] = []
    start, end = period
    days = (end - start) / pd.Timedelta(days=1)
    strict = role == "baseline"
    if strict and days < min_days:
        out.append(
            _warning(
                f"{role}_too_short",
                Text(
                    N_(
                        "the {period} is {days} days; {required} are required so every season "
                        "is seen (CalTRACK 2.2.1). Extend it or pass allow_disqualified=True"
                    ),
                    period=Term(_PERIODS[role]),
                    days=Num(days),
                    required=Num(min_days),
                ),
                {"days": float(days), "required_days": min_days},
                disqualifying=True,
            )
        )
    n = len(frame)
    if n == 0:
        out.append(
            _warning(
                f"{role}_no_data",
                Text(
                    N_("no {data} in the {period} {start}..{end}"),
                    data=Term(_DATA[granularity]),
                    period=Term(_PERIODS[role]),
                    start=str(start),
                    end=str(end),
                ),
                {"start": str(start), "end": str(end)},
                disqualifying=True,
            )
        )
        return out
    valid = np.isfinite(frame["usage"].to_numpy(dtype=float))
    if "coverage" in frame:
        valid &= frame["coverage"].to_numpy(dtype=float) >= 0.9
    if "temperature" in frame:
        valid &= np.isfinite(frame["temperature"].to_numpy(dtype=float))
    frac = float(valid.mean())
    if frac < min_fraction:
        out.append(
            _warning(
                f"{role}_too_many_missing",
                Text(
                    N_(
                        "only {share} of the {intervals} of the {period} have usage and drivers "
                        "({required} required, CalTRACK 2.2.3); fill gaps or shorten the period"
                    ),
                    share=Pct(frac, 1),
                    intervals=Term(_INTERVALS[granularity]),
                    period=Term(_PERIODS[role]),
                    required=Pct(min_fraction),
                ),
                {"valid_fraction": frac, "required_fraction": min_fraction, "intervals": n},
                disqualifying=strict,
            )
        )
    months = (
        pd.Series(valid, index=frame.index).groupby([frame.index.year, frame.index.month]).mean()
    )
    for (yy, mm), f in months.items():
        if f < min_month_fraction:
            out.append(
                _warning(
                    f"{role}_month_low_coverage",
                    Text(
                        N_(
                            "{month}: {share} of the {intervals} valid in the {period} (< {required})"
                        ),
                        month=f"{yy}-{mm:02d}",
                        share=Pct(float(f), 1),
                        intervals=Term(_INTERVALS[granularity]),
                        period=Term(_PERIODS[role]),
                        required=Pct(min_month_fraction),
                    ),
                    {"month": f"{yy}-{mm:02d}", "valid_fraction": float(f)},
                    disqualifying=strict and granularity == "hourly",
                )
            )
    u = frame["usage"].to_numpy(dtype=float)
    u = u[np.isfinite(u)]
    if u.size > 1 and np.ptp(u) == 0:
        out.append(
            _warning(
                f"{role}_constant_usage",
                Text(
                    N_(
                        "usage is constant ({value}) over the {period}: a stuck meter or a "
                        "filled series; check the meter before computing savings"
                    ),
                    value=Num(float(u[0]), None),
                    period=Term(_PERIODS[role]),
                ),
                {"value": float(u[0])},
                disqualifying=True,
            )
        )
    if u.size > 10:
        q1, med, q3 = np.percentile(u, [25, 50, 75])
        extreme = int((u > med + 3 * (q3 - q1)).sum()) if q3 > q1 else 0
        if extreme:
            out.append(
                _warning(
                    f"{role}_extreme_values",
                    Text(
                        N_("{n} {values} above median + 3 IQR in the {period} (CalTRACK 2.3.6)"),
                        n=Num(extreme),
                        values=Term(_VALUES[granularity]),
                        period=Term(_PERIODS[role]),
                    ),
                    {"count": extreme, "threshold": float(med + 3 * (q3 - q1))},
                )
            )
    return out


def check_driver_range(
    baseline: pd.DataFrame,
    reporting: pd.DataFrame,
    drivers: list[str],
    granularity: str,
) -> list[SufficiencyWarning]:
    """Reporting-period drivers against the baseline's (DOE EnPI Lite's validity rule).

    ``baseline`` holds the intervals the model was fitted on, ``reporting`` the intervals the
    savings are summed over; ``drivers`` the columns the model uses (temperature,
    production). EnPI Lite: the model is valid for adjusting when the *mean* of each driver
    over the reporting period lies within the range of the baseline data, or within three
    standard deviations of the baseline mean. Beyond that rule we count the reporting
    intervals whose value lies outside the baseline's observed [min, max] (where the model is
    extrapolated, interval by interval). One warning per driver that fails the rule or has
    any interval outside; ``data['extrapolated']`` is True when the rule fails or that share
    reaches ``EXTRAPOLATION_SHARE``. Never disqualifying: the figure is computed and marked.
    """
    out: list[SufficiencyWarning] = []
    unit = "hours" if granularity == "hourly" else "days"
    for name in drivers:
        if name not in baseline or name not in reporting:
            continue
        b = baseline[name].to_numpy(dtype=float)
        r = reporting[name].to_numpy(dtype=float)
        b, r = b[np.isfinite(b)], r[np.isfinite(r)]
        if b.size < 2 or r.size == 0:
            continue
        lo, hi = float(b.min()), float(b.max())
        mean_b, sd_b = float(b.mean()), float(b.std(ddof=1))
        mean_r = float(r.mean())
        in_range = lo <= mean_r <= hi
        in_sd = abs(mean_r - mean_b) <= 3 * sd_b
        valid = in_range or in_sd
        n_out = int(((r < lo) | (r > hi)).sum())
        share = n_out / r.size
        if valid and n_out == 0:
            continue
        extrapolated = not valid or share >= EXTRAPOLATION_SHARE
        rule = Text(
            N_(
                "its reporting mean {mean} is inside EnPI Lite's limits (baseline range "
                "[{low}, {high}] or mean {base_mean} ± 3 SD = [{sd_low}, {sd_high}])"
            )
            if valid
            else N_(
                "its reporting mean {mean} is outside EnPI Lite's limits (baseline range "
                "[{low}, {high}] or mean {base_mean} ± 3 SD = [{sd_low}, {sd_high}])"
            ),
            mean=_sig4(mean_r),
            low=_sig4(lo),
            high=_sig4(hi),
            base_mean=_sig4(mean_b),
            sd_low=_sig4(mean_b - 3 * sd_b),
            sd_high=_sig4(mean_b + 3 * sd_b),
        )
        text = Text(
            N_(
                "{driver} outside the baseline range in {share} of reporting {units} "
                "({n} of {total}); {rule}"
            ),
            driver=Term(name),
            share=Pct(share, 0 if share >= 0.1 or share == 0 else 1),
            units=Term(unit),
            n=Num(n_out),
            total=Num(r.size),
            rule=rule,
        )
        if extrapolated:
            text = text + Text(N_("; the figure is extrapolated"))
        out.append(
            _warning(
                DRIVER_RANGE_CODE,
                text,
                {
                    "driver": name,
                    "baseline_min": lo,
                    "baseline_max": hi,
                    "baseline_mean": mean_b,
                    "baseline_sd": sd_b,
                    "reporting_mean": mean_r,
                    "intervals": int(r.size),
                    "intervals_outside": n_out,
                    "share_outside": share,
                    "interval_unit": unit,
                    "enpi_lite_valid": valid,
                    "extrapolated": extrapolated,
                },
            )
        )
    return out


def _sig4(x: float) -> Num:
    """A driver statistic to four significant digits, like ``:.4g``."""
    return Num(x, None, sig=4, grouped=False)


def is_extrapolated(warnings: list[SufficiencyWarning]) -> bool:
    """True when any driver-range warning marks the figure as extrapolated."""
    return any(w.code == DRIVER_RANGE_CODE and w.data.get("extrapolated") for w in warnings)
