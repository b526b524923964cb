"""``GET /api/v1/meters/{meter_id}/series``: one quantity at a resolution, aggregated in the
store (``services.series`` over ``SeriesStore.read_buckets``): gauges as mean/min/max per
bucket (peaks survive), counters as use per bucket from counter differences."""

from __future__ import annotations

import math
from typing import Annotated

import orjson
import pandas as pd
from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import Response

from plantmeter.durations import format_duration
from services import WIDTHS, series
from services.meters import quantity_kinds

from ...deps import Context, MeterTarget, Settings, require_meter
from ...i18n import _
from ..models import SeriesOut
from ..params import parse_range, parse_resolution

__all__ = ["router"]

router = APIRouter(tags=["meters"])

_TIME_HELP = (
    "ISO 8601; without an offset the site's local time (e.g. 2025-03-01 or 2025-03-01T06:00Z)"
)


def _buckets(t0: pd.Timestamp, t1: pd.Timestamp, width_s: int) -> int:
    """Buckets of ``width_s`` (aligned in UTC) that overlap [t0, t1)."""
    first = math.floor(t0.timestamp() / width_s) * width_s
    return int(math.ceil((float(t1.timestamp()) - first) / width_s))


@router.get(
    "/meters/{meter_id}/series",
    response_model=SeriesOut,
    summary="A quantity of a meter in buckets (resolution 1m, 15m, 1h, 1d, ... or auto)",
    responses={400: {"description": "bad range or resolution, or too many buckets"}},
)
def meter_series(
    ctx: Context,
    settings: Settings,
    target: Annotated[MeterTarget, Depends(require_meter)],
    quantity: Annotated[
        str, Query(min_length=1, max_length=64, description="e.g. energy_import_total")
    ],
    start: Annotated[
        str | None, Query(max_length=40, description=_TIME_HELP + "; default: a day before end")
    ] = None,
    end: Annotated[
        str | None, Query(max_length=40, description=_TIME_HELP + "; default: the newest reading")
    ] = None,
    resolution: Annotated[str, Query(max_length=16, description="bucket width, or auto")] = "auto",
    points: Annotated[
        int, Query(ge=1, le=100_000, description="with auto: about this many buckets")
    ] = 800,
) -> Response:
    site = target.site
    meter = site.meter(target.meter)
    assert meter is not None
    kinds = quantity_kinds(site.config, meter, site.base_dir)
    if kinds and quantity not in kinds:
        raise HTTPException(
            404,
            _("Meter {meter!r} has no quantity {quantity!r}; it has: {known}").format(
                meter=meter.id, quantity=quantity, known=", ".join(sorted(kinds))
            ),
        )
    t0, t1 = parse_range(ctx, site, start, end, pd.Timedelta(days=1))
    limit = settings.max_buckets
    if resolution == "auto":
        if points > limit:
            raise HTTPException(
                400, _("points {n}: ask for at most {limit}").format(n=points, limit=limit)
            )
        width = None
    else:
        width = parse_resolution(resolution)
        n = _buckets(t0, t1, width)
        if n > limit:
            finest = next((w for w in WIDTHS if _buckets(t0, t1, w) <= limit), WIDTHS[-1])
            raise HTTPException(
                400,
                _(
                    "{resolution} over this range is {n} buckets, more than the {limit} one request "
                    "may ask: choose a resolution of {finest} or coarser, or a shorter range"
                ).format(
                    resolution=resolution,
                    n=f"{n:,}",
                    limit=f"{limit:,}",
                    finest=format_duration(finest),
                ),
            )
    s = series(
        ctx.store,
        site.config,
        meter.id,
        quantity,
        t0,
        t1,
        points=points,
        width_s=width,
        base_dir=site.base_dir,
    )
    # one transpose of the Bucket tuples into columns
    starts, readings, mean, lo, hi, use, estimated = (
        zip(*s.buckets, strict=True) if s.buckets else ((),) * 7
    )
    body = {
        "site": site.id,
        "meter": meter.id,
        "quantity": quantity,
        "unit": s.unit,
        "kind": s.kind,
        "start": s.start,
        "end": s.end,
        "resolution": format_duration(s.width_s),
        "width_s": s.width_s,
        "local_days": s.local_days,
        "completeness": s.completeness,
        "time": [int(t.timestamp()) for t in starts],
        "readings": list(readings),
        "mean": list(mean),
        "min": list(lo),
        "max": list(hi),
        "use": list(use),
        "estimated": list(estimated),
    }
    # SeriesOut documents the shape; a year of buckets skips its validation (the lists are
    # built right above) and goes straight to orjson: a third of the request's time otherwise
    return Response(orjson.dumps(body, option=orjson.OPT_UTC_Z), media_type="application/json")
