"""Whether a report's flags were computed: "no flags" is good news only where a run looked.

``plantmeter flags`` records each run (``SeriesStore.read_flag_runs``: flags computed over
[start, end) per meter). A report reads those records for its period and meters and says, per
meter, "computed", "partly computed (N %)" or "never computed", and in its text which of
"no flags" and "flags never computed" it is.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any

from analytics.flagkinds import flag_title
from plantmeter.i18n import _
from plantmeter.store import Flag, FlagRun
from plantmeter.text import stored_text

from .document import pct
from .words import term

__all__ = ["FLAGS_COMMAND", "coverage", "flag_entries", "flag_line", "flag_lines", "flag_status"]

logger = logging.getLogger(__name__)

FLAGS_COMMAND = "plantmeter flags --plan PLAN.yaml"
COMPUTED = "computed"
_PARTLY = re.compile(r"partly computed \((\d+)% of the period\)")
NEVER = "never computed"


def coverage(runs: Sequence[FlagRun], start_ms: int, end_ms: int) -> float:
    """Share of [start_ms, end_ms) inside the union of the runs (0.0 when none covers it)."""
    if end_ms <= start_ms:
        return 1.0
    spans = sorted((max(r.start_ms, start_ms), min(r.end_ms, end_ms)) for r in runs)
    covered, reach = 0, start_ms
    for a, b in spans:
        if b <= reach:
            continue
        covered += b - max(a, reach)
        reach = b
    return covered / (end_ms - start_ms)


def flag_status(shares: Mapping[str, float]) -> dict[str, str]:
    """Per meter: "computed" (>= 99 % of the period), "partly computed (N %)", "never computed"."""
    out = {}
    for meter, share in shares.items():
        if share >= 0.99:
            out[meter] = COMPUTED
        elif share <= 0.0:
            out[meter] = NEVER
        else:
            out[meter] = f"partly computed ({share:.0%} of the period)"
    return out


def flag_entries(flags: Sequence[Flag], tz: str) -> list[dict[str, Any]]:
    """Flags as report rows, costliest first (as ``plantmeter flags`` ranks them)."""
    import pandas as pd

    from analytics.jobs import rank_flags

    def local(ms: int) -> str:
        return pd.Timestamp(ms, unit="ms", tz="UTC").tz_convert(tz).isoformat()

    return [
        {
            "meter": f.meter,
            "kind": f.kind,
            "severity": f.severity,
            "reason": stored_text(f.message, f.reason),  # a Text: English in the JSON
            "start": local(f.start_ms),
            "end": local(f.end_ms),
            "excess_per_day": f.excess_per_day,
            "cost_per_day": f.cost_per_day,
        }
        for f in rank_flags(flags)
    ]


def flag_line(entry: Mapping[str, Any], until: bool = True) -> str:
    """One ``flag_entries`` row as a report line in the current locale: when (to when), the
    meter, what kind of flag, how severe and why."""
    when = entry["start"][:16] + (f" – {entry['end'][:16]}" if until else "")
    return (
        f"{when} {entry['meter']} {flag_title(entry['kind'])} ({term(entry['severity'])}): "
        + str(entry["reason"])
    )


def flag_lines(lines: list[str], status: Mapping[str, str], nothing: str) -> list[str]:
    """The report's flag lines with what was and was not computed said plainly.

    ``nothing`` is the text for "computed, and no flag" (e.g. "No anomaly flags in this period").
    """
    never = [m for m, s in status.items() if s != COMPUTED]
    if not status or len(never) == len(status) and all(s == NEVER for s in status.values()):
        return [
            *lines,
            _("Flags never computed for this period: run `{command}`.").format(
                command=FLAGS_COMMAND
            ),
        ]
    notes = [
        _("{meter}: flags {status} (run `{command}`)").format(
            meter=m, status=_status_text(status[m]), command=FLAGS_COMMAND
        )
        for m in never
    ]
    if not lines:
        shown = nothing + (
            _(" where flags were computed.") if never else _(" (flags computed for every meter).")
        )
        return [shown, *notes]
    return [*lines, *notes]


def _status_text(status: str) -> str:
    """A flag status (English in the JSON) in the report's language."""
    if status == COMPUTED:
        return _("computed")
    if status == NEVER:
        return _("never computed")
    m = _PARTLY.fullmatch(status)
    if m:
        return _("partly computed ({share} of the period)").format(share=pct(int(m[1]) / 100))
    return status
