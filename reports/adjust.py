"""Routine and non-routine adjustments added to a meter's adjusted baseline.

Routine: a meter's ``baselines.<meter>.routine`` terms (usage per unit of a production meter,
beyond the regression's drivers), over the whole reporting period. Non-routine: the plan's
dated ``adjustments`` ledger, over each entry's period. Both are added on the intervals that
have savings (valid, non-holiday), change savings and the adjusted baseline by the same
amount, keep the model's absolute 90 % band (they add no statistical uncertainty), and are
returned as rows with their effect for the reports to list (``rule`` and ``period`` as
``plantmeter.text.Text``: the reader's language in a PDF, English in the JSON).
"""

from __future__ import annotations

import dataclasses
import logging
import math
from typing import Any

import pandas as pd

from analytics.api import SavingsResult
from plantmeter.i18n import N_
from plantmeter.text import Day, Num, Text

from .data import SiteData, local_ts
from .plan import UNITS, MVPlan

__all__ = ["apply_adjustments"]

logger = logging.getLogger(__name__)


def _driver(data: SiteData, meter: str, granularity: str, idx: pd.DatetimeIndex) -> pd.Series:
    """A production meter's use per interval of ``idx`` (0 where it has no data)."""
    drv = data.hourly(meter)
    if granularity == "daily":
        drv = drv.resample("D").sum(min_count=1)
    return drv.reindex(idx).fillna(0.0)


def apply_adjustments(
    plan: MVPlan, data: SiteData, meter: str, r: SavingsResult
) -> tuple[SavingsResult, list[dict[str, Any]]]:
    """Add ``meter``'s routine adjustments (plan) and non-routine ones (ledger)."""
    frame = r.frame
    idx = pd.DatetimeIndex(frame.index)
    has = frame["savings"].notna().to_numpy()
    per = 1.0 if r.granularity == "daily" else 1.0 / 24.0
    tz = data.tz
    total = pd.Series(0.0, index=idx)
    rows: list[dict[str, Any]] = []
    unit = UNITS[data.kind(meter)]
    for ra in plan.baselines[meter].routine:
        x = (_driver(data, ra.driver, r.granularity, idx) * ra.per_unit).where(has, 0.0)
        total += x
        rows.append(
            {
                "kind": "routine",
                "id": ra.name,
                "meter": meter,
                "reason": ra.method,
                "rule": Text(
                    N_("{per_unit} per unit of {driver}"),
                    per_unit=Num(ra.per_unit, None, unit, signed=True),
                    driver=ra.driver,
                ),
                "effect": float(x.sum()),
                "unit": unit,
            }
        )
    for a in plan.adjustments:
        e = a.meters.get(meter)
        if e is None:
            continue
        sel = (idx >= local_ts(a.start, tz)) & has
        if a.end is not None:
            sel &= idx < local_ts(a.end, tz)
        if not sel.any():
            continue
        if e.per_day is not None:
            x = pd.Series(e.per_day * per, index=idx)
            how = Text(
                N_("{amount}/day"),
                amount=Num(e.per_day, None, UNITS[data.kind(meter)], signed=True),
            )
        elif e.total is not None and a.end is not None:
            x = pd.Series(e.total / (a.end - a.start).days * per, index=idx)
            how = Text(
                N_("{amount} over {start} to {end}"),
                amount=Num(e.total, None, UNITS[data.kind(meter)], signed=True),
                start=Day(a.start),
                end=Day(a.end),
            )
        else:
            assert e.driver is not None and e.per_unit is not None
            x = _driver(data, e.driver, r.granularity, idx) * e.per_unit
            how = Text(
                N_("{per_unit} per unit of {driver}"),
                per_unit=Num(e.per_unit, None, signed=True),
                driver=e.driver,
            )
        x = x.where(sel, 0.0)
        total += x
        rows.append(
            {
                "kind": "non-routine",
                "id": a.id,
                "meter": meter,
                "reason": a.reason,
                "agreed": a.date.isoformat(),
                "approved_by": a.approved_by,
                "period": Text(N_("{start} to {end}"), start=Day(a.start), end=Day(a.end))
                if a.end
                else Text(N_("{start} to open"), start=Day(a.start)),
                "method": a.method,
                "rule": how,
                "effect": float(x.sum()),
                "unit": UNITS[data.kind(meter)],
            }
        )
    if not rows:
        return r, rows
    f = frame.copy()
    f["non_routine_adjustment"] = f["non_routine_adjustment"] + total
    f["adjusted_baseline"] = f["adjusted_baseline"] + total
    f["savings"] = f["savings"] + total
    f["cumulative_savings"] = f["savings"].fillna(0.0).cumsum().where(f["savings"].notna())
    add = float(total.sum())
    savings = r.savings + add
    base = r.adjusted_baseline + add
    keep = abs(r.savings) / abs(savings) if savings else math.nan  # same absolute band
    out = dataclasses.replace(
        r,
        frame=f,
        savings=savings,
        adjusted_baseline=base,
        savings_fraction=savings / base if base else math.nan,
        fsu_68=r.fsu_68 * keep,
        fsu_90=r.fsu_90 * keep,
    )
    return out, rows
