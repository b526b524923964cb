"""Pure mapping from decoded reading messages to store rows."""

from __future__ import annotations

from plantmeter.message import Reading
from plantmeter.store import Flag, SeriesRow

__all__ = ["reading_flags", "reading_row"]


def reading_row(reading: Reading) -> SeriesRow:
    """The reading's values as one row (what ingest writes)."""
    return SeriesRow(reading.site, reading.meter, reading.ts, reading.values)


def reading_flags(reading: Reading) -> list[Flag]:
    """Counter rollovers and resets the gateway reported, kept as flags for analytics and reports."""
    return [
        Flag(
            site=reading.site,
            meter=reading.meter,
            kind=f"counter_{e.type}",
            start_ms=reading.ts,
            end_ms=reading.ts,
            severity="info",
            reason=f"{e.quantity} went from {e.previous:g} to {e.current:g} "
            f"({e.type}, seen by gateway {reading.gateway})",
            quantity=e.quantity,
            detector="gateway",
        )
        for e in reading.events
    ]
