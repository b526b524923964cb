"""Data sufficiency checks (CalTRACK-like), returned as structured warnings, never raised."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["SufficiencyWarning", "check_period", "disqualifying"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SufficiencyWarning:
    """A data-quality finding: machine code, plain-language description, the numbers."""

    code: str
    description: str
    data: dict[str, Any] = field(default_factory=dict)
    disqualifying: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


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
            SufficiencyWarning(
                f"{role}_too_short",
                f"{role} period is {days:.0f} days; {min_days} are required so every season is "
                f"seen (CalTRACK 2.2.1). Extend the {role} or pass allow_disqualified=True",
                {"days": float(days), "required_days": min_days},
                disqualifying=True,
            )
        )
    n = len(frame)
    if n == 0:
        out.append(
            SufficiencyWarning(
                f"{role}_no_data",
                f"no {granularity} data in the {role} period {start}..{end}",
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
            SufficiencyWarning(
                f"{role}_too_many_missing",
                f"only {frac:.1%} of {granularity} intervals in the {role} have usage and drivers "
                f"({min_fraction:.0%} required, CalTRACK 2.2.3); fill gaps or shorten the period",
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
                SufficiencyWarning(
                    f"{role}_month_low_coverage",
                    f"{yy}-{mm:02d}: {f:.1%} of {granularity} intervals valid in the {role} "
                    f"(< {min_month_fraction:.0%})",
                    {"month": f"{yy}-{mm:02d}", "valid_fraction": float(f)},
                    disqualifying=strict and granularity == "hourly",
                )
            )
    u = frame["usage"].to_numpy(dtype=float)
    u = u[np.isfinite(u)]
    if u.size > 1 and np.ptp(u) == 0:
        out.append(
            SufficiencyWarning(
                f"{role}_constant_usage",
                f"usage is constant ({u[0]:g}) over the {role}: a stuck meter or a filled series; "
                "check the meter before computing savings",
                {"value": float(u[0])},
                disqualifying=True,
            )
        )
    if u.size > 10:
        q1, med, q3 = np.percentile(u, [25, 50, 75])
        extreme = int((u > med + 3 * (q3 - q1)).sum()) if q3 > q1 else 0
        if extreme:
            out.append(
                SufficiencyWarning(
                    f"{role}_extreme_values",
                    f"{extreme} {granularity} values above median + 3 IQR in the {role} "
                    "(CalTRACK 2.3.6)",
                    {"count": extreme, "threshold": float(med + 3 * (q3 - q1))},
                )
            )
    return out
