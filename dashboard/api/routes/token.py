"""``POST /api/v1/token``: a bearer token for an API client (OAuth2 password form)."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.security import OAuth2PasswordRequestForm

from ...deps import CurrentUser, Limiter, Settings, Users, client_address
from ...i18n import _
from ..models import Me, TokenOut

__all__ = ["router"]

logger = logging.getLogger(__name__)

router = APIRouter(tags=["auth"])


@router.post(
    "/token",
    response_model=TokenOut,
    summary="Get a bearer token (OAuth2 password form: username, password)",
    responses={
        401: {"description": "wrong username or password"},
        429: {"description": "too many failed logins"},
    },
)
def token(
    request: Request,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    settings: Settings,
    users: Users,
    limiter: Limiter,
) -> TokenOut:
    client = client_address(request)
    username = form.username[:64]
    keys = (f"user:{username}", f"ip:{client}")
    wait = limiter.retry_after(*keys)
    if wait > 0:
        users.audit("login_refused", username or None, "token, rate limited", client)
        raise HTTPException(
            429,
            _("Too many failed logins: wait {minutes} min and try again").format(
                minutes=max(1, round(wait / 60))
            ),
            headers={"Retry-After": str(int(wait) + 1)},
        )
    user = users.authenticate(username, form.password) if username and form.password else None
    if user is None:
        limiter.failed(*keys)
        users.audit("login_failed", username or None, "token", client)
        raise HTTPException(
            401, _("Wrong username or password"), headers={"WWW-Authenticate": "Bearer"}
        )
    limiter.succeeded(keys[0])
    ttl = settings.token_days * 86_400
    secret = users.create_token(user.username, ttl)
    users.audit("login", user.username, "token", client)
    logger.info("%s got an API token from %s", user.username, client)
    return TokenOut(access_token=secret, token_type="bearer", expires_in=int(ttl))


@router.get("/me", response_model=Me, summary="Who is logged in")
def me(request: Request, user: CurrentUser) -> Me:
    return Me(
        username=user.username,
        role=user.role.value,
        sites=list(user.sites),
        loans=list(user.loans),
        email=user.email,
        locale=getattr(request.state, "locale", "en"),
    )
