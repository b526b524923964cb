"""``/alarms``: a site's flags costliest first with their cost a day, the acknowledgement form
(a comment; who and when are recorded in the users database by ``UserStore.acknowledge``, and
in the audit log), and the history of what was acknowledged."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from analytics.flagkinds import flag_title
from reports.words import term
from services import FlagItem, site_flags
from services.meters import counter_of

from ..deps import Context, PageUser, client_address, csrf_protect
from ..i18n import _
from ..roles import can_acknowledge
from .common import PageAuth, fmt_money, fmt_num, fmt_time, page, refuse, visible_site_refs

__all__ = ["flag_key", "router"]

logger = logging.getLogger(__name__)

router = APIRouter(include_in_schema=False)

WINDOWS = (7, 30, 90, 365)


def flag_key(f: FlagItem) -> str:
    """What identifies a flag for its acknowledgement: meter, detector, quantity, start (ms)."""
    return f"{f.meter}|{f.detector}|{f.quantity}|{int(f.start.timestamp() * 1000)}"


@router.get("/alarms")
def alarms(
    request: Request,
    user: PageUser,
    auth: PageAuth,
    ctx: Context,
    site: Annotated[str | None, Query(max_length=64)] = None,
    days: Annotated[int, Query(ge=1, le=366)] = 30,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    sites = visible_site_refs(ctx, user)
    if not sites:
        return refuse(
            request,
            user,
            auth,
            ctx,
            403,
            _("Alarms belong to the plant: your role gives you no site."),
        )
    chosen = next((s for s in sites if s.id == site), None) if site else sites[0]
    if chosen is None:
        status = 404 if site not in ctx.sites else 403
        return refuse(
            request, user, auth, ctx, status, _("No site {site!r} for you.").format(site=site)
        )
    cfg = chosen.config
    tz = cfg.site.timezone
    now = datetime.now(UTC)
    flags = site_flags(ctx.store, cfg, now - timedelta(days=days), now)
    acks: dict[str, list[object]] = {}
    for a in request.app.state.users.acknowledgements(chosen.id):
        acks.setdefault(f"{a.meter}|{a.detector}|{a.quantity}|{a.start_ms}", []).append(a)
    currency = chosen.plan.base.currency if chosen.plan is not None else None
    units = {}  # a flag's excess is in its meter's counter unit (kWh, m3)
    for m in cfg.meters:
        spec = counter_of(m, chosen.base_dir)
        units[m.id] = spec.unit if spec is not None else ""
    open_rows, history = [], []
    for f in flags.flags:
        key = flag_key(f)
        row = {
            "key": key,
            "anchor": key.replace("|", "-"),
            "meter": f.meter,
            "meter_href": f"/sites/{chosen.id}/meters/{f.meter}",
            "kind": flag_title(f.kind),
            "severity": term(f.severity),
            "severity_class": {"critical": "bad", "warning": "warn"}.get(f.severity, "info"),
            "reason": f.said,
            "when": fmt_time(f.start, tz) + " – " + fmt_time(f.end, tz),
            "cost_text": fmt_money(f.cost_per_day, currency) if f.cost_per_day is not None else "–",
            "excess_text": (
                fmt_num(f.excess_per_day, unit=units.get(f.meter, "")) + " " + _("a day above")
            )
            if f.excess_per_day
            else "",
        }
        if key in acks:
            last = acks[key][-1]
            row |= {
                "ack_by": last.username,  # type: ignore[attr-defined]
                "ack_at": fmt_time(datetime.fromtimestamp(last.time, UTC), tz),  # type: ignore[attr-defined]
                "ack_comment": last.comment,  # type: ignore[attr-defined]
            }
            history.append(row)
        else:
            open_rows.append(row)
    state_text = {
        "flags": _("flags computed"),
        "none": _("flags computed, none found"),
        "never computed": _("flags never computed for this window: run `plantmeter flags`"),
        "partly computed": _("flags computed for part of this window only"),
    }[flags.state]
    message = {"ack": _("Acknowledged.")}.get(done or "", None)
    return page(
        request,
        user,
        auth,
        ctx,
        "alarms.html",
        "alarms",
        {
            "sites": [s.config for s in sites],
            "site_id": chosen.id,
            "days": days if days in WINDOWS else 30,
            "window_text": _("{start} to {end} ({tz})").format(
                start=fmt_time(flags.start, tz), end=fmt_time(flags.end, tz), tz=tz
            ),
            "state_text": state_text,
            "open": open_rows,
            "history": history,
            "can_ack": can_acknowledge(user.principal, chosen.id),
            "message": message,
            "error": False,
        },
    )


@router.post("/alarms/ack", dependencies=[Depends(csrf_protect)])
def acknowledge(
    request: Request,
    user: PageUser,
    auth: PageAuth,
    ctx: Context,
    site: Annotated[str, Form(max_length=64)],
    flag: Annotated[str, Form(max_length=300)],
    comment: Annotated[str, Form(max_length=1000)],
    days: Annotated[int, Form(ge=1, le=366)] = 30,
) -> Response:
    """Record who acknowledged which flag, when, with what comment; back to the list."""
    ref = ctx.sites.get(site)
    if ref is None:
        return refuse(request, user, auth, ctx, 404, _("No site {site!r}.").format(site=site))
    if not can_acknowledge(user.principal, site):
        return refuse(
            request,
            user,
            auth,
            ctx,
            403,
            _("Your role may not acknowledge alarms of {site!r}.").format(site=site),
        )
    comment = comment.strip()
    parts = flag.split("|")
    if not comment or len(parts) != 4 or not parts[3].isdigit():
        return refuse(
            request,
            user,
            auth,
            ctx,
            400 if comment else 400,
            _("Give a comment saying what was done, and acknowledge from the alarms list."),
        )
    meter, detector, quantity, start_ms = parts[0], parts[1], parts[2], int(parts[3])
    now = datetime.now(UTC)
    known = {
        flag_key(f) for f in site_flags(ctx.store, ref.config, now - timedelta(days=366), now).flags
    }
    if flag not in known:
        return refuse(
            request,
            user,
            auth,
            ctx,
            404,
            _("No such alarm in the last year of {site!r}.").format(site=site),
        )
    users = request.app.state.users
    users.acknowledge(site, meter, detector, quantity, start_ms, user.username, comment)
    users.audit("acknowledge", user.username, f"{site}/{flag}: {comment}", client_address(request))
    logger.info("flag %s/%s acknowledged by %s", site, flag, user.username)
    return RedirectResponse(
        "/alarms?" + urlencode({"site": site, "days": days, "done": "ack"}), status_code=303
    )
