"""Times given on the command line: ONE rule for every command.

A time with an offset (``2025-03-01T06:00Z``, ``2025-03-01T00:00-06:00``) is that instant. A
time without one (``2025-03-01``, ``2025-03-01 06:00``) is the **site's local time** (the site
file's ``site.timezone``): plant managers, M&V plans, the simulator's ``--history`` and CSV
imports all speak local time, and a naive time read as UTC would shift every day boundary by
the site's offset. A local time that does not exist (clocks jump forward) or happens twice
(clocks fall back) is refused with both readings spelled out, never guessed.

Commands state the rule in their ``--help`` with ``TIME_HELP``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import InputError
from .i18n import N_, _

if TYPE_CHECKING:  # pandas is imported inside the functions: --help must stay fast
    import pandas as pd

__all__ = ["TIME_HELP", "local_offsets", "parse_period", "parse_time"]

TIME_HELP = N_(
    "ISO 8601; without an offset it is the site's local time (site.timezone), "
    "e.g. 2025-03-01 or 2025-03-01T06:00Z"
)
"""The rule in one sentence, marked for translation: ``_(TIME_HELP)`` in a ``--help`` text."""


def _fmt_offset(delta: timedelta | None) -> str:
    minutes = int((delta or timedelta(0)).total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def local_offsets(naive: datetime, timezone: str) -> list[str]:
    """The UTC offsets a naive local time can have in ``timezone``: one normally, two in the
    repeated hour of a fall-back (earlier reading first), none in the skipped hour of a spring-forward."""
    zone = ZoneInfo(timezone)
    out = []
    for fold in (0, 1):
        local = naive.replace(tzinfo=zone, fold=fold)
        back = local.astimezone(ZoneInfo("UTC")).astimezone(zone).replace(tzinfo=None)
        offset = _fmt_offset(local.utcoffset())
        if back == naive and offset not in out:
            out.append(offset)
    return out


def parse_time(text: str, timezone: str, option: str) -> pd.Timestamp:
    """``text`` as a UTC timestamp by the rule above; ``option`` names it in errors (``--start``)."""
    import pandas as pd

    try:
        t = pd.Timestamp(text.strip())
    except ValueError as exc:
        raise InputError(
            _(
                "{option} {text} is not a date or time; write e.g. 2025-03-01 or 2025-03-01T06:00Z"
            ).format(option=option, text=repr(text))
        ) from exc
    if t is pd.NaT:
        raise InputError(
            _("{option} {text} is not a date or time; write e.g. 2025-03-01").format(
                option=option, text=repr(text)
            )
        )
    if t.tzinfo is not None:
        return t.tz_convert("UTC")
    try:
        offsets = local_offsets(t.to_pydatetime(), timezone)
    except ZoneInfoNotFoundError as exc:
        raise InputError(
            _("{option}: unknown time zone {zone}").format(option=option, zone=repr(timezone))
        ) from exc
    iso = t.strftime("%Y-%m-%dT%H:%M")
    if not offsets:
        raise InputError(
            _(
                "{option} {text} does not exist in {zone} (the clocks jump forward over it); "
                "write the offset you mean, e.g. {example}"
            ).format(
                option=option,
                text=repr(text),
                zone=timezone,
                example=iso + _fmt_offset(_offset_before(t, timezone)),
            )
        )
    if len(offsets) > 1:
        raise InputError(
            _(
                "{option} {text} happens twice in {zone} (the clocks fall back); write "
                "{first} for the first or {second} for the second"
            ).format(
                option=option,
                text=repr(text),
                zone=timezone,
                first=iso + offsets[0],
                second=iso + offsets[1],
            )
        )
    return t.tz_localize(timezone).tz_convert("UTC")


def _offset_before(t: pd.Timestamp, timezone: str) -> timedelta | None:
    before: datetime = t.to_pydatetime() - timedelta(hours=3)
    return before.replace(tzinfo=ZoneInfo(timezone)).utcoffset()


def parse_period(text: str, timezone: str, option: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """``START..END`` (end exclusive), each end by ``parse_time``; START before END."""
    start_text, sep, end_text = text.partition("..")
    if not sep or not start_text.strip() or not end_text.strip():
        raise InputError(
            _(
                "{option} {text}: write START..END (end exclusive), e.g. 2024-04-01..2025-04-01"
            ).format(option=option, text=repr(text))
        )
    start, end = parse_time(start_text, timezone, option), parse_time(end_text, timezone, option)
    if end <= start:
        raise InputError(
            _("{option} {text}: the end is not after the start").format(
                option=option, text=repr(text)
            )
        )
    return start, end
