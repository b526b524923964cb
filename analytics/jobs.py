"""Store-touching jobs (the only analytics module that talks to a SeriesStore).

``run_flags`` reads each meter through the SeriesStore port, hands all of them to the engine
(``analytics.engine.detect_site``: the detectors that fit each meter's kind, a pure function of
frames) and writes the flags and flag runs back. ``detect_meter``, ``counter_to_hourly``,
``expected_daily`` and ``rank_flags`` live in ``analytics.engine`` and are re-exported here.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol

import pandas as pd

from plantmeter.counters import meter_counter
from plantmeter.errors import AnalyticsError, StoreError
from plantmeter.store import Flag, FlagRun, SeriesStore, to_ms

from .engine import (
    REFERENCE_DAYS,
    MeterData,
    counter_to_hourly,
    detect_meter,
    detect_site,
    expected_daily,
    rank_flags,
)
from .flagref import Costing, MeterReference

INCREMENTAL_LOOKBACK = pd.Timedelta(days=63)
"""What an incremental run reads before its window: the excess detector's level (the median
residual of the 28 days before the last 28) plus a week for its CUSUM to arm."""

__all__ = [
    "INCREMENTAL_LOOKBACK",
    "MeterLike",
    "counter_to_hourly",
    "detect_meter",
    "expected_daily",
    "rank_flags",
    "run_flags",
]

logger = logging.getLogger(__name__)


class MeterLike(Protocol):
    """What the detectors need of a meter (read-only: a site config's ``MeterConfig`` fits)."""

    @property
    def id(self) -> str: ...

    @property
    def kind(self) -> str: ...


def run_flags(
    store: SeriesStore,
    site_id: str,
    meters: Sequence[MeterLike],
    since: pd.Timestamp | None = None,
    tz: str = "UTC",
    reference: pd.Timestamp | None = None,
    references: Mapping[str, MeterReference] | None = None,
    costings: Mapping[str, Costing] | None = None,
    now: pd.Timestamp | None = None,
    base_dir: Path | None = None,
    lookback: pd.Timedelta | None = None,
) -> list[Flag]:
    """Read each meter since ``since``, run its detectors, write and return the flags, ranked.

    Each meter's counter (quantity, wrap modulus, plausible rate) comes from its profile
    (``plantmeter.counters.meter_counter``; a profile file is read relative to ``base_dir``,
    the site file's folder); a meter without a profile falls back to its stored columns.

    The detectors learn what is normal (operating hours, night flow, how long a counter rests,
    the daily expectation) from a reference: per meter from ``references`` (the M&V plan's
    baseline period and drivers: ``flags --plan``), else the four weeks from ``reference``
    (one date for all meters), else the first four weeks from ``since``. Data is read from the
    earliest reference on; only flags that reach ``since`` or later are kept, so runs over
    different windows judge by the same normal. ``costings`` value excess at the plan's tariff.

    ``lookback`` (with ``since`` and a reference): read only the reference and the ``lookback``
    before ``since`` on, not everything between (an alert service's round every few minutes
    reads a bounded amount however long the history grows). The stretch between is a gap to the
    detectors; a flag that reaches ``since`` is found the same while it started within the
    lookback (``INCREMENTAL_LOOKBACK``: the excess detector's level looks 56 days back), an
    older one comes back dated from the lookback's start.

    Each meter's run is recorded (``SeriesStore.write_flag_runs``: flags computed over
    [since or its first reading, its last reading]), so a report can tell "no flags" from "flags
    never computed". One meter failing (unreadable, malformed) is logged and skipped.
    """
    if reference is not None and since is not None and reference > since:
        raise AnalyticsError(
            f"the reference weeks start {reference:%Y-%m-%d}, after the flags window starts "
            f"{since:%Y-%m-%d}; give a reference at or before --since"
        )
    if reference is not None and references:
        raise AnalyticsError("give either one reference date or the plan's references, not both")
    refs: dict[str, MeterReference] = dict(references or {})
    if reference is not None:
        t1 = reference + pd.Timedelta(days=REFERENCE_DAYS)
        refs = {m.id: MeterReference(reference, t1) for m in meters}
    starts = [r.start for r in refs.values()] + ([since] if since is not None else [])
    start = min(starts) if refs else since
    computed = to_ms(now if now is not None else pd.Timestamp.now(tz="UTC"))
    assert computed is not None
    out: list[Flag] = []
    runs: list[FlagRun] = []
    frames: dict[str, pd.DataFrame] = {}
    for m in meters:
        try:
            ref = refs.get(m.id)
            if (
                lookback is not None
                and since is not None
                and ref is not None
                and ref.end < since - lookback
            ):
                frames[m.id] = pd.concat([
                    store.read(site_id, m.id, None, ref.start, ref.end),
                    store.read(site_id, m.id, None, since - lookback, None),
                ])  # fmt: skip
            else:
                frames[m.id] = store.read(site_id, m.id, None, start, None)
        except StoreError as exc:
            logger.error("flags: cannot read %s/%s: %s", site_id, m.id, exc)
    inputs = [
        MeterData(
            m.id,
            m.kind,
            frames[m.id],
            meter_counter(m, base_dir=base_dir),
            refs.get(m.id),
            (costings or {}).get(m.id),
        )
        for m in meters
        if m.id in frames
    ]
    found = detect_site(site_id, inputs, tz, plan_drivers=bool(references))
    since_ms = to_ms(since)
    for d in inputs:
        if d.id not in found.flags:
            continue  # no readings, or the detectors failed on it (logged by the engine)
        flags = found.flags[d.id]
        if since_ms is not None:
            flags = [f for f in flags if f.end_ms >= since_ms]
        logger.info("flags: %s/%s: %d flags", site_id, d.id, len(flags))
        out += flags
        first_ms = to_ms(pd.DatetimeIndex(d.frame.index)[0])
        last_ms = to_ms(pd.DatetimeIndex(d.frame.index)[-1])
        assert first_ms is not None and last_ms is not None
        runs.append(
            FlagRun(
                site_id, d.id, since_ms if since_ms is not None else first_ms, last_ms + 1, computed
            )
        )
    if out:
        store.write_flags(out)
    if runs:
        store.write_flag_runs(runs)
    return rank_flags(out)
