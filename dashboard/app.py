"""``create_app(settings, store) -> FastAPI``: the dashboard application.

The store is passed in (a read-only SeriesStore the application package opened and closes);
the users database is opened from ``settings.data_dir`` unless one is given, and closed with
the app. Everything lives on ``app.state`` (no module-level state): ``settings``, ``context``,
``users``, ``limiter``, ``templates``.

Routes: the JSON API under ``/api/v1`` (``dashboard.api``), ``/login`` and ``/logout``
(``dashboard.login``), the pages (``dashboard.pages``, when present: its ``router``), static
files at ``/static``. Middleware: request bodies over ``max_body_bytes`` get 413; the locale of
each request (``request.state.locale``); security headers (CSP ``'self'`` only, no framing,
``nosniff``, same-origin referrers).
"""

from __future__ import annotations

import gc
import importlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from plantmeter.errors import PlantMeterError
from plantmeter.store import SeriesStore
from reports.common import software_version

from .auth import LoginLimiter
from .context import DashboardContext
from .deps import SESSION_COOKIE, LoginRequired
from .i18n import _, negotiate, use_locale
from .settings import DashboardSettings
from .templating import build_templates
from .users import UserStore

__all__ = ["STATIC_DIR", "create_app"]

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"
PAGES_MODULE = "dashboard.pages"
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; "
    "base-uri 'none'"
)


def create_app(
    settings: DashboardSettings,
    store: SeriesStore,
    *,
    context: DashboardContext | None = None,
    users: UserStore | None = None,
) -> FastAPI:
    """The dashboard over ``store`` (see the module); ConfigError for a bad site or plan file."""
    from .api import router as api_router
    from .login import router as login_router

    ctx = (
        context
        if context is not None
        else DashboardContext.load(settings.sites, settings.plans, store)
    )
    own_users = users is None
    user_store = users if users is not None else UserStore(settings.users_db)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Everything loaded so far (pandas, numba, the plans) lives as long as the process:
        # out of the collector's sight, a full collection no longer walks it (a year of
        # buckets allocates enough objects to trigger one every few requests: ~150 ms each)
        gc.freeze()
        yield
        if own_users:
            user_store.close()

    app = FastAPI(
        title="PlantMeter dashboard",
        version=software_version(),
        description=_(
            "Live meter data, verified savings and loan monitoring of cleaner-production "
            "programmes. Log in with a session (browser, /login) or a bearer token "
            "(POST /api/v1/token)."
        ),
        lifespan=lifespan,
        docs_url=None,  # Swagger UI and ReDoc load their scripts from a CDN: nothing is fetched at run time
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
    )
    app.state.settings = settings
    app.state.context = ctx
    app.state.users = user_store
    app.state.limiter = LoginLimiter(settings.login_attempts, settings.login_window_s)
    app.state.templates = build_templates()

    app.add_middleware(SecurityHeaders)
    app.add_middleware(LocaleMiddleware, users=user_store)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    _handlers(app)

    app.include_router(api_router)
    app.include_router(login_router)
    pages = _pages_router()
    if pages is not None:
        app.include_router(pages)
    app.mount("/static", StaticFiles(directory=STATIC_DIR, check_dir=False), name="static")
    return app


def _pages_router() -> Any:
    """``dashboard.pages.router`` when the pages package exists (it is built separately)."""
    try:
        module = importlib.import_module(PAGES_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name != PAGES_MODULE:
            raise
        return None
    return module.router


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> RedirectResponse:
        return RedirectResponse(exc.location, status_code=303)

    @app.exception_handler(PlantMeterError)
    async def _bad_input(request: Request, exc: PlantMeterError) -> JSONResponse:
        # services raise ConfigError for an unknown id, a period outside the plan, ...
        return JSONResponse({"detail": str(exc)}, status_code=400)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for e in exc.errors():
            where = " ".join(str(p) for p in e.get("loc", ()))
            problems.append(f"{where}: {e.get('msg', '')}")
        return JSONResponse(
            {"detail": "; ".join(problems) or _("invalid request"), "errors": _plain(exc.errors())},
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 404 and exc.detail == "Not Found":
            detail = _("No such page or API route: {path}").format(path=request.url.path)
        elif exc.status_code == 405 and exc.detail == "Method Not Allowed":
            detail = _("{method} is not allowed on {path}").format(
                method=request.method, path=request.url.path
            )
        else:
            detail = str(exc.detail)
        return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=exc.headers)


def _plain(errors: Any) -> Any:
    """Validation errors with only JSON-safe values (``ctx`` may hold exceptions)."""
    out = []
    for e in errors:
        out.append(
            {
                k: (v if k != "ctx" else {c: str(x) for c, x in v.items()})
                for k, v in e.items()
                if k in ("type", "loc", "msg", "ctx")
            }
        )
    return out


class BodyLimit:
    """413 for a request body over ``max_bytes`` (by Content-Length, or counted as it streams)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    too_big = int(value) > self.max_bytes
                except ValueError:
                    too_big = True
                if too_big:
                    await self._refuse(scope, receive, send)
                    return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _TooLarge
            return message

        try:
            await self.app(scope, limited, send)
        except _TooLarge:
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = JSONResponse(
            {"detail": _("The request body is larger than {n} bytes").format(n=self.max_bytes)},
            status_code=413,
        )
        await response(scope, receive, send)


class _TooLarge(Exception):
    pass


class LocaleMiddleware:
    """``request.state.locale``: the user's own locale, else the best Accept-Language match."""

    def __init__(self, app: ASGIApp, users: UserStore) -> None:
        self.app = app
        self.users = users

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        locale = negotiate(request.headers.get("accept-language"))
        secret = request.cookies.get(SESSION_COOKIE)
        if secret:
            session = self.users.session(secret)
            if session is not None and session.user.locale:
                locale = session.user.locale
        scope.setdefault("state", {})["locale"] = locale
        with use_locale(locale):
            await self.app(scope, receive, send)


class SecurityHeaders:
    """CSP, no framing, nosniff, same-origin referrers on every response."""

    HEADERS = [
        (b"content-security-policy", CSP.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"same-origin"),
    ]

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                have = {k for k, _v in headers}
                headers += [(k, v) for k, v in self.HEADERS if k not in have]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)
