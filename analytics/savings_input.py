"""What ``plantmeter savings`` computes on: checked CSV series, or a meter's series from the store.

* A ``--usage`` file must hold use per interval. A cumulative counter (a meter's kWh register)
  read as use gave savings of −862 million with Guideline 14 "pass"; ``looks_cumulative``
  tells them apart (a counter rises in nearly every step; use per interval goes up and down)
  and the command refuses with the fix.
* A temperature series must be plausible in its declared unit (``plantmeter.ranges``): °F
  read as °C made a Guatemalan dairy's mean 75 °C and extrapolated the baseline far outside
  its range.
* ``usage_from_store`` reads a meter's counter through the SeriesStore port and derives hourly
  use with ``engine.counter_to_hourly`` (rollover modulus from the profile), the way reports do.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from plantmeter.counters import CounterSpec, stored_counter
from plantmeter.errors import DataSufficiencyError, InputError
from plantmeter.ranges import check_values
from plantmeter.store import SeriesStore

from .engine import counter_to_hourly

__all__ = [
    "check_temperature",
    "looks_cumulative",
    "refuse_cumulative",
    "store_temperature",
    "usage_from_store",
]

logger = logging.getLogger(__name__)

RISING_SHARE = 0.98  # steps that rise in a counter; use per interval is nowhere near
MIN_COVERAGE = 0.9


def looks_cumulative(values: pd.Series) -> tuple[bool, int, int]:
    """(True if the series reads like a cumulative counter, rising steps, steps)."""
    v = values.dropna().to_numpy(dtype=np.float64)
    if v.size < 10:
        return False, 0, max(v.size - 1, 0)
    steps = np.diff(v)
    rises, n = int((steps > 0).sum()), int(steps.size)
    return rises >= RISING_SHARE * n and int((steps < 0).sum()) <= 0.01 * n, rises, n


def refuse_cumulative(values: pd.Series, what: str) -> None:
    """Raise ``InputError`` with the fix when ``values`` look like a counter, not use per interval."""
    cumulative, rises, n = looks_cumulative(values)
    if cumulative:
        v = values.dropna()
        raise InputError(
            f"{what} rises in {rises} of its {n} steps (from {v.iloc[0]:.6g} to {v.iloc[-1]:.6g}): it looks like a "
            "meter's cumulative counter, not use per interval. Take the use from the store instead "
            "(plantmeter import-csv the counter, then plantmeter savings --site SITE.yaml --meter M), or "
            "give a file of use per interval (each reading minus the one before)"
        )


def check_temperature(values: pd.Series, unit: str, what: str) -> None:
    """Raise ``InputError`` when temperatures are implausible in ``unit`` ('C' or 'F')."""
    canonical = {"C": "degC", "F": "degF"}.get(unit, unit)
    reason = check_values("temperature", canonical, values.dropna().to_numpy(dtype=np.float64))
    if reason:
        other = "F" if canonical == "degC" else "C"
        raise InputError(
            f"{what}: {reason}; if the file is in °{other}, give --temperature-unit {other} "
            "(or --force to compute on it as it is)"
        )


def usage_from_store(
    store: SeriesStore,
    site: str,
    meter: str,
    kind: str,
    spec: CounterSpec | None,
    start: pd.Timestamp,
    end: pd.Timestamp,
    tz: str,
) -> pd.Series:
    """Hourly use of ``meter`` in [start, end) from its stored counter (NaN where < 90 % covered).

    ``spec``: the meter's counter from its profile (``plantmeter.counters.meter_counter``); the
    stored columns decide when it is None or not stored (``stored_counter``).
    """
    frame = store.read(site, meter, None, start, end)
    if frame.empty:
        raise DataSufficiencyError(
            f"meter {meter!r}: no readings stored between {start:%Y-%m-%d} and {end:%Y-%m-%d}; "
            f"import them (plantmeter import-csv) or check the periods"
        )
    chosen = stored_counter(spec, kind, list(frame.columns))
    if chosen is None:
        wanted = spec.quantity if spec else "counter"
        raise DataSufficiencyError(
            f"meter {meter!r}: no counter quantity stored (stored: {', '.join(frame.columns)}); "
            f"import its {wanted} readings"
        )
    raw = frame[chosen.quantity].dropna()
    if len(raw) < 2:
        raise DataSufficiencyError(
            f"meter {meter!r}: fewer than two {chosen.quantity} readings stored"
        )
    hourly, _ = counter_to_hourly(
        raw, rollover=chosen.rollover, max_rate_per_h=chosen.max_rate_per_h
    )
    logger.info(
        "savings: %s from %s (%d hours, rollover %s)",
        meter,
        chosen.quantity,
        len(hourly),
        chosen.rollover or "none",
    )
    use = hourly["usage"].where(hourly["coverage"] >= MIN_COVERAGE)
    return use.tz_convert(tz).rename(meter)


def store_temperature(
    store: SeriesStore, site: str, meter: str, start: pd.Timestamp, end: pd.Timestamp, tz: str
) -> pd.Series:
    """The temperature meter's stored readings (°C, the profiles' unit), in the site's zone."""
    frame = store.read(site, meter, ["temperature"], start, end)
    if frame.empty or "temperature" not in frame:
        raise DataSufficiencyError(
            f"temperature meter {meter!r}: no temperature readings stored in the periods"
        )
    return frame["temperature"].dropna().tz_convert(tz).rename("temperature")
