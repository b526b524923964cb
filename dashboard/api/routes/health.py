"""``GET /api/v1/health``: is the dashboard up (no login; says nothing about the data)."""

from __future__ import annotations

from fastapi import APIRouter

from reports.common import software_version

from ...deps import Context
from ..models import Health

__all__ = ["router"]

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health, summary="Liveness (no login)")
def health(ctx: Context) -> Health:
    return Health(status="ok", version=software_version(), sites=len(ctx.sites))
