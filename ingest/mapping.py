"""Pure mapping from decoded reading messages to store rows."""

from __future__ import annotations

from plantmeter.i18n import N_
from plantmeter.message import Reading
from plantmeter.store import Flag, SeriesRow
from plantmeter.text import Num, Term, Text

__all__ = ["reading_flags", "reading_row"]

EVENTS = (N_("rollover"), N_("reset"))  # the gateway's counter events, as the message shows them


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
            quantity=e.quantity,
            detector="gateway",
            **_said(e.quantity, e.previous, e.current, e.type, reading.gateway),
        )
        for e in reading.events
    ]


def _said(
    quantity: str, previous: float, current: float, kind: str, gateway: str
) -> dict[str, str]:
    """The flag's reason in English and as a message to show in the reader's language."""
    text = Text(
        N_("{quantity} went from {previous} to {current} ({event}, seen by gateway {gateway})"),
        quantity=quantity,
        previous=Num(previous, None, grouped=False),
        current=Num(current, None, grouped=False),
        event=Term(kind),
        gateway=gateway,
    )
    return {"reason": text.english(), "message": text.dumps()}
