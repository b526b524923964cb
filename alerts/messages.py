"""What an alert says: meter, what happened, since when (site local time), the excess in units
and money so far and per day, and where to look (the dashboard's meter page).

``notification(event, episode, ...)`` is a plain dict (the outbox payload): ``subject`` and
``text`` for e-mail, and the same facts as fields for a webhook.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from .ledger import Episode

__all__ = ["MeterTerms", "excess_so_far", "meter_link", "notification"]

_TITLES = {
    "excess": "excess use",
    "leak": "leak",
    "out_of_hours": "use out of hours",
    "stuck": "stuck meter",
    "counter_reset": "counter reset",
    "counter_rollover": "counter rollover",
    "spike": "spike",
    "gap": "readings missing",
    "impossible": "impossible values",
    "offline": "meter offline",
    "gateway_down": "down",
    "ingest_down": "down",
}
_EVENTS = {"open": "", "remind": "still open: ", "close": "over: "}


class MeterTerms:
    """A meter's units and the plan's currency, to put numbers in the plant manager's words."""

    def __init__(self, unit: str = "", currency: str = "") -> None:
        self.unit = unit
        self.currency = currency


def meter_link(dashboard_url: str | None, site: str, meter: str) -> str | None:
    """``{dashboard_url}/sites/{site}/meters/{meter}`` (the site's page for the gateway or
    ingest, ``_gateway/ID``), or None without a dashboard URL."""
    if not dashboard_url:
        return None
    if meter.startswith("_"):
        return f"{dashboard_url.rstrip('/')}/sites/{quote(site, safe='')}"
    return (
        f"{dashboard_url.rstrip('/')}/sites/{quote(site, safe='')}/meters/{quote(meter, safe='')}"
    )


def excess_so_far(episode: Episode, end_ms: int | None = None) -> tuple[float | None, float | None]:
    """(excess in units, its cost) from the episode's start to ``end_ms`` (its last seen instant)."""
    days = (
        max((end_ms if end_ms is not None else episode.end_ms) - episode.start_ms, 0) / 86_400_000
    )
    units = None if episode.excess_per_day is None else episode.excess_per_day * days
    money = None if episode.cost_per_day is None else episode.cost_per_day * days
    return units, money


def _who(meter: str) -> str:
    """``meter cip-water``, or ``gateway dairy-gw-1`` / ``ingest ID`` for ``_gateway/ID``."""
    if meter.startswith("_") and "/" in meter:
        kind, _, name = meter[1:].partition("/")
        return f"{kind} {name}"
    return f"meter {meter}"


def _local(ms: int, tz: str) -> str:
    t = datetime.fromtimestamp(ms / 1000.0, UTC).astimezone(ZoneInfo(tz))
    return f"{t:%H:%M} on {t.day} {t:%b %Y} ({tz})"


_DISPLAY_UNITS = {"m3": "m³", "m3/h": "m³/h", "degC": "°C"}


def _amount(value: float | None, unit: str) -> str | None:
    if value is None:
        return None
    return f"{value:,.1f} {_DISPLAY_UNITS.get(unit, unit)}".rstrip()


def _span(ms: int) -> str:
    hours = ms / 3_600_000
    return f"{hours / 24:.1f} days" if hours >= 48 else f"{hours:.1f} h"


def notification(
    event: str,
    episode: Episode,
    *,
    timezone: str,
    terms: MeterTerms,
    dashboard_url: str | None,
    number: int = 0,
    related: Sequence[Episode] = (),
) -> dict[str, Any]:
    """The notice of ``event`` (open / remind / close) about ``episode``; ``related``: the other
    episodes of its incident (the same fault seen by other detectors)."""
    what = _TITLES.get(episode.type, episode.type.replace("_", " "))
    units, money = excess_so_far(episode)
    per_day = _amount(episode.excess_per_day, terms.unit)
    cost_day = _amount(episode.cost_per_day, terms.currency)
    so_far = _amount(units, terms.unit)
    cost_far = _amount(money, terms.currency)
    link = meter_link(dashboard_url, episode.site, episode.meter)
    since = _local(episode.start_ms, timezone)
    who = _who(episode.meter)
    name = who if episode.meter.startswith("_") else episode.meter
    subject = f"[PlantMeter {episode.site}] {_EVENTS.get(event, '')}{name}: {what}"
    if cost_day:
        subject += f", ≈ {cost_day} a day"
    lines = [f"{who[0].upper()}{who[1:]} on site {episode.site}: {what} ({episode.severity})."]
    if event == "close":
        lines.append(f"It lasted from {since} to {_local(episode.end_ms, timezone)} "
                     f"({_span(episode.end_ms - episode.start_ms)}).")  # fmt: skip
    else:
        lines.append(f"Since {since} ({_span(episode.end_ms - episode.start_ms)} so far).")
    lines.append(f"What was seen: {episode.reason}")
    total = "In total" if event == "close" else "So far"
    if so_far is not None:
        lines.append(
            f"{total}: {so_far} above what was expected"
            + (f", ≈ {cost_far}" if cost_far else "")
            + f"; {per_day} a day" + (f", ≈ {cost_day} a day." if cost_day else ".")
        )  # fmt: skip
    for other in related:
        lines.append(
            f"Seen with it: {_TITLES.get(other.type, other.type)} ({other.severity}) since "
            f"{_local(other.start_ms, timezone)}: {other.reason}"
        )
    if event == "remind":
        lines.append(f"Reminder {number}: nobody acknowledged it on the dashboard yet.")
    if event != "close":
        lines.append("Acknowledge it on the dashboard to stop the reminders.")
    if link:
        lines.append(f"Meter page: {link}")
    return {
        "event": event,
        "number": number,
        "site": episode.site,
        "meter": episode.meter,
        "type": episode.type,
        "severity": episode.severity,
        "quantity": episode.quantity,
        "detector": episode.detector,
        "start": datetime.fromtimestamp(episode.start_ms / 1000.0, UTC).isoformat(),
        "last_seen": datetime.fromtimestamp(episode.end_ms / 1000.0, UTC).isoformat(),
        "unit": terms.unit,
        "currency": terms.currency,
        "excess_per_day": episode.excess_per_day,
        "cost_per_day": episode.cost_per_day,
        "excess_so_far": units,
        "cost_so_far": money,
        "link": link,
        "incident": episode.root,
        "related": [
            {
                "type": o.type,
                "severity": o.severity,
                "detector": o.detector,
                "start": datetime.fromtimestamp(o.start_ms / 1000.0, UTC).isoformat(),
            }
            for o in related
        ],  # fmt: skip
        "subject": subject,
        "text": "\n".join(lines) + "\n",
    }
