"""A portfolio of meters through the engine: savings with uncertainty and flags, per meter.

Each consumption meter's savings are ``analytics.api.compute_savings`` on its hourly use from its
counter (``engine.counter_to_hourly``, hours < 90 % covered left out, as the reports read it),
with the temperature and production meters its ``MeterReference`` names (the plan's baselines
entry); its flags are ``engine.detect_site``'s, i.e. what ``plantmeter flags --plan`` computes.
Nothing here re-implements a model or a detector. ``run_portfolio`` is a pure function of
``MeterData`` (frames, no store), so a Dask worker can run it on a chunk of meters.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from plantmeter.errors import AnalyticsError

from .api import Granularity, SavingsResult, compute_savings
from .engine import MeterData, SiteFlags, counter_to_hourly, detect_site
from .expectation import DRIVER_KINDS
from .savings_input import MIN_COVERAGE

__all__ = ["COLUMNS", "Portfolio", "meter_savings", "run_portfolio"]

logger = logging.getLogger(__name__)

COLUMNS = (
    "meter",
    "kind",
    "observed",
    "adjusted_baseline",
    "savings",
    "savings_fraction",
    "fsu_68",
    "fsu_90",
    "model",
    "cvrmse",
    "n_flags",
    "error",
)
"""One row per meter of ``Portfolio.table``: the savings figures (NaN for a driver meter or one
whose savings cannot be computed, with ``error`` saying why) and the number of flags
(``flags_<kind>`` columns count them by kind)."""


@dataclass
class Portfolio:
    """Savings per meter (``table``, columns ``COLUMNS`` plus one count column per flag kind)
    and the flags behind the counts (``found``: ``engine.SiteFlags``)."""

    table: pd.DataFrame
    found: SiteFlags
    results: dict[str, SavingsResult]


def _hourly_use(m: MeterData, tz: str) -> pd.Series | None:
    from plantmeter.counters import stored_counter

    spec = stored_counter(m.counter, m.kind, list(m.frame.columns))
    if spec is None:
        return None
    raw = m.frame[spec.quantity].dropna()
    if len(raw) < 2:
        return None
    hourly, _ = counter_to_hourly(raw, spec.rollover, spec.max_rate_per_h)
    return hourly["usage"].where(hourly["coverage"] >= MIN_COVERAGE).tz_convert(tz)


def meter_savings(
    meter: MeterData,
    by_id: dict[str, MeterData],
    baseline: tuple[pd.Timestamp, pd.Timestamp],
    reporting: tuple[pd.Timestamp, pd.Timestamp],
    tz: str = "UTC",
    granularity: Granularity = "hourly",
    temperature_unit: str = "C",
    allow_disqualified: bool = True,
) -> SavingsResult:
    """``compute_savings`` for one consumption meter with the drivers its reference names."""
    use = _hourly_use(meter, tz)
    if use is None:
        raise AnalyticsError(f"meter {meter.id!r}: no counter readings to compute savings from")
    ref = meter.reference
    temperature = production = None
    if ref is not None and ref.temperature is not None and ref.temperature in by_id:
        frame = by_id[ref.temperature].frame
        if "temperature" in frame:
            temperature = frame["temperature"].dropna().tz_convert(tz)
    if ref is not None and ref.production is not None and ref.production in by_id:
        production = _hourly_use(by_id[ref.production], tz)
    return compute_savings(
        use,
        baseline,
        reporting,
        temperature=temperature,
        production=production,
        granularity=granularity,
        temperature_unit=temperature_unit,
        allow_disqualified=allow_disqualified,
    )


def run_portfolio(
    site: str,
    meters: Sequence[MeterData],
    baseline: tuple[pd.Timestamp, pd.Timestamp],
    reporting: tuple[pd.Timestamp, pd.Timestamp],
    tz: str = "UTC",
    granularity: Granularity = "hourly",
    temperature_unit: str = "C",
    allow_disqualified: bool = True,
) -> Portfolio:
    """Savings (with FSU) and flags for every meter of ``meters``; one failing meter is a row
    with its ``error``, not a failed portfolio. Flags use each meter's reference and the
    drivers it names (``detect_site(plan_drivers=True)``, as ``flags --plan``)."""
    by_id = {m.id: m for m in meters}
    found = detect_site(site, meters, tz, plan_drivers=True)
    rows: list[dict[str, object]] = []
    results: dict[str, SavingsResult] = {}
    for m in meters:
        flags = found.flags.get(m.id, [])
        row: dict[str, object] = {c: np.nan for c in COLUMNS}
        row.update(meter=m.id, kind=m.kind, n_flags=len(flags), error=found.failed.get(m.id, ""))
        row.update({f"flags_{k}": n for k, n in Counter(f.kind for f in flags).items()})
        if m.kind not in DRIVER_KINDS:
            try:
                r = meter_savings(
                    m,
                    by_id,
                    baseline,
                    reporting,
                    tz,
                    granularity,
                    temperature_unit,
                    allow_disqualified,
                )
            except AnalyticsError as exc:
                logger.warning("portfolio: no savings for %s/%s: %s", site, m.id, exc)
                row["error"] = str(exc)
            else:
                results[m.id] = r
                row.update(
                    observed=r.observed,
                    adjusted_baseline=r.adjusted_baseline,
                    savings=r.savings,
                    savings_fraction=r.savings_fraction,
                    fsu_68=r.fsu_68,
                    fsu_90=r.fsu_90,
                    model=r.model.type,
                    cvrmse=r.model.cvrmse,
                )
        rows.append(row)
    table = pd.DataFrame(rows)
    counts = [c for c in table.columns if c.startswith("flags_")]
    table[counts] = table[counts].fillna(0).astype(int)
    return Portfolio(table, found, results)
