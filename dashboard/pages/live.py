"""``/live``: Server-Sent Events with the latest values of the meters the user may see.

One event ``latest`` on connect and again whenever a meter's newest reading or freshness
changes (checked every ``interval`` seconds, 2 by default): ``{"now": ISO, "meters": [{site,
meter, state, last_time, age_s, values: {quantity: {value, unit}}}]}``; pings keep proxies from
closing a quiet stream. The stream ends when the client goes away, when the server shuts down
(sse-starlette ends every open stream on uvicorn's exit signal) and when the session ends
(logout or expiry, checked once a minute). ``EventSource`` reconnects by itself.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from sse_starlette.sse import EventSourceResponse
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from services import latest_values

from ..deps import SESSION_COOKIE, Context, PageUser
from ..i18n import _
from .common import visible_site_refs
from .view import tile_payload

__all__ = ["router", "snapshot"]

logger = logging.getLogger(__name__)

router = APIRouter(include_in_schema=False)

RECHECK_SESSION_S = 60.0


def snapshot(ctx: Any, sites: list[Any]) -> list[dict[str, object]]:
    """Every meter of ``sites`` as the stream sends it (``services.latest_values``)."""
    now = datetime.now(UTC)
    out: list[dict[str, object]] = []
    for s in sites:
        for f in latest_values(ctx.store, s.config, now=now, base_dir=s.base_dir):
            out.append(tile_payload(s.id, f))
    return out


@router.get("/live")
async def live(
    request: Request,
    user: PageUser,
    ctx: Context,
    site: Annotated[str | None, Query(max_length=64)] = None,
    interval: Annotated[float, Query(ge=0.5, le=60)] = 2.0,
) -> Response:
    sites = [s for s in visible_site_refs(ctx, user) if site is None or s.id == site]
    if not sites:
        if site is not None and site not in ctx.sites:
            return JSONResponse(
                {"detail": _("No site {site!r}").format(site=site)}, status_code=404
            )
        return JSONResponse(
            {"detail": _("Your role gives you no meter data to stream")}, status_code=403
        )
    users = request.app.state.users
    secret = request.cookies.get(SESSION_COOKIE)

    async def events() -> AsyncIterator[dict[str, str]]:
        last: Any = None
        checked = time.monotonic()
        try:
            while True:
                if await request.is_disconnected():
                    break
                if secret and time.monotonic() - checked > RECHECK_SESSION_S:
                    checked = time.monotonic()
                    if await run_in_threadpool(users.session, secret) is None:
                        break
                meters = await run_in_threadpool(snapshot, ctx, sites)
                key = [
                    (
                        m["site"],
                        m["meter"],
                        m["state"],
                        m["last_time"],
                        json.dumps(m["values"], sort_keys=True),
                    )
                    for m in meters
                ]
                if key != last:
                    last = key
                    yield {
                        "event": "latest",
                        "data": json.dumps(
                            {"now": datetime.now(UTC).isoformat(), "meters": meters}
                        ),
                    }
                await asyncio.sleep(interval)
        finally:
            logger.debug("live stream of %s closed", user.username)

    return EventSourceResponse(events(), ping=15, headers={"Cache-Control": "no-store"})
