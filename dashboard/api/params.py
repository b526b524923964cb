"""Query parameters the API parses itself: time ranges and bucket resolutions.

Times follow ``plantmeter.times`` (an offset is that instant; without one, the site's local
time). A range must run forwards, lie between 1970 and 2200 and span at most ``MAX_SPAN_DAYS``.
Without ``end`` it ends at the site's newest stored reading (or now when none); without
``start`` it begins ``default`` before the end.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
from fastapi import HTTPException

from plantmeter.durations import format_duration, parse_duration
from plantmeter.errors import InputError
from plantmeter.times import parse_time
from services import WIDTHS

from ..context import DashboardContext, SiteRef
from ..i18n import _

__all__ = ["MAX_SPAN_DAYS", "RESOLUTIONS", "parse_range", "parse_resolution"]

MAX_SPAN_DAYS = 366 * 20
RESOLUTIONS: tuple[str, ...] = tuple(format_duration(w) for w in WIDTHS)
_EARLIEST = pd.Timestamp("1970-01-01", tz="UTC")
_LATEST = pd.Timestamp("2200-01-01", tz="UTC")


def _time(text: str, site: SiteRef, name: str) -> pd.Timestamp:
    try:
        t = parse_time(text, site.config.site.timezone, name)
    except InputError as exc:
        raise HTTPException(400, str(exc)) from None
    except (OverflowError, ValueError, TypeError):
        raise HTTPException(
            400,
            _("{name} {text!r} is not a date or time; write e.g. 2025-03-01").format(
                name=name, text=text
            ),
        ) from None
    if not _EARLIEST <= t <= _LATEST:
        raise HTTPException(
            400, _("{name} {text!r} is outside 1970 to 2200").format(name=name, text=text)
        )
    return t


def parse_range(
    ctx: DashboardContext,
    site: SiteRef,
    start: str | None,
    end: str | None,
    default: pd.Timedelta,
) -> tuple[pd.Timestamp, pd.Timestamp]:
    """[start, end) as UTC timestamps (see the module for the defaults); 400 with the fix."""
    if end is not None:
        t1 = _time(end, site, "end")
    else:
        rev = ctx.revision(site.id)
        t1 = pd.Timestamp(rev + 1, unit="ms", tz="UTC") if rev else pd.Timestamp(datetime.now(UTC))
    t0 = _time(start, site, "start") if start is not None else t1 - default
    if t1 <= t0:
        raise HTTPException(
            400,
            _("end {end} is not after start {start}: give a start before the end").format(
                end=t1.isoformat(), start=t0.isoformat()
            ),
        )
    if (t1 - t0) > pd.Timedelta(days=MAX_SPAN_DAYS):
        raise HTTPException(
            400,
            _("the range spans more than {years} years: ask for a shorter one").format(
                years=MAX_SPAN_DAYS // 366
            ),
        )
    return t0, t1


def parse_resolution(text: str) -> int:
    """A bucket width in seconds from ``1m``, ``15m``, ``1h``, ``1d`` (one of ``RESOLUTIONS``)."""
    try:
        seconds = parse_duration(text)
    except ValueError:
        seconds = -1.0
    if seconds not in WIDTHS:
        raise HTTPException(
            400,
            _("resolution {text!r}: choose one of {choices} (or auto)").format(
                text=text, choices=", ".join(RESOLUTIONS)
            ),
        )
    return int(seconds)
