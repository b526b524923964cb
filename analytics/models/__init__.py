"""Baseline models: fit(data) -> self, predict(data) -> Series, to_dict()/from_dict()."""

from __future__ import annotations

from .base import ModelSummary
from .changepoint import ChangePointModel
from .selection import DAILY_CANDIDATES, Selection, load_model, select_daily
from .towt import TOWTModel, prune_knots, time_of_week

__all__ = [
    "DAILY_CANDIDATES",
    "ChangePointModel",
    "ModelSummary",
    "Selection",
    "TOWTModel",
    "load_model",
    "prune_knots",
    "select_daily",
    "time_of_week",
]
