"""What every page shares: the navigation a role sees, the page basics (user, CSRF token,
server time, the JavaScript's translated strings), number formatting and the HTML refusals.

Pages are thin: they call ``services`` and format. A refused or unknown resource gets an HTML
page with the status (403/404) and a sentence saying why, never a traceback.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.responses import Response

from plantmeter.i18n import format_number

from ..context import DashboardContext, SiteRef
from ..deps import Auth, optional_auth
from ..i18n import _
from ..roles import can_admin, can_see_site, visible_loans
from ..templating import render_page
from ..users import User

__all__ = [
    "NavItem",
    "UNIT_LABELS",
    "PageAuth",
    "fmt_money",
    "fmt_num",
    "fmt_pct",
    "fmt_time",
    "js_strings",
    "nav_for",
    "page",
    "refuse",
    "role_label",
    "visible_site_refs",
]

logger = logging.getLogger(__name__)

UNIT_LABELS = {"m3": "m³", "m3/h": "m³/h", "degC": "°C"}
"""How a stored unit is written for people."""

PageAuth = Annotated[Auth | None, Depends(optional_auth)]


@dataclass(frozen=True, slots=True)
class NavItem:
    key: str
    href: str
    label: str


def role_label(user: User) -> str:
    return {
        "admin": _("admin"),
        "plant_manager": _("plant manager"),
        "financier": _("financier"),
        "auditor": _("auditor"),
    }.get(user.role.value, user.role.value)


def visible_site_refs(ctx: DashboardContext, user: User) -> list[SiteRef]:
    return [s for s in ctx.sites.values() if can_see_site(user.principal, s.id)]


def nav_for(ctx: DashboardContext, user: User) -> list[NavItem]:
    """The menu of what the user's role reaches (nothing they would be refused)."""
    items: list[NavItem] = []
    sites = visible_site_refs(ctx, user)
    for s in sites:
        items.append(NavItem(f"site:{s.id}", f"/sites/{s.id}", s.config.site.name.split(" (")[0]))
    if sites:
        items.append(NavItem("alarms", "/alarms", _("Alarms")))
        if any(s.plan is not None for s in sites):
            items.append(NavItem("options", "/options", _("Options and M&V")))
    if visible_loans(user.principal, [(lid, ref.site) for lid, ref in ctx.loans.items()]):
        items.append(NavItem("loans", "/loans", _("Loans")))
    if can_admin(user.principal):
        items.append(NavItem("admin", "/admin", _("Admin")))
        items.append(NavItem("portfolio", "/admin/portfolio", _("Portfolio")))
    return items


def js_strings() -> dict[str, str]:
    """The strings the page scripts show, translated in the request's locale."""
    return {
        "s_ago": _("{n} s ago"),
        "min_ago": _("{n} min ago"),
        "h_ago": _("{n} h ago"),
        "d_ago": _("{n} days ago"),
        "never": _("no reading yet"),
        "state_fresh": _("live"),
        "state_stale": _("offline"),
        "state_silent": _("never seen"),
        "time": _("time"),
        "use": _("use"),
        "mean": _("mean"),
        "min": _("min"),
        "max": _("max"),
        "previous": _("previous period"),
        "last_year": _("same period last year"),
        "metered": _("metered"),
        "expected": _("baseline expects"),
        "band_low": _("band low (90 %)"),
        "band_high": _("band high (90 %)"),
        "cusum": _("cumulative savings"),
        "no_baseline": _(
            "No baseline figures for this range: a daily baseline compares complete days with "
            "their readings and drivers."
        ),
        "resolution": _("resolution"),
        "loading": _("loading…"),
        "error": _("could not load"),
        "bad_range": _("The end date is before the start date."),
    }


def page(
    request: Request,
    user: User,
    auth: Auth | None,
    ctx: DashboardContext,
    name: str,
    active: str,
    context: dict[str, Any],
    *,
    status_code: int = 200,
) -> Response:
    """Render ``pages/<name>`` with the menu, the user and the page basics."""
    base = {
        "nav": nav_for(ctx, user),
        "active": active,
        "role_label": role_label(user),
        "now_iso": datetime.now(UTC).isoformat(),
        "js_strings": js_strings(),
        "live_url": None,
    }
    csrf = auth.session.csrf if auth is not None and auth.session is not None else ""
    return render_page(
        request,
        f"pages/{name}",
        base | context,
        status_code=status_code,
        csrf_token=csrf,
        user=user,
    )


def refuse(
    request: Request,
    user: User,
    auth: Auth | None,
    ctx: DashboardContext,
    status_code: int,
    text: str,
) -> Response:
    """An HTML page saying why (403: the role does not reach it; 404: no such thing)."""
    heading = {403: _("Not for your role"), 404: _("Not found")}.get(
        status_code, _("Cannot show this")
    )
    return page(
        request,
        user,
        auth,
        ctx,
        "message.html",
        "",
        {"heading": heading, "text": text},
        status_code=status_code,
    )


def _finite(x: float | None) -> bool:
    return x is not None and math.isfinite(x)


def fmt_num(x: float | None, digits: int | None = None, unit: str = "") -> str:
    """``12,345`` / ``12.3`` / ``0.123`` (digits by size unless given); ``–`` when unknown."""
    if not _finite(x):
        return "–"
    assert x is not None
    if digits is None:
        a = abs(x)
        digits = 0 if a >= 100 else 1 if a >= 10 else 2 if a >= 0.1 else 3
    text = format_number(x, digits)  # in the request's locale: 12,345.6 / 12.345,6
    return f"{text} {UNIT_LABELS.get(unit, unit)}".strip()


def fmt_money(x: float | None, currency: str | None) -> str:
    if not _finite(x) or currency is None:
        return "–"
    assert x is not None
    return format_number(x, 2 if abs(x) < 1000 else 0, currency)


def fmt_pct(x: float | None, digits: int = 0) -> str:
    if not _finite(x):
        return "–"
    text = format_number(x * 100, digits)  # type: ignore[operator]
    return (text[1:] if text.strip("-0.,") == "" else text) + " %"  # never "-0.00 %"


def fmt_time(t: datetime | None, tz: str, with_date: bool = True) -> str:
    """A site-local time: ``2025-06-03 14:05``."""
    if t is None:
        return "–"
    from zoneinfo import ZoneInfo

    local = t.astimezone(ZoneInfo(tz))
    return local.strftime("%Y-%m-%d %H:%M" if with_date else "%H:%M")
