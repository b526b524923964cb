"""Every FastAPI dependency of the dashboard, in one module that tests override.

* ``get_settings``, ``get_context`` (sites, plans, loans, store), ``get_users`` (users.db),
  ``get_limiter``, ``get_templates``: objects built by ``create_app`` and kept on ``app.state``.
* ``current_auth`` / ``current_user``: a bearer token (``Authorization: Bearer ...``, from
  ``POST /api/v1/token``) or the session cookie; 401 without either.
* ``page_user``: the same for pages, but without a session it redirects to ``/login?next=...``.
* ``require_site(site_id)``, ``require_meter(meter_id, site)``, ``require_loan(loan_id)``:
  the resource, 404 when unknown, 403 when the user's role does not reach it (``roles``).
* ``csrf_protect``: unsafe methods authenticated by the session cookie must carry the session's
  CSRF token (form field ``csrf_token`` or header ``X-CSRF-Token``); bearer-token requests carry
  no ambient credential and need none.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import Depends, HTTPException, Query, Request
from fastapi.templating import Jinja2Templates

from .auth import LoginLimiter, same
from .context import DashboardContext, LoanRef, SiteRef
from .i18n import _
from .roles import can_admin, can_see_loan, can_see_site
from .settings import DashboardSettings
from .users import Session, User, UserStore

__all__ = [
    "CSRF_FIELD",
    "CSRF_HEADER",
    "SESSION_COOKIE",
    "AdminUser",
    "Auth",
    "Context",
    "CsrfProtect",
    "CurrentAuth",
    "CurrentUser",
    "Limiter",
    "LoginRequired",
    "MeterTarget",
    "PageUser",
    "Settings",
    "Templates",
    "Users",
    "admin_user",
    "client_address",
    "csrf_protect",
    "current_auth",
    "current_user",
    "get_context",
    "get_limiter",
    "get_settings",
    "get_templates",
    "get_users",
    "optional_auth",
    "page_user",
    "require_loan",
    "require_meter",
    "require_site",
]

SESSION_COOKIE = "plantmeter_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
_UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


class LoginRequired(Exception):
    """Raised by ``page_user``: the app answers with a redirect to the login page."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url

    @property
    def location(self) -> str:
        return "/login?next=" + quote(self.next_url, safe="/")


@dataclass(frozen=True, slots=True)
class Auth:
    """Who is asking and how: ``session`` (cookie, with its CSRF token) or ``token`` (bearer)."""

    user: User
    via: Literal["session", "token"]
    session: Session | None = None
    secret: str = ""  # the session id or token the client presented (to end it at logout)


def get_settings(request: Request) -> DashboardSettings:
    return request.app.state.settings  # type: ignore[no-any-return]


def get_context(request: Request) -> DashboardContext:
    return request.app.state.context  # type: ignore[no-any-return]


def get_users(request: Request) -> UserStore:
    return request.app.state.users  # type: ignore[no-any-return]


def get_limiter(request: Request) -> LoginLimiter:
    return request.app.state.limiter  # type: ignore[no-any-return]


def get_templates(request: Request) -> Jinja2Templates:
    return request.app.state.templates  # type: ignore[no-any-return]


Settings = Annotated[DashboardSettings, Depends(get_settings)]
Context = Annotated[DashboardContext, Depends(get_context)]
Users = Annotated[UserStore, Depends(get_users)]
Limiter = Annotated[LoginLimiter, Depends(get_limiter)]
Templates = Annotated[Jinja2Templates, Depends(get_templates)]


def client_address(request: Request) -> str:
    return request.client.host if request.client else ""


def optional_auth(request: Request, users: Users) -> Auth | None:
    """The bearer token if the request has an ``Authorization`` header, else the session cookie."""
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _sep, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        user = users.token_user(token.strip())
        return Auth(user, "token", None, token.strip()) if user else None
    secret = request.cookies.get(SESSION_COOKIE)
    if not secret:
        return None
    session = users.session(secret)
    return Auth(session.user, "session", session, secret) if session else None


def current_auth(auth: Annotated[Auth | None, Depends(optional_auth)]) -> Auth:
    if auth is None:
        raise HTTPException(
            401,
            _(
                "Not logged in, or the session or token has expired: log in at /login, "
                "or get a token from POST /api/v1/token"
            ),
            headers={"WWW-Authenticate": "Bearer"},
        )
    return auth


CurrentAuth = Annotated[Auth, Depends(current_auth)]


def current_user(auth: CurrentAuth) -> User:
    return auth.user


CurrentUser = Annotated[User, Depends(current_user)]


def page_user(request: Request, auth: Annotated[Auth | None, Depends(optional_auth)]) -> User:
    """The logged-in user of a page; without a session, a redirect to ``/login?next=...``."""
    if auth is None:
        url = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(url)
    return auth.user


PageUser = Annotated[User, Depends(page_user)]


def admin_user(user: CurrentUser) -> User:
    if not can_admin(user.principal):
        raise HTTPException(403, _("Only an admin may do this"))
    return user


AdminUser = Annotated[User, Depends(admin_user)]


async def csrf_protect(
    request: Request, auth: Annotated[Auth | None, Depends(optional_auth)]
) -> None:
    """Refuse (403) an unsafe request made with the session cookie but without its CSRF token."""
    if request.method not in _UNSAFE or auth is None or auth.via == "token":
        return
    assert auth.session is not None
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not same(sent, auth.session.csrf):
        raise HTTPException(
            403,
            _("The form's security token is missing or out of date: reload the page and try again"),
        )


CsrfProtect = Depends(csrf_protect)


def require_site(site_id: str, user: CurrentUser, ctx: Context) -> SiteRef:
    """The site ``site_id``: 404 when it is not served, 403 when the user may not see it."""
    site = ctx.sites.get(site_id)
    if site is None:
        raise HTTPException(
            404,
            _("No site {site!r}; GET /api/v1/sites lists the sites you may see").format(
                site=site_id
            ),
        )
    if not can_see_site(user.principal, site_id):
        raise HTTPException(
            403, _("Your role does not give you site {site!r}").format(site=site_id)
        )
    return site


@dataclass(frozen=True, slots=True)
class MeterTarget:
    site: SiteRef
    meter: str


def require_meter(
    meter_id: str,
    user: CurrentUser,
    ctx: Context,
    site: Annotated[
        str | None,
        Query(max_length=64, description="site id, needed when two sites share a meter id"),
    ] = None,
) -> MeterTarget:
    """The meter ``meter_id`` (of ``site`` when given): 404 unknown, 400 ambiguous, 403 not yours."""
    candidates = [
        s for s in ctx.sites.values() if (site is None or s.id == site) and s.meter(meter_id)
    ]
    if not candidates:
        where = _(" of site {site!r}").format(site=site) if site else ""
        raise HTTPException(
            404,
            _("No meter {meter!r}{where}; GET /api/v1/meters lists the meters you may see").format(
                meter=meter_id, where=where
            ),
        )
    visible = [s for s in candidates if can_see_site(user.principal, s.id)]
    if not visible:
        raise HTTPException(
            403, _("Your role does not give you meter {meter!r}").format(meter=meter_id)
        )
    if len(visible) > 1:
        raise HTTPException(
            400,
            _("Meter {meter!r} is in several sites ({sites}): add ?site=ID").format(
                meter=meter_id, sites=", ".join(s.id for s in visible)
            ),
        )
    return MeterTarget(visible[0], meter_id)


def require_loan(loan_id: str, user: CurrentUser, ctx: Context) -> LoanRef:
    """The loan ``loan_id``: 404 unknown, 403 when the user neither funds it nor has its site."""
    loan = ctx.loans.get(loan_id)
    if loan is None:
        raise HTTPException(
            404,
            _("No loan {loan!r}; GET /api/v1/loans lists the loans you may see").format(
                loan=loan_id
            ),
        )
    if not can_see_loan(user.principal, loan.id, loan.site):
        raise HTTPException(
            403, _("Your role does not give you loan {loan!r}").format(loan=loan_id)
        )
    return loan
