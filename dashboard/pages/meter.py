"""``/sites/{site}/meters/{meter}``: the meter page (its charts are drawn by static/js/meter.js
from ``/api/v1/meters/{meter}/series``), and ``.../baseline.json``: the baseline comparison
and CUSUM of savings the page's second chart draws (``services.baseline.baseline_trace``)."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from starlette.responses import Response

from plantmeter.errors import PlantMeterError
from services import latest_values
from services.baseline import baseline_trace
from services.meters import counter_of, quantity_kinds

from ..context import SiteRef
from ..deps import Context, PageUser
from ..i18n import _
from .common import PageAuth, fmt_num, fmt_pct, page, refuse
from .overview import site_or_refusal
from .view import LIVE_QUANTITIES, tile

__all__ = ["router"]

logger = logging.getLogger(__name__)

router = APIRouter(include_in_schema=False)

KIND_LABELS = {
    "electricity": "electricity",
    "water": "water",
    "gas": "gas",
    "thermal": "thermal energy",
    "production": "production",
    "temperature": "temperature",
}
MAX_BASELINE_DAYS = 3 * 366


@router.get("/sites/{site_id}/meters/{meter_id}")
def meter_page(
    site_id: str, meter_id: str, request: Request, user: PageUser, auth: PageAuth, ctx: Context
) -> Response:
    found = site_or_refusal(request, user, auth, ctx, site_id)
    if not isinstance(found, SiteRef):
        return found
    site = found
    m = site.meter(meter_id)
    if m is None:
        return refuse(
            request,
            user,
            auth,
            ctx,
            404,
            _("Site {site!r} has no meter {meter!r}.").format(site=site_id, meter=meter_id),
        )
    cfg = site.config
    fresh = [
        f for f in latest_values(ctx.store, cfg, base_dir=site.base_dir) if f.meter == meter_id
    ]
    kinds = quantity_kinds(cfg, m, site.base_dir)
    spec = counter_of(m, site.base_dir)
    counter = spec.quantity if spec is not None else None
    gauge = next(
        (q for q in LIVE_QUANTITIES.get(m.kind, ()) if kinds.get(q, ("", ""))[1] == "gauge"), None
    )
    stored = {v.quantity for f in fresh for v in f.values}
    if gauge is None and m.kind == "temperature":
        gauge = "temperature"
    if gauge is not None and stored and gauge not in stored and counter in stored:
        gauge = None  # never stored (e.g. imported counters only): offer the use only
    plan = site.plan
    has_baseline = plan is not None and meter_id in plan.base.baselines
    last = fresh[0].last_time if fresh and fresh[0].last_time else datetime.now(UTC)
    summary = ""
    if has_baseline and plan is not None:
        b = plan.base.baselines[meter_id]
        summary = _("{model} baseline, {granularity}; plan {plan} ({status}).").format(
            model=b.model,
            granularity=b.granularity,
            plan=plan.base.id,
            status=_("approved") if plan.approved else _("UNAPPROVED"),
        )
    gauge_label = {
        "power_total": _("Power"),
        "flow_rate": _("Flow"),
        "temperature": _("Temperature"),
    }.get(gauge or "", gauge or "")
    return page(
        request,
        user,
        auth,
        ctx,
        "meter.html",
        f"site:{site.id}",
        {
            "site": cfg,
            "meter": m,
            "kind_label": _(KIND_LABELS.get(m.kind, m.kind)),
            "tiles": [tile(site.id, m.area, f) for f in fresh],
            "series_url": f"/api/v1/meters/{meter_id}/series?site={site.id}",
            "baseline_url": f"/sites/{site.id}/meters/{meter_id}/baseline.json"
            if has_baseline
            else None,
            "baseline_summary": summary,
            "gauge": gauge,
            "gauge_label": gauge_label,
            "counter": counter if m.kind not in ("temperature",) else None,
            "last_iso": last.isoformat(),
            "billing_day": 1,
            "live_url": f"/live?site={site.id}",
        },
    )


@router.get("/sites/{site_id}/meters/{meter_id}/baseline.json")
def meter_baseline(
    site_id: str,
    meter_id: str,
    request: Request,
    user: PageUser,
    auth: PageAuth,
    ctx: Context,
    start: Annotated[date, Query(description="first local day")],
    end: Annotated[date, Query(description="last local day (inclusive)")],
) -> Response:
    """Observed vs expected per baseline interval over the plan's part of [start, end], with
    the 90 % band and the running sum of savings."""
    site = ctx.sites.get(site_id)
    if site is None or not _may(user, site_id):
        status = 404 if site is None else 403
        return JSONResponse(
            {"detail": _("No site {site!r} for you.").format(site=site_id)}, status_code=status
        )
    plan = site.plan
    if plan is None or meter_id not in plan.base.baselines:
        return JSONResponse(
            {"detail": _("Meter {meter!r} has no baseline in an M&V plan.").format(meter=meter_id)},
            status_code=404,
        )
    if end < start:
        return JSONResponse(
            {"detail": _("end {end} is before start {start}").format(end=end, start=start)},
            status_code=400,
        )
    if (end - start).days > MAX_BASELINE_DAYS:
        return JSONResponse(
            {"detail": _("At most {n} days at a time.").format(n=MAX_BASELINE_DAYS)},
            status_code=400,
        )
    lo, hi = plan.base.baseline.start, plan.base.reporting.end
    a, b = max(start, lo), min(end + timedelta(days=1), hi)
    if b <= a:
        return JSONResponse(
            {
                "detail": _("The plan covers {lo} to {hi}; nothing of it in this range.").format(
                    lo=lo, hi=hi
                ),
                "points": [],
            },
            status_code=200,
        )
    revision = ctx.revision(site.id) // 600_000
    try:
        trace = ctx.cached(
            ("pages.baseline", site.id, meter_id, a, b, revision),
            lambda: baseline_trace(plan, ctx.store, meter_id, a, b),
        )
    except PlantMeterError as exc:
        return JSONResponse({"detail": str(exc), "points": []}, status_code=200)
    saved = sum(p.savings for p in trace.points if p.savings is not None)
    summary = _(
        "{model} ({granularity}); in this range: metered {obs}, baseline expects {exp}, "
        "savings {sav} ({pct}); band ± {band} per interval (90 %)."
    ).format(
        model=trace.model,
        granularity=trace.granularity,
        obs=fmt_num(trace.observed, unit=trace.unit),
        exp=fmt_num(trace.expected, unit=trace.unit),
        sav=fmt_num(saved, unit=trace.unit),
        pct=fmt_pct(saved / trace.expected if trace.expected else None, 1),
        band=fmt_num(trace.band_90, unit=trace.unit),
    )
    return JSONResponse(
        {
            "meter": meter_id,
            "unit": trace.unit,
            "granularity": trace.granularity,
            "model": trace.model,
            "approved": trace.approved,
            "band_90": trace.band_90,
            "summary": summary,
            "points": [
                {
                    "start": p.start.isoformat(),
                    "observed": p.observed,
                    "expected": p.expected,
                    "savings": p.savings,
                    "cumulative": p.cumulative,
                }
                for p in trace.points
            ],
        }
    )


def _may(user: object, site_id: str) -> bool:
    from ..roles import can_see_site

    return can_see_site(user.principal, site_id)  # type: ignore[attr-defined]
