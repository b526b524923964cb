"""Automatic baseline model selection, with the reason recorded."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from plantmeter.errors import AnalyticsError, DataSufficiencyError

from .base import finite_array, require_columns
from .changepoint import ChangePointModel
from .towt import TOWTModel

__all__ = ["DAILY_CANDIDATES", "Selection", "load_model", "select_daily"]

logger = logging.getLogger(__name__)

DAILY_CANDIDATES = ("1P", "2P", "3PH", "3PC", "4P", "5P")


@dataclass
class Selection:
    """The chosen model, why, and how every candidate fared."""

    model: ChangePointModel
    reason: str
    candidates: list[dict[str, Any]]


def select_daily(
    data: pd.DataFrame,
    extras: tuple[str, ...] | list[str] = (),
    temperature_unit: str = "F",
    candidates: tuple[str, ...] = DAILY_CANDIDATES,
    parsimony: float = 0.005,
    exhaustive: bool = False,
) -> Selection:
    """Fit every candidate form; keep the qualified one with the highest adjusted R².

    Qualified (CalTRACK 3.4.3): balance-point grid found a candidate with enough degree
    days and positive slopes, and each temperature term has p < 0.1. The
    intercept-only model (1P) always qualifies as the fallback. Unlike CalTRACK, a
    model with more parameters must beat the best simpler one by more than
    ``parsimony`` in adjusted R² (the grid search makes a spurious slope "significant"
    often enough that pure max-adjusted-R² picks 4P/5P on 3P data).

    The complete rows are read from ``data`` once for every form; each form's balance points
    come from ``kernels.grid_search_fast`` (sorted prefix sums), or with ``exhaustive=True``
    from the reference search that solves every candidate's design (same selection).
    """
    report: list[dict[str, Any]] = []
    best: ChangePointModel | None = None
    best_adj = -math.inf
    fitted: dict[str, ChangePointModel] = {}
    models = [
        ChangePointModel(kind, extras, temperature_unit, exhaustive=exhaustive)
        for kind in candidates
    ]
    rows = np.empty((0, 2 + len(extras)))
    if models:
        require_columns(data, models[0].columns(), f"{models[0].kind} model")
        rows = finite_array(data, models[0].columns(), f"{models[0].kind} model", 0)
    for m in models:
        kind = m.kind
        try:
            m.fit_rows(rows)
        except DataSufficiencyError as exc:
            report.append({"type": kind, "qualified": False, "reason": str(exc)})
            continue
        fitted[kind] = m
        adj = m.summary.gof.adj_r2 if m.summary else math.nan
        report.append(
            {
                "type": kind,
                "qualified": m.qualified,
                "adj_r2": adj,
                "cvrmse": m.summary.gof.cvrmse if m.summary else math.nan,
                "reason": m.disqualified_reason,
            }
        )
        if m.qualified:
            score = adj if math.isfinite(adj) else -1.0
            if best is None or score > best_adj:
                best, best_adj = m, score
    top = best
    simpler = None
    if top is not None:
        for r, kind in ((r, r["type"]) for r in report):
            if not r.get("qualified") or kind == top.kind:
                continue
            m_p = DAILY_CANDIDATES.index(kind)
            if m_p < DAILY_CANDIDATES.index(top.kind) and r["adj_r2"] >= best_adj - parsimony:
                simpler = kind
                break
    if simpler is not None and top is not None:
        m = fitted[simpler]
        note = (
            f"{simpler}: simplest qualified form within {parsimony} adjusted R² of the best "
            f"({top.kind} {best_adj:.3f})"
        )
        best, best_adj = m, m.summary.gof.adj_r2 if m.summary else math.nan
    else:
        note = ""
    if best is None:
        raise DataSufficiencyError(
            "no baseline model qualifies: "
            + "; ".join(r["reason"] for r in report if r["reason"])
            + ". Check the usage and temperature series for the baseline period"
        )
    others = ", ".join(
        f"{r['type']} {r['adj_r2']:.3f}"
        for r in report
        if r.get("qualified") and r["type"] != best.kind and "adj_r2" in r
    )
    rejected = ", ".join(f"{r['type']} ({r['reason']})" for r in report if not r.get("qualified"))
    reason = note or f"{best.kind}: highest adjusted R² ({best_adj:.3f}) among qualified candidates"
    reason += f" [{others}]" if others else ""
    reason += f"; not qualified: {rejected}" if rejected else ""
    return Selection(best, reason, report)


def load_model(d: dict[str, Any]) -> ChangePointModel | TOWTModel:
    """Rebuild a model from its ``to_dict()``."""
    kind = d.get("model")
    if kind == "changepoint":
        return ChangePointModel.from_dict(d)
    if kind == "towt":
        return TOWTModel.from_dict(d)
    raise AnalyticsError(f"unknown model type {kind!r} in serialized model")
