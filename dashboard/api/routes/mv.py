"""Flags and their acknowledgement, options and verified savings of one site:
``GET /api/v1/sites/{site_id}/flags``, ``POST /api/v1/sites/{site_id}/flags/acknowledge``,
``GET /api/v1/sites/{site_id}/options``, ``GET /api/v1/sites/{site_id}/savings``."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from typing import Annotated

import pandas as pd
from fastapi import APIRouter, Depends, HTTPException, Query, Request

from plantmeter.text import english
from services import SavingsFigure, option_savings, site_flags

from ...context import DashboardContext, SiteRef
from ...deps import Context, CsrfProtect, CurrentUser, Users, client_address, require_site
from ...i18n import _
from ...roles import can_acknowledge
from ...users import Acknowledgement
from ..models import AckIn, AckOut, FlagOut, FlagsOut, OptionOut, SavingsFigureOut, SavingsOut
from ..params import parse_range

__all__ = ["default_month", "router"]

logger = logging.getLogger(__name__)

router = APIRouter(tags=["flags, options and savings"])

SiteDep = Annotated[SiteRef, Depends(require_site)]
_MONTH = r"^\d{4}-\d{2}$"


def _ack(a: Acknowledgement) -> AckOut:
    return AckOut(
        site=a.site,
        meter=a.meter,
        detector=a.detector,
        quantity=a.quantity,
        start=datetime.fromtimestamp(a.start_ms / 1000, UTC),
        username=a.username,
        time=datetime.fromtimestamp(a.time, UTC),
        comment=a.comment,
    )


def _ms(t: datetime) -> int:
    return int(round(t.timestamp() * 1000))


@router.get(
    "/sites/{site_id}/flags", response_model=FlagsOut, summary="Flags of a window, costliest first"
)
def flags(
    ctx: Context,
    users: Users,
    s: SiteDep,
    start: Annotated[
        str | None, Query(max_length=40, description="default: 30 days before end")
    ] = None,
    end: Annotated[
        str | None, Query(max_length=40, description="default: the newest reading")
    ] = None,
) -> FlagsOut:
    t0, t1 = parse_range(ctx, s, start, end, pd.Timedelta(days=30))
    found = site_flags(ctx.store, s.config, t0, t1)
    acks: dict[tuple[str, str, str, int], list[AckOut]] = {}
    for a in users.acknowledgements(s.id):
        acks.setdefault((a.meter, a.detector, a.quantity, a.start_ms), []).append(_ack(a))
    return FlagsOut(
        site=s.id,
        start=t0.to_pydatetime(),
        end=t1.to_pydatetime(),
        state=found.state,
        computed=dict(found.computed),
        flags=[
            FlagOut(
                meter=f.meter,
                kind=f.kind,
                severity=f.severity,
                reason=f.reason,
                start=f.start,
                end=f.end,
                quantity=f.quantity,
                detector=f.detector,
                excess_per_day=f.excess_per_day,
                cost_per_day=f.cost_per_day,
                acknowledgements=acks.get((f.meter, f.detector, f.quantity, _ms(f.start)), []),
            )
            for f in found.flags
        ],
    )


@router.post(
    "/sites/{site_id}/flags/acknowledge",
    response_model=AckOut,
    status_code=201,
    dependencies=[CsrfProtect],
    summary="Acknowledge a flag with a comment (who and when are recorded)",
)
def acknowledge(
    request: Request,
    ctx: Context,
    users: Users,
    user: CurrentUser,
    s: SiteDep,
    body: AckIn,
) -> AckOut:
    if not can_acknowledge(user.principal, s.id):
        raise HTTPException(
            403, _("Your role may not acknowledge flags of site {site!r}").format(site=s.id)
        )
    if s.meter(body.meter) is None:
        raise HTTPException(
            404, _("No meter {meter!r} in site {site!r}").format(meter=body.meter, site=s.id)
        )
    start = body.start if body.start.tzinfo else body.start.replace(tzinfo=UTC)
    stored = [
        f
        for f in ctx.store.read_flags(s.id, body.meter)
        if f.detector == body.detector and f.quantity == body.quantity and f.start_ms == _ms(start)
    ]
    if not stored:
        raise HTTPException(
            404,
            _(
                "No flag of meter {meter!r} by {detector!r} on {quantity!r} starting {start}: "
                "GET the site's flags for the exact values"
            ).format(
                meter=body.meter,
                detector=body.detector,
                quantity=body.quantity,
                start=start.isoformat(),
            ),
        )
    a = users.acknowledge(
        s.id, body.meter, body.detector, body.quantity, _ms(start), user.username, body.comment
    )
    users.audit(
        "acknowledge",
        user.username,
        f"{s.id}/{body.meter} {body.detector} {body.quantity} {start.isoformat()}: {body.comment}",
        client_address(request),
    )
    logger.info("%s acknowledged a flag of %s/%s", user.username, s.id, body.meter)
    return _ack(a)


@router.get(
    "/sites/{site_id}/options",
    response_model=list[OptionOut],
    summary="The plan's cleaner-production options",
)
def options(s: SiteDep) -> list[OptionOut]:
    if s.plan is None:
        return []
    plan, _version = s.plan.as_of(None)
    return [
        OptionOut(
            id=o.id,
            title=o.title,
            level=o.level,
            status=o.status,
            meters=list(o.meters),
            implemented=o.implemented.isoformat() if o.implemented else None,
            investment=o.investment,
        )
        for o in plan.options
    ]


def default_month(ctx: DashboardContext, s: SiteRef) -> str:
    """The newest month the data covers to its end (a day of slack), ``YYYY-MM``."""
    rev = ctx.revision(s.id)
    newest = (
        pd.Timestamp(rev, unit="ms", tz="UTC").tz_convert(s.config.site.timezone).date()
        if rev
        else datetime.now(UTC).date()
    )
    day = newest + timedelta(days=1)
    first = date(day.year, day.month, 1) - timedelta(days=1)
    return f"{first.year:04d}-{first.month:02d}"


def _figure(f: SavingsFigure) -> SavingsFigureOut:
    return SavingsFigureOut(
        option=f.option,
        title=f.title,
        period=f.period,
        period_kind=f.period_kind,
        start=f.start.isoformat(),
        end=f.end.isoformat(),
        status=f.status,
        reason=english(f.reason),
        observed=dict(f.observed),
        adjusted_baseline=dict(f.adjusted_baseline),
        savings=dict(f.savings),
        band_90=dict(f.band_90),
        promised=dict(f.promised),
        cost=f.cost,
        cost_band_90=f.cost_band_90,
        currency=f.currency,
        co2_kg=f.co2_kg,
        completeness=f.completeness,
        extrapolated=f.extrapolated,
        caveats=[english(c) for c in f.caveats],
    )


@router.get(
    "/sites/{site_id}/savings",
    response_model=SavingsOut,
    summary="Verified savings ± 90 % band per option: the month, quarter and year to date, since implementation",
)
def savings(
    ctx: Context,
    s: SiteDep,
    month: Annotated[
        str | None, Query(pattern=_MONTH, description="YYYY-MM; default: the newest full month")
    ] = None,
) -> SavingsOut:
    if s.plan is None:
        raise HTTPException(
            404, _("Site {site!r} has no M&V plan loaded (serve it with --plan)").format(site=s.id)
        )
    m = month or default_month(ctx, s)
    loaded = s.plan
    figures = ctx.cached(
        ("savings", s.id, m, ctx.revision(s.id)), lambda: option_savings(loaded, ctx.store, m)
    )
    return SavingsOut(site=s.id, month=m, figures=[_figure(f) for f in figures])
