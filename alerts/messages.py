"""What an alert says: meter, what happened, since when (site local time), the excess in units
and money so far and per day, what to do, and where to look (the dashboard's meter page).

``notification(event, episode, ...)`` is a plain dict (the outbox payload): ``subject`` and
``text`` for e-mail, and the same facts as fields for a webhook.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from analytics.flagkinds import FLAG_TITLES
from plantmeter.i18n import N_, _, format_number, format_pattern

from .ledger import Episode

__all__ = ["MeterTerms", "excess_so_far", "meter_link", "notification"]

_TITLES = {**FLAG_TITLES, "gateway_down": N_("down"), "ingest_down": N_("down")}
_EVENTS = {"open": "", "remind": N_("still open: "), "close": N_("over: ")}
_ADVICE = {
    "excess": N_(
        "Compare the meter page with production and the schedule: look for equipment left "
        "running, a process set differently, or a change nobody recorded."
    ),
    "leak": N_(
        "Walk the line while the plant is stopped: valves, hoses, CIP returns, tank floats "
        "and toilets; water that flows with everything closed is a leak."
    ),
    "out_of_hours": N_(
        "Find what runs outside the operating hours (compressors, lighting, "
        "refrigeration doors, heaters) and switch it off or put it on a timer."
    ),
    "stuck": N_(
        "Look at the meter's own display: if it counts, check the bus wiring and unit id; "
        "if it is frozen, have the meter checked or replaced."
    ),
    "counter_reset": N_(
        "If the meter was replaced or reset, record it on the dashboard; "
        "otherwise have the meter checked."
    ),
    "counter_rollover": N_("Nothing to do: the counter wrapped and its use was kept."),
    "spike": N_(
        "Check the reading on the meter page: a single implausible value is usually a "
        "communication glitch."
    ),
    "gap": N_("Check the gateway's log and the bus wiring for the missing period."),
    "impossible": N_("Check the meter's profile (units, scaling) and its wiring."),
    "offline": N_("Check the meter's power and bus wiring; the gateway's log names the error."),
    "gateway_down": N_(
        "Check that the gateway host is on and its service runs (systemctl status "
        "plantmeter-gateway); no readings are taken while it is down."
    ),
    "ingest_down": N_(
        "Check the ingest service and its store (disk space, InfluxDB); the broker "
        "keeps the readings for it meanwhile."
    ),
}
_SEVERITIES = (N_("info"), N_("warning"), N_("critical"))


def _title(kind: str) -> str:
    """An alarm type as the e-mail's reader says it (in the current locale)."""
    title = _TITLES.get(kind)
    return _(title) if title is not None else kind.replace("_", " ")


def _severity(severity: str) -> str:
    return _(severity) if severity in _SEVERITIES else severity


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
    if _component(meter) is not None:
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


def _component(meter: str) -> tuple[str, str] | None:
    """(``gateway``, ``dairy-gw-1``) for an alarm about the chain itself (``_gateway/ID``,
    ``_ingest/ID``: alerts/status.py), None for a meter (a meter id never starts with ``_``)."""
    if not (meter.startswith("_") and "/" in meter):
        return None
    kind, _sep, name = meter[1:].partition("/")
    return kind, name


def _who(meter: str) -> str:
    """``meter cip-water``, or ``gateway dairy-gw-1`` / ``ingest ID`` for ``_gateway/ID``."""
    component = _component(meter)
    if component is not None:
        return " ".join(component)
    return _("meter {meter}").format(meter=meter)


def _local(ms: int, tz: str) -> str:
    t = datetime.fromtimestamp(ms / 1000.0, UTC).astimezone(ZoneInfo(tz))
    return _("{time} on {date} ({tz})").format(
        time=f"{t:%H:%M}", date=format_pattern(t.date(), "d MMM y"), tz=tz
    )


_DISPLAY_UNITS = {"m3": "m³", "m3/h": "m³/h", "degC": "°C"}


def _amount(value: float | None, unit: str) -> str | None:
    if value is None:
        return None
    return f"{format_number(value, 1)} {_DISPLAY_UNITS.get(unit, unit)}".rstrip()


def _span(ms: int) -> str:
    hours = ms / 3_600_000
    if hours >= 48:
        return _("{n} days").format(n=format_number(hours / 24, 1))
    return _("{n} h").format(n=format_number(hours, 1))


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
    what = _title(episode.type)
    units, money = excess_so_far(episode)
    per_day = _amount(episode.excess_per_day, terms.unit)
    cost_day = _amount(episode.cost_per_day, terms.currency)
    so_far = _amount(units, terms.unit)
    cost_far = _amount(money, terms.currency)
    link = meter_link(dashboard_url, episode.site, episode.meter)
    since = _local(episode.start_ms, timezone)
    who = _who(episode.meter)
    name = who if _component(episode.meter) is not None else episode.meter
    prefix = _(_EVENTS[event]) if _EVENTS.get(event) else ""
    subject = f"[PlantMeter {episode.site}] {prefix}{name}: {what}"
    if cost_day:
        subject += _(", ≈ {cost} a day").format(cost=cost_day)
    lines = [_("{who} on site {site}: {what} ({severity}).").format(
        who=f"{who[0].upper()}{who[1:]}", site=episode.site, what=what,
        severity=_severity(episode.severity),
    )]  # fmt: skip
    span = _span(episode.end_ms - episode.start_ms)
    if event == "close":
        lines.append(_("It lasted from {since} to {until} ({span}).").format(
            since=since, until=_local(episode.end_ms, timezone), span=span
        ))  # fmt: skip
    else:
        lines.append(_("Since {since} ({span} so far).").format(since=since, span=span))
    lines.append(_("What was seen: {reason}").format(reason=episode.said))
    total = _("In total") if event == "close" else _("So far")
    if so_far is not None:
        lines.append(
            _("{total}: {amount} above what was expected").format(total=total, amount=so_far)
            + (f", ≈ {cost_far}" if cost_far else "")
            + _("; {amount} a day").format(amount=per_day)
            + (_(", ≈ {cost} a day").format(cost=cost_day) + "." if cost_day else ".")
        )  # fmt: skip
    for other in related:
        lines.append(_("Seen with it: {what} ({severity}) since {since}: {reason}").format(
            what=_title(other.type), severity=_severity(other.severity),
            since=_local(other.start_ms, timezone), reason=other.said,
        ))  # fmt: skip
    if event != "close" and episode.type in _ADVICE:
        lines.append(_("What to do: {advice}").format(advice=_(_ADVICE[episode.type])))
    if event == "remind":
        lines.append(
            _("Reminder {n}: nobody acknowledged it on the dashboard yet.").format(n=number)
        )
    if event != "close":
        lines.append(_("Acknowledge it on the dashboard to stop the reminders."))
    if link:
        lines.append(_("Meter page: {link}").format(link=link))
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
