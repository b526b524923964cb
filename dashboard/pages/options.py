"""``/options``: each cleaner-production option's status and verified savings ± their 90 %
band per period (month, quarter and year to date, since implementation), completeness, the
pinned baseline (model, G14 statistics, readings digest) and the adjustments and amendments.
Figures from ``services.option_savings``, cached per plan, month and store revision."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from plantmeter.errors import PlantMeterError
from plantmeter.text import render
from reports.verify import Window
from services import option_savings
from services.mv import context as mv_context

from ..deps import Context, PageUser
from ..i18n import _
from .common import PageAuth, fmt_money, fmt_num, fmt_pct, page, refuse, visible_site_refs

__all__ = ["default_month", "router"]

logger = logging.getLogger(__name__)

router = APIRouter(include_in_schema=False)

STATUS_CLASS = {
    "on track": "ok",
    "below promise": "bad",
    "insufficient data": "warn",
    "not implemented": "info",
}


def default_month(tz: str, lo: date, hi: date) -> str:
    """The last complete local month, inside the plan's reporting window."""
    today = datetime.now(UTC).astimezone(ZoneInfo(tz)).date()
    last = today.replace(day=1) - timedelta(days=1)
    last = min(max(last, lo), hi - timedelta(days=1))
    return last.strftime("%Y-%m")


@router.get("/options")
def options(
    request: Request,
    user: PageUser,
    auth: PageAuth,
    ctx: Context,
    plan: Annotated[str | None, Query(max_length=64)] = None,
    month: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$")] = None,
) -> Response:
    sites = [s for s in visible_site_refs(ctx, user) if s.plan is not None]
    if not sites:
        return refuse(
            request,
            user,
            auth,
            ctx,
            403,
            _("Options and M&V belong to the plant: your role gives you no site with a plan."),
        )
    by_plan = {s.plan.base.id: s for s in sites if s.plan is not None}
    site = by_plan.get(plan) if plan else sites[0]
    if site is None or site.plan is None:
        return refuse(
            request, user, auth, ctx, 404, _("No plan {plan!r} for you.").format(plan=plan)
        )
    loaded = site.plan
    base = loaded.base
    month = month or default_month(
        site.config.site.timezone, base.reporting.start, base.reporting.end
    )
    try:
        as_of = date.fromisoformat(month + "-01")
    except ValueError:
        return refuse(
            request,
            user,
            auth,
            ctx,
            400,
            _("Month {m!r}: write YYYY-MM, e.g. 2025-06").format(m=month),
        )
    revision = ctx.revision(site.id) // 86_400_000
    error = None
    figures: list[Any] = []
    try:
        figures = ctx.cached(
            ("pages.options", base.id, month, revision),
            lambda: option_savings(loaded, ctx.store, month),
        )
    except PlantMeterError as exc:
        error = str(exc)
    plan_now, _v = loaded.as_of(as_of)
    proposed = [o for o in plan_now.options if o.status == "proposed"]
    skip = {o.id for o in proposed}  # listed once below the table, not as rows of dashes
    rows, seen = [], set()
    for f in figures:
        if f.option in skip and f.status == "not implemented":
            continue
        savings = (
            "; ".join(
                f"{fmt_num(v, unit=u)} ± {fmt_num(f.band_90.get(u), unit=u)}"
                for u, v in f.savings.items()
            )
            or "–"
        )
        promised = (
            "; ".join(f"{fmt_num(v, unit=u)}" for u, v in f.promised.items() if u != "cost") or "–"
        )
        rows.append(
            {
                "first": f.option not in seen,
                "option": f.option,
                "title": f.title,
                "period": render(Window(f.period_kind, f.period, f.start, f.end).text()),
                "status": _(f.status),
                "status_class": STATUS_CLASS.get(f.status, "info"),
                "reason": render(f.reason) if f.status != "on track" else "",
                "savings_text": savings,
                "promised_text": promised,
                "cost_text": fmt_money(f.cost, f.currency)
                + (f" ± {fmt_money(f.cost_band_90, f.currency)}" if f.cost_band_90 else ""),
                "completeness_text": fmt_pct(f.completeness),
            }
        )
        seen.add(f.option)
    approval, baselines, adjustments, amendments, version_text = _pinned(
        ctx, site.id, loaded, as_of, revision
    )
    return page(
        request,
        user,
        auth,
        ctx,
        "options.html",
        "options",
        {
            "plans": list(by_plan),
            "plan_id": base.id,
            "plan_label": f"{base.id} · {site.config.site.name}",
            "month": month,
            "month_min": base.reporting.start.strftime("%Y-%m"),
            "month_max": (base.reporting.end - timedelta(days=1)).strftime("%Y-%m"),
            "figures": rows,
            "error": error,
            "proposed": proposed,
            "approval": approval,
            "approval_status": _("approved")
            if approval.get("status") == "approved"
            else _("UNAPPROVED"),
            "baselines": baselines,
            "adjustments": adjustments,
            "amendments": amendments,
            "version_text": version_text,
        },
    )


def _pinned(ctx: Any, site_id: str, loaded: Any, as_of: date, revision: int) -> tuple[Any, ...]:
    def compute() -> tuple[Any, ...]:
        with mv_context(loaded, ctx.store, as_of) as rc:
            return rc.approval_data(), rc.version.describe(), list(rc.plan.adjustments)

    try:
        approval, version_text, adjustments = ctx.cached(
            ("pages.pinned", site_id, as_of, revision), compute
        )
    except PlantMeterError as exc:
        return {"status": "error"}, [], [], [], str(exc)
    baselines = []
    for meter, b in approval.get("baselines", {}).items():
        s = b.get("statistics", {})
        changed = b.get("readings_changed_since_approval") or 0
        baselines.append(
            {
                "meter": meter,
                "href": f"/sites/{site_id}/meters/{meter}",
                "model": b.get("model_type"),
                "cvrmse": fmt_pct(s.get("cvrmse"), 1),
                "nmbe": fmt_pct(s.get("nmbe"), 2),
                "r2": fmt_num(s.get("r2"), 3),
                "n": s.get("n"),
                "fitted": str(b.get("fitted_at", ""))[:16],
                "digest": b.get("readings_digest"),
                "changed": _(
                    "{n} baseline readings changed since approval; the approved model is kept"
                ).format(n=changed)
                if changed
                else "",
            }
        )
    adj = [f"{a.id}: {a.start} – {a.end or _('open')} — {a.reason}" for a in adjustments]
    amendments = [
        f"{a.date}: {a.reason}"
        for a in loaded.base.amendments
        if a.date <= as_of + timedelta(days=31)
    ]
    return approval, baselines, adj, amendments, version_text
