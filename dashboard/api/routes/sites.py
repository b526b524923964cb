"""Sites, meters and latest values: ``GET /api/v1/sites``, ``/sites/{site_id}``, ``/meters``,
``/latest``, ``/sites/{site_id}/latest``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from plantmeter.config import MeterConfig
from services import MeterFreshness, latest_values

from ...context import SiteRef
from ...deps import Context, CurrentUser, require_site
from ...roles import can_see_site
from ..models import LatestOut, MeterOut, QuantityOut, SiteOut

__all__ = ["router"]

router = APIRouter(tags=["sites"])

SiteParam = Annotated[str | None, Query(max_length=64, description="only this site")]


def _meter(site: str, m: MeterConfig) -> MeterOut:
    return MeterOut(
        site=site,
        id=m.id,
        kind=m.kind,
        profile=m.profile,
        poll_s=m.poll,
        parent=m.parent,
        area=m.area,
    )


def _site(s: SiteRef) -> SiteOut:
    return SiteOut(
        id=s.id,
        name=s.config.site.name,
        timezone=s.config.site.timezone,
        has_plan=s.plan is not None,
        meters=[_meter(s.id, m) for m in s.config.meters],
    )


def _visible(ctx: Context, user: CurrentUser, site: str | None) -> list[SiteRef]:
    if site is not None:
        return [require_site(site, user, ctx)]
    return [s for s in ctx.sites.values() if can_see_site(user.principal, s.id)]


def _latest(site: str, f: MeterFreshness) -> LatestOut:
    return LatestOut(
        site=site,
        meter=f.meter,
        kind=f.kind,
        state=f.state,
        last_time=f.last_time,
        age_s=f.age_s,
        poll_s=f.poll_s,
        stale_after_s=f.stale_after_s,
        values=[
            QuantityOut(quantity=v.quantity, value=v.value, unit=v.unit, time=v.time)
            for v in f.values
        ],
    )


@router.get(
    "/sites", response_model=list[SiteOut], summary="The sites you may see, with their meters"
)
def sites(ctx: Context, user: CurrentUser) -> list[SiteOut]:
    return [_site(s) for s in _visible(ctx, user, None)]


@router.get("/sites/{site_id}", response_model=SiteOut, summary="One site with its meters")
def site(s: Annotated[SiteRef, Depends(require_site)]) -> SiteOut:
    return _site(s)


@router.get("/meters", response_model=list[MeterOut], summary="The meters of the sites you may see")
def meters(ctx: Context, user: CurrentUser, site: SiteParam = None) -> list[MeterOut]:
    return [_meter(s.id, m) for s in _visible(ctx, user, site) for m in s.config.meters]


@router.get(
    "/latest",
    response_model=list[LatestOut],
    summary="Each meter's latest values with their times and freshness",
)
def latest(ctx: Context, user: CurrentUser, site: SiteParam = None) -> list[LatestOut]:
    return [
        _latest(s.id, f)
        for s in _visible(ctx, user, site)
        for f in latest_values(ctx.store, s.config, base_dir=s.base_dir)
    ]


@router.get(
    "/sites/{site_id}/latest", response_model=list[LatestOut], summary="Latest values of one site"
)
def site_latest(ctx: Context, s: Annotated[SiteRef, Depends(require_site)]) -> list[LatestOut]:
    return [_latest(s.id, f) for f in latest_values(ctx.store, s.config, base_dir=s.base_dir)]
