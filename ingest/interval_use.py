"""Interval use (kWh per 15 minutes, m³ per hour) -> the cumulative counter the store keeps.

The store and the analytics keep counters, not deltas (DESIGN.md, "counters travel"), so an
export of use per interval is stored as the counter a meter would have shown: a reading at
the start of the first interval (the counter before it), then one at the end of every
interval, each the previous plus that interval's use. The analytics' counter differences then
give back exactly the file's use per interval.

What a timestamp means is the caller's explicit choice: ``start`` (the row is the use of the
interval that starts at its timestamp, as the analytics label intervals) or ``end`` (the
interval that ends at it, as many utility exports write "hour 1" for 00:00–01:00).
The intervals must follow one another without a hole: a counter cannot say "unknown" for a
missing interval, it would read as zero use, so missing intervals are refused with where
they are, to be filled (0 if the plant was off) or re-exported.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from plantmeter.durations import format_duration
from plantmeter.errors import InputError
from plantmeter.i18n import _

__all__ = ["IntervalLabel", "accumulate", "interval_step"]

IntervalLabel = Literal["start", "end"]
MAX_LISTED = 5


def interval_step(index: pd.DatetimeIndex, step: pd.Timedelta | None, what: str) -> pd.Timedelta:
    """The interval length (given, or the most common spacing), checked against every spacing."""
    if len(index) < 2 and step is None:
        raise InputError(
            _("{what}: one interval only; give its length with --interval (e.g. 15m)").format(
                what=what
            )
        )
    gaps = np.diff(index.as_unit("ms").asi8)
    if step is None:
        values, counts = np.unique(gaps, return_counts=True)
        step = pd.Timedelta(int(values[np.argmax(counts)]), unit="ms")
    step_ms = int(step / pd.Timedelta(milliseconds=1))
    if step_ms <= 0:
        raise InputError(_("{what}: the interval length must be positive").format(what=what))
    if (gaps == 0).any():
        at = index[1:][gaps == 0][0]
        raise InputError(
            _("{what}: two rows for the interval at {at}; keep one").format(
                what=what, at=at.isoformat()
            )
        )
    holes = np.flatnonzero(gaps != step_ms)
    if holes.size:
        listed = "; ".join(
            _("after {at} the next row is {gap} later").format(
                at=index[i].isoformat(), gap=format_duration(int(gaps[i]) / 1000)
            )
            for i in holes[:MAX_LISTED]
        )
        missing = int(np.sum(np.maximum(gaps[holes] // step_ms - 1, 0)))
        raise InputError(
            _(
                "{what}: intervals are {step} long but {n} spacings differ ({listed}); about "
                "{missing} intervals are missing. A counter built from interval use would read a "
                "missing interval as zero use: add those rows (0 if the plant was off), or give "
                "the right --interval"
            ).format(
                what=what,
                step=format_duration(step_ms / 1000),
                n=holes.size,
                listed=listed,
                missing=missing,
            )
        )
    return step


def accumulate(use: pd.Series, label: IntervalLabel, step: pd.Timedelta, base: float) -> pd.Series:
    """Counter readings at the interval boundaries: ``base`` at the first start, then running sums."""
    index = pd.DatetimeIndex(use.index)
    starts = index if label == "start" else index - step
    stamps = starts[:1].append(starts + step)
    values = base + np.concatenate([[0.0], np.cumsum(use.to_numpy(dtype=np.float64))])
    return pd.Series(values, index=stamps.rename("timestamp"), name=use.name)
