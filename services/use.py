"""Use per bucket of a consumption meter (energy, water) over a period, with its cost.

**Period rule** (Home Assistant's energy dashboard): a range over 35 days is shown in
months, over 2 days in days, else in hours. Days and months are the site's local days and
months: day buckets come from the store (``read_buckets(every="1D", tz=site zone)``) and a
month is the sum of its local days (``None`` when a day of it has an unknown use, e.g. a
counter reset). Use per bucket follows ``services.series`` (counter differences, a gap's
advance spread over the empty buckets and marked ``estimated``).

**Cost** (when a plan is given and has a tariff for the meter's kind): as the reports value
use, with ``reports.data``' tariff functions: an hour at its hourly price
(``hourly_prices``), a day at its use-weighted price (``interval_prices`` over the day's
hourly use; exactly ``use x price`` for a flat tariff), a month as the sum of its days.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from plantmeter.config import SiteConfig
from plantmeter.errors import ConfigError
from plantmeter.store import SeriesStore
from reports.data import hourly_prices, interval_prices
from reports.load import LoadedPlan
from reports.plan import UNITS

from .meters import counter_of, site_meter
from .timeseries import DAY_S, Series, series

__all__ = ["Period", "UseBucket", "UsePerPeriod", "meter_use", "period_for"]

logger = logging.getLogger(__name__)

Period = Literal["hour", "day", "month"]


@dataclass(frozen=True, slots=True)
class UseBucket:
    """Use (and cost) in one hour, local day or local month."""

    start: datetime  # tz-aware, the site's local time
    label: str  # "2025-03-01 14:00", "2025-03-01", "2025-03"
    use: float | None  # None: unknown (no readings, or a reset)
    cost: float | None  # None: no tariff, or use unknown
    estimated: bool  # part of it spread over buckets without readings
    readings: int


@dataclass(frozen=True, slots=True)
class UsePerPeriod:
    """A meter's use per hour, day or month over [start, end), with unit, cost and completeness."""

    site: str
    meter: str
    quantity: str
    unit: str
    period: Period
    start: datetime
    end: datetime
    buckets: tuple[UseBucket, ...]
    currency: str | None  # the plan's, when costs are given
    completeness: float  # store buckets (hours or days) with a reading / buckets in range

    @property
    def total(self) -> float | None:
        """Sum of the buckets' use (None when any is unknown)."""
        uses = [b.use for b in self.buckets]
        return (
            None
            if not uses or any(u is None for u in uses)
            else float(sum(u for u in uses if u is not None))
        )

    @property
    def total_cost(self) -> float | None:
        costs = [b.cost for b in self.buckets]
        return (
            None
            if not costs or any(c is None for c in costs)
            else float(sum(c for c in costs if c is not None))
        )


def period_for(start: pd.Timestamp, end: pd.Timestamp) -> Period:
    """Home Assistant's rule: over 35 days -> months, over 2 days -> days, else hours."""
    days = (end - start) / pd.Timedelta(days=1)
    return "month" if days > 35 else "day" if days > 2 else "hour"


def meter_use(
    store: SeriesStore,
    site: SiteConfig,
    meter: str,
    start: date | datetime | pd.Timestamp,
    end: date | datetime | pd.Timestamp,
    *,
    plan: LoadedPlan | None = None,
    period: Period | None = None,
    base_dir: Path | None = None,
) -> UsePerPeriod:
    """Use per hour/day/month (``period``, default by ``period_for``) of a consumption meter's
    counter over [start, end) (dates are local midnights; naive times local), with cost at the
    plan's tariff in force at ``end`` when ``plan`` is given."""
    m = site_meter(site, meter)
    if m.kind not in UNITS:
        raise ConfigError(
            f"meter {meter!r} is a {m.kind} meter: use per period is for consumption meters "
            f"({', '.join(UNITS)}); ask services.series for its readings"
        )
    base_dir = base_dir if base_dir is not None else (plan.site_dir if plan is not None else None)
    spec = counter_of(m, base_dir)
    if spec is None:
        raise ConfigError(f"meter {meter!r}: its profile has no counter quantity to take use from")
    tz = site.site.timezone
    t0, t1 = _local(start, tz), _local(end, tz)
    if t1 <= t0:
        raise ConfigError(f"use of {meter}: end {t1} is not after start {t0}")
    chosen = period or period_for(t0, t1)
    if chosen in ("day", "month") and (t0 != t0.normalize() or t1 != t1.normalize()):
        raise ConfigError(
            f"use of {meter} per {chosen}: start and end must be local midnights "
            f"(got {t0} to {t1}); give dates"
        )
    width = 3600 if chosen == "hour" else DAY_S
    s = series(store, site, meter, spec.quantity, t0, t1, width_s=width, base_dir=base_dir)
    tariff, currency = None, None
    if plan is not None:
        p, _ = plan.as_of((t1 - pd.Timedelta(days=1)).date())
        tariff = p.tariffs.get(m.kind)  # type: ignore[arg-type]
        currency = p.currency if tariff is not None else None
    use = pd.Series(
        [np.nan if b.use is None else b.use for b in s.buckets],
        index=pd.DatetimeIndex([b.start for b in s.buckets]).tz_convert(tz),
        dtype=float,
    )
    cost = None
    if tariff is not None:
        if chosen == "hour":
            cost = use * hourly_prices(pd.DatetimeIndex(use.index), tariff).to_numpy()
        else:
            hourly = series(
                store, site, meter, spec.quantity, t0, t1, width_s=3600, base_dir=base_dir
            )
            hours = pd.Series(
                [np.nan if b.use is None else b.use for b in hourly.buckets],
                index=pd.DatetimeIndex([b.start for b in hourly.buckets]).tz_convert(tz),
                dtype=float,
            )
            day_price = interval_prices(hours, tariff, "daily")
            cost = use * day_price.reindex(use.index).to_numpy()
    buckets = _buckets(s, use, cost, chosen, tz)
    return UsePerPeriod(
        site.site.id,
        meter,
        spec.quantity,
        s.unit,
        chosen,
        t0.to_pydatetime(),
        t1.to_pydatetime(),
        tuple(buckets),
        currency,
        s.completeness,
    )


def _local(t: date | datetime | pd.Timestamp, tz: str) -> pd.Timestamp:
    ts = pd.Timestamp(t)
    return ts.tz_localize(tz) if ts.tzinfo is None else ts.tz_convert(tz)


def _opt(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def _buckets(
    s: Series, use: pd.Series, cost: pd.Series | None, period: Period, tz: str
) -> list[UseBucket]:
    est = pd.Series([b.estimated for b in s.buckets], index=use.index)
    n = pd.Series([b.readings for b in s.buckets], index=use.index)
    c = cost if cost is not None else pd.Series(np.nan, index=use.index)
    if period == "month":
        key = use.index.tz_localize(None).to_period("M")
        groups = pd.DataFrame(
            {"use": use.to_numpy(), "cost": c.to_numpy(), "est": est.to_numpy(), "n": n.to_numpy()},
            index=key,
        ).groupby(level=0, sort=True)
        out = []
        for month, g in groups:
            known = bool(g["use"].notna().all())
            start = pd.Timestamp(month.start_time).tz_localize(tz)
            out.append(
                UseBucket(
                    start.to_pydatetime(),
                    str(month),
                    float(g["use"].sum()) if known else None,
                    float(g["cost"].sum())
                    if known and cost is not None and g["cost"].notna().all()
                    else None,
                    bool(g["est"].any()),
                    int(g["n"].sum()),
                )
            )
        return out
    fmt = "%Y-%m-%d %H:%M" if period == "hour" else "%Y-%m-%d"
    return [
        UseBucket(t.to_pydatetime(), t.strftime(fmt), _opt(u), _opt(k), bool(e), int(r))
        for t, u, k, e, r in zip(
            use.index, use.to_numpy(), c.to_numpy(), est.to_numpy(), n.to_numpy(), strict=True
        )
    ]
