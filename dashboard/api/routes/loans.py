"""Loans: ``GET /api/v1/loans``, ``/loans/{loan_id}?month=`` (status) and
``/loans/{loan_id}/report?period=YYYY-MM&format=pdf|html|json`` (the loan monitoring report,
as ``plantmeter report loan`` writes it; every download goes to the audit log)."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from services import loan_status, render, report_document, write

from ...context import LoanRef
from ...deps import Context, CurrentUser, Users, client_address, require_loan
from ...roles import can_see_loan
from ..models import LoanOut, LoanStatusOut
from .mv import default_month

__all__ = ["router"]

logger = logging.getLogger(__name__)

router = APIRouter(tags=["loans"])

LoanDep = Annotated[LoanRef, Depends(require_loan)]
_MONTH = r"^\d{4}-\d{2}$"
_TYPES = {"pdf": "application/pdf", "html": "text/html; charset=utf-8", "json": "application/json"}


def _loan(ref: LoanRef) -> LoanOut:
    s = ref.spec
    return LoanOut(
        id=s.id,
        site=ref.site,
        lender=s.lender,
        borrower=s.borrower,
        principal=s.principal,
        currency=s.currency,
        annual_rate=s.annual_rate,
        term_months=s.term_months,
        disbursement=s.disbursement.isoformat(),
        options=list(s.options),
        promised_annual_savings=s.promised_annual_savings,
    )


@router.get("/loans", response_model=list[LoanOut], summary="The loans you may see")
def loans(ctx: Context, user: CurrentUser) -> list[LoanOut]:
    return [_loan(r) for r in ctx.loans.values() if can_see_loan(user.principal, r.id, r.site)]


@router.get(
    "/loans/{loan_id}",
    response_model=LoanStatusOut,
    summary="Promised vs verified savings, debt service, covenants",
)
def loan(
    ctx: Context,
    ref: LoanDep,
    month: Annotated[
        str | None, Query(pattern=_MONTH, description="YYYY-MM; default: the newest full month")
    ] = None,
) -> LoanStatusOut:
    site = ctx.sites[ref.site]
    m = month or default_month(ctx, site)
    report = ctx.cached(
        ("loan", ref.id, m, ctx.revision(ref.site)),
        lambda: loan_status(ref.plan, ctx.store, ref.id, m),
    )
    return LoanStatusOut(loan=ref.id, month=m, status=report.to_dict())


@router.get(
    "/loans/{loan_id}/report",
    summary="The loan monitoring report of a month (PDF, HTML or JSON)",
    response_class=Response,
    responses={
        200: {"content": {t: {} for t in _TYPES.values()}, "description": "the report document"}
    },
)
def loan_report(
    request: Request,
    ctx: Context,
    users: Users,
    user: CurrentUser,
    ref: LoanDep,
    period: Annotated[
        str, Query(pattern=_MONTH, description="YYYY-MM, a month of the loan term and the plan")
    ],
    format: Annotated[
        Literal["pdf", "html", "json"], Query(description="pdf, html or json")
    ] = "pdf",
) -> Response:
    doc = ctx.cached(
        ("loan-report", ref.id, period, ctx.revision(ref.site)),
        lambda: report_document("loan", ref.plan, ctx.store, period, loan_id=ref.id),
    )
    if format == "pdf":
        with tempfile.TemporaryDirectory(prefix="plantmeter-report-") as tmp:
            body = write(doc.document, Path(tmp) / "report.pdf").read_bytes()
    else:
        body = render(doc.document, format).encode()
    users.audit(
        "report_download",
        user.username,
        f"loan {ref.id} {period} {format}",
        client_address(request),
    )
    logger.info("%s downloaded loan report %s %s (%s)", user.username, ref.id, period, format)
    name = f"loan-{ref.id}-{period}.{format}"
    return Response(
        body,
        media_type=_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
