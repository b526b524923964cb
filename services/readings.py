"""A meter's stored readings as they are, for an export or a download.

``stored_readings(store, site, meter, quantities=None, start=None, end=None)`` is what
``plantmeter export`` prints (and what a dashboard's CSV download serves): the raw rows of one
meter over [start, end), one column per quantity. The meter must be one of the site's or have
stored readings (a meter removed from the site file keeps its history); quantities are checked
against the meter's profile. Charts ask ``series`` instead (aggregated in the store).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import pandas as pd

from plantmeter.config import SiteConfig
from plantmeter.errors import InputError
from plantmeter.store import SeriesStore

from .meters import quantity_kinds

__all__ = ["stored_readings"]

logger = logging.getLogger(__name__)


def stored_readings(
    store: SeriesStore,
    site: SiteConfig,
    meter: str,
    quantities: Sequence[str] | None = None,
    start: datetime | pd.Timestamp | None = None,
    end: datetime | pd.Timestamp | None = None,
    *,
    base_dir: Path | None = None,
) -> pd.DataFrame:
    """The meter's stored rows in [start, end) (UTC index; empty when none), ``quantities``
    only when given. ``InputError`` names an unknown meter or quantity and lists the known ones."""
    configured = [m.id for m in site.meters]
    if quantities and meter in configured:
        known = quantity_kinds(site, site.meter(meter), base_dir)
        unknown = [q for q in quantities if q not in known]
        if known and unknown:
            profile = site.meter(meter).profile
            raise InputError(
                f"meter {meter!r} ({profile}) has no quantity {', '.join(map(repr, unknown))}; "
                f"known: {', '.join(known)}"
            )
    if meter not in configured:
        stored = [m for _, m in store.meters(site.site.id)]
        if meter not in stored:
            extra = sorted(set(stored) - set(configured))
            raise InputError(
                f"meter {meter!r} is not in site {site.site.id!r} and has no stored readings; "
                f"meters: {', '.join(configured)}"
                + (f"; also stored: {', '.join(extra)}" if extra else "")
            )
    return store.read(
        site.site.id,
        meter,
        list(quantities) if quantities else None,
        start=pd.Timestamp(start) if start is not None else None,
        end=pd.Timestamp(end) if end is not None else None,
    )
