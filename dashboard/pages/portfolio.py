"""``/admin/portfolio`` (admins only): every served site with an M&V plan for a month, ranked by
savings shortfall (the month's promised cost savings, pro rata, minus the verified ones), and
its loans with any covenant not met. Figures from ``services.option_savings`` and
``services.loan_status``, cached per site, month and store revision. For hundreds of sites the
``plantmeter portfolio`` command computes the same on a Dask cluster (portfolio/README.md)."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from plantmeter.errors import PlantMeterError
from plantmeter.i18n import format_percent
from services import loan_status, option_savings

from ..context import SiteRef
from ..deps import Context, PageUser
from ..i18n import _
from ..roles import can_admin
from .common import PageAuth, fmt_money, page, refuse
from .options import default_month

__all__ = ["router", "site_row"]

logger = logging.getLogger(__name__)

router = APIRouter(include_in_schema=False)


def site_row(ref: SiteRef, store: Any, month: str) -> dict[str, Any]:
    """One site's month: promised and verified cost savings, shortfall, loans at risk."""
    assert ref.plan is not None
    plan = ref.plan.base
    figures = [
        f
        for f in option_savings(ref.plan, store, month)
        if f.period_kind == "month" and f.status != "not implemented"
    ]
    promised = sum(f.promised.get("cost", 0.0) for f in figures)
    known = bool(figures) and all(f.cost is not None for f in figures)
    verified = sum(f.cost or 0.0 for f in figures) if known else None
    # options' bands combine in quadrature, as in the portfolio report (portfolio/task.py)
    band = sum((f.cost_band_90 or 0.0) ** 2 for f in figures) ** 0.5 if known else None
    shares = [f.completeness for f in figures if f.completeness is not None]
    at_risk = []
    for loan in plan.loans:
        rep = loan_status(ref.plan, store, loan.id, month)
        unmet = [c.description or c.type for c in rep.covenants if c.result == "not met"]
        if unmet:
            at_risk.append({"id": loan.id, "lender": loan.lender, "covenants": ", ".join(unmet)})
    return {
        "site": ref.id,
        "currency": plan.currency,
        "promised": promised,
        "verified": verified,
        "band_90": band,
        "completeness": min(shares) if shares else None,
        "shortfall": None if verified is None else promised - verified,
        "at_risk": at_risk,
    }


@router.get("/admin/portfolio")
def portfolio(
    request: Request,
    user: PageUser,
    auth: PageAuth,
    ctx: Context,
    month: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$")] = None,
) -> Response:
    if not can_admin(user.principal):
        return refuse(request, user, auth, ctx, 403, _("Only an admin sees the portfolio."))
    rows = []
    for ref in ctx.sites.values():
        if ref.plan is None:
            continue
        base = ref.plan.base
        m = month or default_month(
            ref.config.site.timezone, base.reporting.start, base.reporting.end
        )
        revision = ctx.revision(ref.id) // 86_400_000

        def compute(ref: SiteRef = ref, m: str = m) -> dict[str, Any]:
            return site_row(ref, ctx.store, m)

        try:
            row = ctx.cached(("pages.portfolio", ref.id, m, revision), compute)
        except PlantMeterError as exc:
            row = {
                "site": ref.id,
                "currency": base.currency,
                "promised": None,
                "verified": None,
                "band_90": None,
                "completeness": None,
                "shortfall": None,
                "at_risk": [],
                "error": str(exc),
            }
        rows.append({**row, "month": m})
    rows.sort(key=lambda r: (r["shortfall"] is None, -(r["shortfall"] or 0.0), r["site"]))
    shown = [
        {
            **r,
            "promised_text": fmt_money(r["promised"], r["currency"]),
            "verified_text": fmt_money(r["verified"], r["currency"]),
            "band_text": fmt_money(r["band_90"], r["currency"]),
            "completeness_text": format_percent(r["completeness"]),
            "shortfall_text": fmt_money(r["shortfall"], r["currency"]),
        }
        for r in rows
    ]
    return page(request, user, auth, ctx, "portfolio_page.html", "portfolio", {"rows": shown})
