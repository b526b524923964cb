"""``/`` and ``/sites/{site}``: the site overview a plant manager opens every morning.

Live values with freshness, today's use and cost so far against the baseline, active alarms,
the sub-meter tree with its unmetered rest, and the EnPI trend. Every figure comes from
``services``; the slow ones (the baseline's expectation, a year of EnPI) are cached per site,
day and store revision (``DashboardContext.cached``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from analytics.flagkinds import flag_title
from plantmeter.errors import PlantMeterError
from plantmeter.i18n import format_month, format_significant
from reports.words import term
from services import latest_values, meter_use, site_flags
from services.baseline import baseline_trace
from services.enpi import enpi_trend
from services.tree import CONSUMPTION_KINDS, TreeNode, submeter_tree

from ..context import DashboardContext, SiteRef
from ..deps import Context, PageUser
from ..i18n import _
from ..roles import can_see_site, visible_loans
from .common import PageAuth, fmt_money, fmt_num, fmt_pct, fmt_time, page, refuse, visible_site_refs
from .view import tile

__all__ = ["router", "site_or_refusal"]

logger = logging.getLogger(__name__)

router = APIRouter(include_in_schema=False)

CACHE_S = 600  # a cached figure is recomputed at most every ten minutes of new readings


@router.get("/")
def home(request: Request, user: PageUser, auth: PageAuth, ctx: Context) -> Response:
    """One site: its overview; several: a list; none (a financier): the loans."""
    sites = visible_site_refs(ctx, user)
    if len(sites) == 1:
        return RedirectResponse(f"/sites/{sites[0].id}", status_code=303)
    if not sites:
        if visible_loans(user.principal, [(lid, r.site) for lid, r in ctx.loans.items()]):
            return RedirectResponse("/loans", status_code=303)
        return refuse(
            request,
            user,
            auth,
            ctx,
            403,
            _("Your role gives you no site and no loan yet: ask an admin."),
        )
    rows = [{"id": s.id, "name": s.config.site.name, "meters": len(s.config.meters)} for s in sites]
    return page(request, user, auth, ctx, "sites.html", "", {"sites": rows})


def site_or_refusal(
    request: Request, user: Any, auth: Any, ctx: DashboardContext, site_id: str
) -> SiteRef | Response:
    site = ctx.sites.get(site_id)
    if site is None:
        return refuse(request, user, auth, ctx, 404, _("No site {site!r}.").format(site=site_id))
    if not can_see_site(user.principal, site_id):
        return refuse(
            request,
            user,
            auth,
            ctx,
            403,
            _("Your role does not give you site {site!r}: its meters stay with the plant.").format(
                site=site_id
            ),
        )
    return site


@dataclass(frozen=True, slots=True)
class TodayRow:
    meter: str
    href: str
    use_text: str
    cost_text: str
    expected_text: str
    expected_note: str
    share: float | None
    share_text: str


@dataclass(frozen=True, slots=True)
class TreeRow:
    meter: str
    area: str | None
    href: str
    use_text: str
    rest_text: str
    rest_share_text: str
    children: tuple[TreeRow, ...]


@router.get("/sites/{site_id}")
def overview(
    site_id: str, request: Request, user: PageUser, auth: PageAuth, ctx: Context
) -> Response:
    found = site_or_refusal(request, user, auth, ctx, site_id)
    if not isinstance(found, SiteRef):
        return found
    site = found
    cfg = site.config
    tz = cfg.site.timezone
    now = datetime.now(UTC)
    local_now = now.astimezone(ZoneInfo(tz))
    today = local_now.date()
    areas = {m.id: m.area for m in cfg.meters}
    fresh = latest_values(ctx.store, cfg, now=now, base_dir=site.base_dir)
    tiles = [tile(site.id, areas.get(f.meter), f) for f in fresh]
    revision = ctx.revision(site.id) // (CACHE_S * 1000)
    midnight = pd.Timestamp(today).tz_localize(tz)
    uses: dict[str, float | None] = {}
    units: dict[str, str] = {}
    rows = []
    for m in cfg.meters:
        if m.kind not in CONSUMPTION_KINDS:
            continue
        try:
            u = meter_use(
                ctx.store,
                cfg,
                m.id,
                midnight,
                pd.Timestamp(now),
                plan=site.plan,
                period="hour",
                base_dir=site.base_dir,
            )
        except PlantMeterError as exc:
            logger.info("overview %s/%s: no use today (%s)", site.id, m.id, exc)
            uses[m.id] = None
            rows.append(
                TodayRow(m.id, f"/sites/{site.id}/meters/{m.id}", "–", "–", "", str(exc), None, "")
            )
            continue
        known = [b for b in u.buckets if b.use is not None]
        total = sum(b.use for b in known if b.use is not None) if known else None
        cost = sum(b.cost for b in known if b.cost is not None) if known and u.currency else None
        uses[m.id], units[m.id] = total, u.unit
        exp_text, exp_note, share, share_text = "", _("no baseline"), None, ""
        if site.plan is not None and m.id in site.plan.base.baselines:
            exp = _expected(ctx, site, m.id, today, revision)
            if exp is None:
                exp_note = _("when the day is complete")
            else:
                label, observed, expected = exp
                exp_text = f"{fmt_num(expected, unit=u.unit)}"
                if label != "today":
                    exp_text += " " + _("(yesterday: {used} used)").format(
                        used=fmt_num(observed, unit=u.unit)
                    )
                elif expected:
                    share = observed / expected
                    share_text = _("{p} of the baseline so far").format(p=fmt_pct(share))
        rows.append(
            TodayRow(
                m.id,
                f"/sites/{site.id}/meters/{m.id}",
                fmt_num(total, unit=u.unit)
                + ("" if len(known) == len(u.buckets) or total is None else " *"),
                fmt_money(cost, u.currency),
                exp_text,
                exp_note,
                share,
                share_text,
            )
        )
    tree = [_tree_row(site.id, n, units) for n in submeter_tree(cfg, uses)]
    flags = site_flags(ctx.store, cfg, now - timedelta(days=7), now)
    acked = {
        (a.meter, a.detector, a.quantity, a.start_ms)
        for a in request.app.state.users.acknowledgements(site.id)
    }
    alarms = [
        {
            "meter": f.meter,
            "kind": flag_title(f.kind),
            "severity": term(f.severity),
            "severity_class": {"critical": "bad", "warning": "warn"}.get(f.severity, "info"),
            "when": fmt_time(f.start, tz) + " – " + fmt_time(f.end, tz),
            "cost_text": (fmt_money(f.cost_per_day, _currency(site)) + " " + _("a day"))
            if f.cost_per_day
            else "",
        }
        for f in flags.flags
        if (f.meter, f.detector, f.quantity, int(f.start.timestamp() * 1000)) not in acked
    ][:6]
    alarms_note = {
        "none": _("No alarms in the last 7 days."),
        "never computed": _(
            "Flags were never computed for the last 7 days (run `plantmeter flags`)."
        ),
        "partly computed": _(
            "No alarms, but flags were computed for part of the last 7 days only."
        ),
    }.get(flags.state, _("No open alarms in the last 7 days."))
    enpi = _enpi(ctx, site, today, revision)
    return page(
        request,
        user,
        auth,
        ctx,
        "overview.html",
        f"site:{site.id}",
        {
            "site": cfg,
            "tiles": tiles,
            "today": rows,
            "today_label": local_now.strftime("%Y-%m-%d %H:%M") + " " + tz,
            "baseline_note": _(
                "Hourly baselines are compared hour by hour up to now; daily baselines once the day is "
                "complete (then yesterday is shown). * = some hours of today have no readings."
            ),
            "alarms": alarms,
            "alarms_note": alarms_note,
            "tree": tree,
            "enpi": enpi,
            "enpi_note": _("No EnPI: the site needs one production meter with readings."),
            "live_url": f"/live?site={site.id}",
        },
    )


def _currency(site: SiteRef) -> str | None:
    return site.plan.base.currency if site.plan is not None else None


def _tree_row(site: str, n: TreeNode, units: dict[str, str]) -> TreeRow:
    unit = units.get(n.meter, "")
    return TreeRow(
        n.meter,
        n.area,
        f"/sites/{site}/meters/{n.meter}",
        fmt_num(n.use, unit=unit),
        fmt_num(n.rest, unit=unit),
        fmt_pct(n.rest_share) if n.rest_share is not None else "",
        tuple(_tree_row(site, c, units) for c in n.children),
    )


def _expected(
    ctx: DashboardContext, site: SiteRef, meter: str, today: date, revision: int
) -> tuple[str, float, float] | None:
    """("today" | "yesterday", observed, expected) over the intervals the baseline compares."""
    assert site.plan is not None
    plan = site.plan

    def compute() -> tuple[str, float, float] | None:
        for label, day in (("today", today), ("yesterday", today - timedelta(days=1))):
            try:
                trace = baseline_trace(plan, ctx.store, meter, day, day + timedelta(days=1))
            except PlantMeterError as exc:
                logger.info("baseline of %s on %s: %s", meter, day, exc)
                continue
            if any(p.savings is not None for p in trace.points):
                return label, trace.observed, trace.expected
        return None

    return ctx.cached(("pages.expected", site.id, meter, today, revision), compute)  # type: ignore[no-any-return]


def _sig(x: float | None) -> str:
    """Three significant digits in the user's locale: 0.104 kWh/unit, 0,000612 m3/unit."""
    return "–" if x is None else format_significant(x, 3)


def _enpi(
    ctx: DashboardContext, site: SiteRef, today: date, revision: int
) -> dict[str, Any] | None:
    cfg = site.config
    if sum(1 for m in cfg.meters if m.kind == "production") != 1:
        return None
    end = (pd.Timestamp(today).to_period("M") + 1).start_time.date()
    start = (pd.Timestamp(today).to_period("M") - 23).start_time.date()

    def compute() -> Any:
        try:
            return enpi_trend(ctx.store, cfg, start, end)
        except PlantMeterError as exc:
            logger.info("EnPI of %s: %s", cfg.site.id, exc)
            return None

    trend = ctx.cached(("pages.enpi", site.id, today, revision), compute)
    if trend is None:
        return None
    kinds = sorted(trend.units)
    prod_unit = trend.production_unit
    months = [
        {
            "month": format_month(m.month),
            "production_text": fmt_num(m.production, 0, prod_unit),
            "cells": [_sig(m.enpi.get(k)) for k in kinds],
        }
        for m in reversed(trend.months)
        if any(v is not None for v in m.enpi.values())
    ][:12]  # the newest twelve months with a figure (of the last 24)
    if not months:
        return None
    return {
        "kinds": [{"label": f"{trend.units[k]} / {prod_unit}"} for k in kinds],
        "months": months,
    }
