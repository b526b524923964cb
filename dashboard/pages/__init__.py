"""dashboard.pages: the HTML pages (server-rendered Jinja2, small JS in ``static/js``).

* ``/`` (one site: its overview; a financier: the loans), ``/sites/{site}``: live values with
  freshness, today's use and cost against the baseline, alarms, sub-meter tree, EnPI
* ``/sites/{site}/meters/{meter}``: the zoomable chart (uPlot), comparison, baseline band,
  CUSUM of savings, CSV of what is on screen; ``.../baseline.json`` feeds the baseline chart
* ``/alarms`` (+ ``POST /alarms/ack``), ``/options``, ``/loans``, ``/admin``,
  ``/admin/portfolio`` (every plan's month ranked by savings shortfall, loans at risk)
* ``/live`` (``dashboard.pages.live``): Server-Sent Events with the latest values

``router`` is what ``dashboard.app.create_app`` includes.
"""

from __future__ import annotations

from fastapi import APIRouter

from . import admin, alarms, live, loans, meter, options, overview, portfolio

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
for _module in (overview, meter, alarms, options, loans, admin, portfolio):
    router.include_router(_module.router)
router.include_router(live.router)
