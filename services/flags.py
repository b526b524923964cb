"""Flags of a site over a window, costliest first, and whether they were ever computed there.

Ranked as ``plantmeter flags`` ranks them (``analytics.jobs.rank_flags``: the costliest excess a
day first, then excess use, then the rest by severity, oldest first). Whether flags were
computed comes from the flag runs the flags command records (``SeriesStore.read_flag_runs``),
per meter: the share of the window a run covered, counted only up to the meter's newest reading
(a run cannot look at readings that do not exist yet), judged with ``reports.flagstatus``:
``computed`` (>= 99 %), ``partly computed (N %)``, ``never computed``. A window is ``none``
(computed, nothing found) only where every meter was computed; ``never computed`` when no run
covered any of it.

``compute_flags(store, site, since=..., plan=...)`` runs the detectors and stores the flags and
their runs (what ``plantmeter flags`` does, and what a scheduled alert service calls): with a
plan, each meter is judged against the plan's baseline period and drivers and its excess is
valued at the plan's tariff (``reports.flagrefs``); without, the four weeks from ``reference``
(else the first four weeks read) are what is normal.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import pandas as pd

from analytics.jobs import INCREMENTAL_LOOKBACK, rank_flags, run_flags
from plantmeter.config import SiteConfig
from plantmeter.errors import AnalyticsError, ConfigError
from plantmeter.store import Flag, SeriesStore
from plantmeter.text import stored
from reports.flagrefs import flag_references
from reports.flagstatus import coverage, flag_status
from reports.load import LoadedPlan

from .meters import site_meter

__all__ = ["FlagItem", "SiteFlags", "compute_flags", "site_flags"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FlagItem:
    """One flag: what is wrong with a meter's data, from when to when, what it costs a day."""

    meter: str
    kind: str
    severity: str
    reason: str
    start: datetime  # tz-aware UTC
    end: datetime
    quantity: str
    detector: str
    excess_per_day: float | None  # usage units a day above expectation
    cost_per_day: float | None  # in the plan's currency
    message: str = ""  # ``reason`` as a message to translate (``plantmeter.text``); "" if none

    @property
    def said(self) -> str:
        """The reason in the current locale (the stored English one when it has no message)."""
        return stored(self.message, self.reason)


@dataclass(frozen=True, slots=True)
class SiteFlags:
    """The flags of a window, costliest first, and per meter whether they were computed."""

    site: str
    start: datetime
    end: datetime
    flags: tuple[FlagItem, ...]
    coverage: Mapping[str, float]  # meter -> share of the window a flag run covered
    computed: Mapping[str, str]  # meter -> computed | partly computed (N %) | never computed

    @property
    def state(self) -> Literal["flags", "none", "never computed", "partly computed"]:
        """``flags`` when any; else ``none`` where every meter was computed, ``never computed``
        where none was, ``partly computed`` between."""
        if self.flags:
            return "flags"
        states = set(self.computed.values())
        if states <= {"computed"}:  # reports.flagstatus' words
            return "none"
        if states <= {"never computed"}:
            return "never computed"
        return "partly computed"


def site_flags(
    store: SeriesStore,
    site: SiteConfig,
    start: datetime | pd.Timestamp,
    end: datetime | pd.Timestamp,
    *,
    meters: Sequence[str] | None = None,
) -> SiteFlags:
    """Flags of the site's meters (or ``meters``) overlapping [start, end), ranked, with
    whether each meter's flags were computed for the window (naive times are site-local)."""
    tz = site.site.timezone
    t0, t1 = (_instant(t, tz) for t in (start, end))
    if t1 <= t0:
        raise ConfigError(f"flags: end {t1} is not after start {t0}")
    ids = (
        [site_meter(site, m).id for m in meters]
        if meters is not None
        else [m.id for m in site.meters]
    )
    found = [f for f in store.read_flags(site.site.id, None, t0, t1) if f.meter in ids]
    newest: dict[str, int] = {}
    for lv in store.latest(site.site.id, ids):
        newest[lv.meter] = max(newest.get(lv.meter, 0), lv.ts_ms)
    s_ms, e_ms = _ms(t0), _ms(t1)
    shares: dict[str, float] = {}
    runs = store.read_flag_runs(site.site.id)
    for m in ids:
        last = newest.get(m)
        stop = min(e_ms, last + 1) if last is not None and last >= s_ms else e_ms
        shares[m] = coverage([r for r in runs if r.meter == m], s_ms, stop)
    items = tuple(
        FlagItem(
            f.meter,
            f.kind,
            f.severity,
            f.reason,
            _utc(f.start_ms),
            _utc(f.end_ms),
            f.quantity,
            f.detector,
            f.excess_per_day,
            f.cost_per_day,
            f.message,
        )
        for f in rank_flags(found)
    )
    return SiteFlags(
        site.site.id, t0.to_pydatetime(), t1.to_pydatetime(), items, shares, flag_status(shares)
    )


def compute_flags(
    store: SeriesStore,
    site: SiteConfig,
    *,
    since: datetime | pd.Timestamp | None = None,
    reference: datetime | pd.Timestamp | None = None,
    plan: LoadedPlan | None = None,
    base_dir: Path | None = None,
    now: datetime | pd.Timestamp | None = None,
    incremental: bool = False,
) -> list[Flag]:
    """Run the detectors over every meter of ``site`` (``analytics.jobs.run_flags``), store the
    flags and the windows they were computed over, and return them ranked, costliest first.

    With ``plan`` (its version in force today) each meter's reference is the plan's baseline
    period with its ``baselines`` drivers, and excess use is valued at the plan's tariff;
    ``reference`` is then refused (both would say what is normal). Naive times are site-local.
    ``base_dir`` is the site file's folder (profile files; the plan's own with ``plan``).
    ``incremental`` (a round of the alert service): read the reference and the detectors'
    lookback before ``since`` only (``analytics.jobs.INCREMENTAL_LOOKBACK``), not the whole history.
    """
    tz = site.site.timezone
    refs = costs = None
    if plan is not None:
        if reference is not None:
            raise AnalyticsError(
                "a reference and a plan both say what is normal; with a plan its baseline period "
                "is the reference (give no reference)"
            )
        refs, costs = flag_references(plan.as_of(None)[0], site)
        base_dir = base_dir or plan.site_dir
    return run_flags(
        store,
        site.site.id,
        list(site.meters),
        _instant(since, tz) if since is not None else None,
        tz=tz,
        reference=_instant(reference, tz) if reference is not None else None,
        references=refs,
        costings=costs,
        now=_instant(now, tz) if now is not None else None,
        base_dir=base_dir,
        lookback=INCREMENTAL_LOOKBACK if incremental else None,
    )


def _instant(t: datetime | pd.Timestamp, tz: str) -> pd.Timestamp:
    ts = pd.Timestamp(t)
    return ts.tz_localize(tz) if ts.tzinfo is None else ts


def _ms(t: pd.Timestamp) -> int:
    return int(t.tz_convert("UTC").value // 1_000_000)


def _utc(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000.0, UTC)
