"""``GET/POST /login`` and ``POST /logout``: the browser's way in and out.

The login form has no session yet, so its CSRF guard is a double-submit cookie
(``plantmeter_login_csrf``, random, HttpOnly, SameSite=Strict) equal to the form's hidden field.
A successful login starts a server-side session (cookie ``plantmeter_session``: HttpOnly,
SameSite=Lax, Secure unless ``secure_cookies`` is off) and redirects to ``next`` (a path on
this site only). Failed logins count towards the rate limit and go to the audit log.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from .auth import new_secret, same
from .deps import (
    CSRF_FIELD,
    SESSION_COOKIE,
    Auth,
    Limiter,
    Settings,
    Users,
    client_address,
    csrf_protect,
    optional_auth,
)
from .i18n import _
from .templating import render_page

__all__ = ["LOGIN_CSRF_COOKIE", "router", "safe_next"]

logger = logging.getLogger(__name__)

LOGIN_CSRF_COOKIE = "plantmeter_login_csrf"

router = APIRouter(include_in_schema=False)


def safe_next(value: str | None) -> str:
    """``value`` when it is a path on this site, else ``/`` (no open redirect)."""
    if (
        not value
        or not value.startswith("/")
        or value.startswith("//")
        or "\\" in value
        or any(ord(c) < 32 for c in value)
        or len(value) > 2000
    ):
        return "/"
    return value


def _form(
    request: Request,
    settings: Settings,
    next_url: str,
    *,
    error: str = "",
    username: str = "",
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    token = new_secret()
    response = render_page(
        request,
        "login.html",
        {"next": safe_next(next_url), "error": error, "username": username, "login_csrf": token},
        status_code=status_code,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=3600,
        httponly=True,
        samesite="strict",
        secure=settings.secure_cookies,
        path="/login",
    )
    for k, v in (headers or {}).items():
        response.headers[k] = v
    return response


@router.get("/login")
def login_form(request: Request, settings: Settings, next: str = "/") -> Response:
    return _form(request, settings, next)


@router.post("/login")
def login(
    request: Request,
    settings: Settings,
    users: Users,
    limiter: Limiter,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    csrf_token: Annotated[str, Form(alias=CSRF_FIELD, max_length=128)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    client = client_address(request)
    if not same(csrf_token, request.cookies.get(LOGIN_CSRF_COOKIE)):
        return _form(
            request,
            settings,
            next,
            username=username,
            status_code=403,
            error=_("The login form is out of date: please try again"),
        )
    keys = (f"user:{username}", f"ip:{client}")
    wait = limiter.retry_after(*keys)
    if wait > 0:
        users.audit("login_refused", username or None, "rate limited", client)
        return _form(
            request,
            settings,
            next,
            username=username,
            status_code=429,
            error=_("Too many failed logins: wait {minutes} min and try again").format(
                minutes=max(1, round(wait / 60))
            ),
            headers={"Retry-After": str(int(wait) + 1)},
        )
    user = users.authenticate(username, password) if username and password else None
    if user is None:
        limiter.failed(*keys)
        users.audit("login_failed", username or None, "browser", client)
        logger.info("failed login for %r from %s", username, client)
        return _form(
            request,
            settings,
            next,
            username=username,
            status_code=401,
            error=_("Wrong username or password"),
        )
    limiter.succeeded(keys[0])
    secret, session = users.create_session(user.username, settings.session_hours * 3600)
    users.audit("login", user.username, "browser", client)
    logger.info("%s logged in from %s", user.username, client)
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        max_age=int(settings.session_hours * 3600),
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout", dependencies=[Depends(csrf_protect)])
def logout(
    request: Request,
    settings: Settings,
    users: Users,
    auth: Annotated[Auth | None, Depends(optional_auth)],
) -> Response:
    if auth is not None and auth.via == "session":
        users.end_session(auth.secret)
        users.audit("logout", auth.user.username, "browser", client_address(request))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", secure=settings.secure_cookies, httponly=True)
    return response
