"""Shared pieces of the baseline models: fitted-model summary and input checks."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from plantmeter.errors import AnalyticsError, DataSufficiencyError

from ..stats import GoodnessOfFit

__all__ = [
    "ModelSummary",
    "finite_array",
    "finite_array_mask",
    "finite_rows",
    "require_columns",
    "require_rows",
    "temperature_scale",
]

logger = logging.getLogger(__name__)


@dataclass
class ModelSummary:
    """What a fitted model is and how well it fits its baseline."""

    type: str
    coefficients: dict[str, float]
    gof: GoodnessOfFit
    pvalues: dict[str, float] = field(default_factory=dict)
    f_pvalue: float = float("nan")
    params: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["gof"] = self.gof.to_dict()
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ModelSummary:
        d = dict(d)
        d["gof"] = GoodnessOfFit(**d["gof"])
        return cls(**d)


def require_columns(data: pd.DataFrame, cols: list[str], model: str) -> None:
    """Raise AnalyticsError naming the missing columns and the fix."""
    if not isinstance(data, pd.DataFrame):
        raise AnalyticsError(f"{model}: data must be a pandas DataFrame, got {type(data).__name__}")
    missing = [c for c in cols if c not in data.columns]
    if missing:
        raise AnalyticsError(
            f"{model}: data lacks column(s) {missing}; pass a frame with columns {cols}"
        )


def temperature_scale(unit: str) -> float:
    """Degrees per degF for the unit ('F' -> 1, 'C' -> 5/9)."""
    if unit == "F":
        return 1.0
    if unit == "C":
        return 5.0 / 9.0
    raise AnalyticsError(f"temperature unit {unit!r}: use 'C' or 'F'")


def require_rows(count: int, model: str, min_rows: int) -> None:
    """DataSufficiencyError when fewer than ``min_rows`` complete rows."""
    if count < min_rows:
        raise DataSufficiencyError(
            f"{model}: only {count} complete rows (usage and drivers all present), "
            f"the model needs at least {min_rows}; extend the baseline period or fill the gaps"
        )


def finite_rows(frame: pd.DataFrame, cols: list[str], model: str, min_rows: int) -> pd.DataFrame:
    """Rows with every column finite; DataSufficiencyError when fewer than ``min_rows``."""
    sub = frame[cols].astype(float)
    ok = np.isfinite(sub.to_numpy()).all(axis=1)
    out = sub[ok]
    require_rows(len(out), model, min_rows)
    return out


def finite_array(frame: pd.DataFrame, cols: list[str], model: str, min_rows: int) -> np.ndarray:
    """``finite_rows`` as a float64 array (rows x ``cols``, in order), without building frames:
    the rows with every column finite; DataSufficiencyError when fewer than ``min_rows``."""
    return finite_array_mask(frame, cols, model, min_rows)[0]


def finite_array_mask(
    frame: pd.DataFrame, cols: list[str], model: str, min_rows: int
) -> tuple[np.ndarray, np.ndarray]:
    """``finite_array`` and the boolean mask of the frame's rows it kept."""
    out = np.empty((len(frame), len(cols)))
    for j, c in enumerate(cols):
        col = frame[c]
        out[:, j] = (
            col.to_numpy() if col.dtype == np.float64 else col.to_numpy(float, na_value=np.nan)
        )
    keep = np.isfinite(out).all(axis=1)
    out = out[keep]
    require_rows(len(out), model, min_rows)
    return out, keep
