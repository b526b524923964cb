"""Admin only: ``GET /api/v1/users`` and ``GET /api/v1/audit`` (logins, acknowledgements,
report downloads)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query

from ...deps import AdminUser, Users
from ..models import AuditOut, UserOut

__all__ = ["router"]

router = APIRouter(tags=["admin"])

Action = Annotated[
    str | None,
    Query(
        pattern=r"^[a-z_]{1,32}$",
        description="login, login_failed, login_refused, logout, acknowledge, report_download",
    ),
]


@router.get("/users", response_model=list[UserOut], summary="Every user (admin)")
def users(users: Users, _admin: AdminUser) -> list[UserOut]:
    return [
        UserOut(
            username=u.username,
            role=u.role.value,
            sites=list(u.sites),
            loans=list(u.loans),
            email=u.email,
            created=datetime.fromtimestamp(u.created, UTC),
        )
        for u in users.users()
    ]


@router.get("/audit", response_model=list[AuditOut], summary="The audit log, newest first (admin)")
def audit(
    users: Users,
    _admin: AdminUser,
    limit: Annotated[int, Query(ge=1, le=5000)] = 200,
    action: Action = None,
) -> list[AuditOut]:
    return [
        AuditOut(
            time=datetime.fromtimestamp(e.time, UTC),
            username=e.username,
            action=e.action,
            detail=e.detail,
            client=e.client,
        )
        for e in users.audit_log(limit, action)
    ]
