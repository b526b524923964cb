"""Latest values and freshness per meter: what a live view and an alert service poll.

A meter is ``fresh`` while its newest stored reading is at most ``stale_after`` poll intervals
old (3 by default: one late or lost message is not an alarm), ``stale`` after that, and
``silent`` when nothing of it was ever stored. Ages are measured from ``now`` (default: the
clock), so a test or a replay can ask "as of" any instant.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from plantmeter.config import SiteConfig
from plantmeter.store import SeriesStore

from .meters import quantity_kinds

__all__ = ["STALE_AFTER_POLLS", "MeterFreshness", "QuantityValue", "latest_values"]

logger = logging.getLogger(__name__)

STALE_AFTER_POLLS = 3.0
"""A meter is stale once its newest reading is older than this many poll intervals."""

Freshness = Literal["fresh", "stale", "silent"]


@dataclass(frozen=True, slots=True)
class QuantityValue:
    """The newest stored value of one quantity, with its unit and time (UTC)."""

    quantity: str
    value: float
    unit: str
    time: datetime


@dataclass(frozen=True, slots=True)
class MeterFreshness:
    """A site meter's newest values and how fresh they are."""

    meter: str
    kind: str
    state: Freshness
    last_time: datetime | None  # newest reading of any quantity (UTC); None when silent
    age_s: float | None  # now - last_time, seconds
    poll_s: float  # the meter's poll interval from the site config
    stale_after_s: float  # the age past which the meter is stale
    values: tuple[QuantityValue, ...]  # by quantity name


def latest_values(
    store: SeriesStore,
    site: SiteConfig,
    *,
    now: datetime | None = None,
    stale_after_polls: float = STALE_AFTER_POLLS,
    base_dir: Path | None = None,
) -> list[MeterFreshness]:
    """Per site meter (site-file order): its newest value per quantity (``store.latest``),
    the time and age of its newest reading, and ``fresh`` / ``stale`` / ``silent``.

    ``now``: a tz-aware instant (default: the clock); ``base_dir``: the site file's folder,
    where a meter's own profile file is read (units).
    """
    if stale_after_polls <= 0:
        raise ValueError(
            f"stale_after_polls {stale_after_polls!r}: give a positive number of polls"
        )
    now = datetime.now(UTC) if now is None else now
    if now.tzinfo is None:
        raise ValueError(f"now {now.isoformat()}: give a tz-aware instant (e.g. with tzinfo=UTC)")
    now_ms = now.timestamp() * 1000.0
    ids = [m.id for m in site.meters]
    by_meter: dict[str, list[tuple[str, int, float]]] = {m: [] for m in ids}
    for lv in store.latest(site.site.id, ids):
        if lv.meter in by_meter:
            by_meter[lv.meter].append((lv.quantity, lv.ts_ms, lv.value))
    out = []
    for meter in site.meters:
        stored = by_meter[meter.id]
        stale_after = stale_after_polls * meter.poll
        kinds = quantity_kinds(site, meter, base_dir) if stored else {}
        values = tuple(
            QuantityValue(q, v, kinds.get(q, ("", ""))[0], _utc(ts)) for q, ts, v in sorted(stored)
        )
        if not stored:
            out.append(
                MeterFreshness(
                    meter.id, meter.kind, "silent", None, None, meter.poll, stale_after, ()
                )
            )
            continue
        last = max(ts for _, ts, _ in stored)
        age = max((now_ms - last) / 1000.0, 0.0)
        state: Freshness = "fresh" if age <= stale_after else "stale"
        out.append(
            MeterFreshness(
                meter.id, meter.kind, state, _utc(last), age, meter.poll, stale_after, values
            )
        )
    return out


def _utc(ts_ms: int) -> datetime:
    return datetime.fromtimestamp(ts_ms / 1000.0, UTC)
