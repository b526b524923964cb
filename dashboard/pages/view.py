"""Page-side view models: live tiles from ``services.latest_values`` (which quantity a meter
shows live, its unit for people, "12 s ago"), shared by the overview, the meter page and the
Server-Sent Events stream (``dashboard.pages.live``)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from plantmeter.i18n import format_number
from services import MeterFreshness

from ..i18n import _

__all__ = ["LIVE_QUANTITIES", "Tile", "age_text", "live_quantity", "tile", "tile_payload"]

logger = logging.getLogger(__name__)

LIVE_QUANTITIES: dict[str, tuple[str, ...]] = {
    "electricity": ("power_total",),
    "water": ("flow_rate",),
    "gas": ("flow_rate",),
    "thermal": ("power_total",),
    "temperature": ("temperature",),
    "production": ("production_total",),
}
"""What a meter of each kind shows live, first stored one wins (else its first quantity)."""

DISPLAY_UNITS = {"W": ("kW", 0.001), "degC": ("°C", 1.0), "m3": ("m³", 1.0), "m3/h": ("m³/h", 1.0)}


@dataclass(frozen=True, slots=True)
class Tile:
    key: str  # site/meter: what the live stream updates
    site: str
    meter: str
    area: str | None
    href: str
    quantity: str
    value_text: str
    unit: str
    scale: float
    state: str  # fresh | stale | silent
    state_text: str
    age_text: str
    last_iso: str


def live_quantity(f: MeterFreshness) -> str | None:
    stored = {v.quantity for v in f.values}
    for q in LIVE_QUANTITIES.get(f.kind, ()):
        if q in stored:
            return q
    return f.values[0].quantity if f.values else (LIVE_QUANTITIES.get(f.kind, (None,))[0])


def age_text(age_s: float | None) -> str:
    if age_s is None:
        return _("no reading yet")
    if age_s < 90:
        return _("{n} s ago").format(n=round(age_s))
    if age_s < 5400:
        return _("{n} min ago").format(n=round(age_s / 60))
    if age_s < 172800:
        return _("{n} h ago").format(n=round(age_s / 3600))
    return _("{n} days ago").format(n=round(age_s / 86400))


def state_text(state: str) -> str:
    return {"fresh": _("live"), "stale": _("offline"), "silent": _("never seen")}.get(state, state)


def _fmt(x: float) -> str:
    a = abs(x)
    d = 0 if a >= 1000 else 1 if a >= 10 else 2
    return format_number(x, d)


def tile(site: str, area: str | None, f: MeterFreshness) -> Tile:
    q = live_quantity(f)
    v = next((x for x in f.values if x.quantity == q), None)
    unit, scale = DISPLAY_UNITS.get(v.unit if v else "", (v.unit if v else "", 1.0))
    return Tile(
        f"{site}/{f.meter}",
        site,
        f.meter,
        area,
        f"/sites/{site}/meters/{f.meter}",
        q or "",
        _fmt(v.value * scale) if v is not None else "–",
        unit,
        scale,
        f.state,
        state_text(f.state),
        age_text(f.age_s),
        f.last_time.isoformat() if f.last_time else "",
    )


def tile_payload(site: str, f: MeterFreshness) -> dict[str, object]:
    """One meter in the live stream: its state and every newest value (JSON-ready)."""
    return {
        "site": site,
        "meter": f.meter,
        "state": f.state,
        "last_time": _iso(f.last_time),
        "age_s": f.age_s,
        "values": {v.quantity: {"value": v.value, "unit": v.unit} for v in f.values},
    }


def _iso(t: datetime | None) -> str | None:
    return t.isoformat() if t is not None else None
