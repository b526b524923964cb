"""``/admin`` (admins only): the users with their roles and scopes, and the audit log
(logins, acknowledgements, report downloads), newest first."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from starlette.responses import Response

from ..deps import Context, PageUser
from ..i18n import _
from ..roles import can_admin
from .common import PageAuth, page, refuse, role_label

__all__ = ["router"]

logger = logging.getLogger(__name__)

router = APIRouter(include_in_schema=False)


@router.get("/admin")
def admin(request: Request, user: PageUser, auth: PageAuth, ctx: Context) -> Response:
    if not can_admin(user.principal):
        return refuse(
            request, user, auth, ctx, 403, _("Only an admin sees the users and the audit log.")
        )
    users = request.app.state.users
    rows = [
        {
            "username": u.username,
            "role": role_label(u),
            "sites": ", ".join(u.sites) or "–",
            "loans": ", ".join(u.loans) or "–",
            "email": u.email or "",
        }
        for u in users.users()
    ]
    audit = [
        {
            "when": datetime.fromtimestamp(e.time, UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
            "username": e.username or "–",
            "action": e.action,
            "detail": e.detail,
        }
        for e in users.audit_log(limit=200)
    ]
    return page(request, user, auth, ctx, "admin.html", "admin", {"users": rows, "audit": audit})
