"""``/loans``: per loan the user may see, promised vs verified savings vs debt service for a
month and cumulatively, coverage, the covenants' verdicts, and links to download that month's
loan report (PDF, HTML, JSON from ``/api/v1/loans/{id}/report``, which logs the download).
Figures from ``services.loan_status``, cached per loan, month and store revision."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from plantmeter.errors import PlantMeterError
from reports.loan import LoanReport
from services import loan_status

from ..context import LoanRef
from ..deps import Context, PageUser
from ..i18n import _
from ..roles import can_see_loan
from .common import PageAuth, fmt_money, fmt_pct, page, refuse
from .options import default_month

__all__ = ["router"]

logger = logging.getLogger(__name__)

router = APIRouter(include_in_schema=False)

COVENANT_CLASS = {"met": "ok", "not met": "bad", "inconclusive": "warn"}


@router.get("/loans")
def loans(
    request: Request,
    user: PageUser,
    auth: PageAuth,
    ctx: Context,
    month: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$")] = None,
) -> Response:
    refs = [r for r in ctx.loans.values() if can_see_loan(user.principal, r.id, r.site)]
    if not refs:
        return refuse(request, user, auth, ctx, 403, _("Your role gives you no loan."))
    out = []
    chosen = month
    for ref in refs:
        base = ref.plan.base
        m = month or default_month(
            ref.plan.site.site.timezone, base.reporting.start, base.reporting.end
        )
        chosen = chosen or m
        cur = ref.spec.currency or base.currency
        item: dict[str, Any] = {
            "id": ref.id,
            "lender": ref.spec.lender,
            "site": ref.site,
            "month": m,
            "principal": fmt_money(ref.spec.principal, cur),
            "options": ", ".join(ref.spec.options),
            "report_url": f"/api/v1/loans/{ref.id}/report?period={m}",
            "error": None,
        }
        revision = ctx.revision(ref.site) // 86_400_000

        def compute(ref: LoanRef = ref, m: str = m) -> LoanReport:
            return loan_status(ref.plan, ctx.store, ref.id, m)

        try:
            rep = ctx.cached(("pages.loan", ref.id, m, revision), compute)
        except PlantMeterError as exc:
            item["error"] = str(exc)
            out.append(item)
            continue
        row = next((r for r in rep.rows if r.month == m), rep.rows[-1] if rep.rows else None)

        def band(x: float | None, b: float | None, cur: str = cur) -> str:
            return fmt_money(x, cur) + (f" ± {fmt_money(b, cur)}" if x is not None and b else "")

        if row is not None:
            item |= {
                "promised_month": fmt_money(row.promised, cur),
                "promised_cum": fmt_money(row.cum_promised, cur),
                "verified_month": band(row.verified, row.band_90),
                "verified_cum": band(row.cum_verified, row.cum_band_90),
                "debt_month": fmt_money(row.debt_service, cur),
                "debt_cum": fmt_money(row.cum_debt_service, cur),
                "coverage_month": fmt_pct(row.coverage),
                "coverage_cum": fmt_pct(row.cum_coverage),
            }
        else:
            item["error"] = _("No month of this loan's report to show yet.")
        item["covenants"] = [
            {
                "state": _(c.result),
                "css": COVENANT_CLASS.get(c.result, "info"),
                "text": (c.description or c.type) + (f" — {c.evidence}" if c.evidence else ""),
            }
            for c in rep.covenants
        ]
        out.append(item)
    return page(
        request,
        user,
        auth,
        ctx,
        "loans.html",
        "loans",
        {"loans": out, "month": chosen or "", "error": None},
    )
