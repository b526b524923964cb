"""Energy performance indicators: a site's use per unit of production, month by month.

EnPI = use of the site's top-level consumption meters of one kind (those with no parent of the
same kind: the main incomer, the water main) over a local month / the production meter's
counter advance over the same month. Electricity in kWh per unit, water in m3 per unit (the
production meter's unit, e.g. L of milk). A month where any use or the production is unknown
(no readings, a counter reset, a day whose use is only spread over a gap in the readings) or
where the production is zero has no EnPI (``None``), never a guess.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from plantmeter.config import SiteConfig
from plantmeter.errors import ConfigError
from plantmeter.store import SeriesStore

from .meters import counter_of, site_meter
from .timeseries import DAY_S, series
from .tree import CONSUMPTION_KINDS

__all__ = ["EnpiMonth", "EnpiTrend", "enpi_trend", "monthly_use"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class EnpiMonth:
    """One local month: production, use per kind and use per unit of production."""

    month: str  # YYYY-MM
    production: float | None
    use: dict[str, float | None]  # kind -> use of its top-level meters
    enpi: dict[str, float | None]  # kind -> use / production


@dataclass(frozen=True, slots=True)
class EnpiTrend:
    """EnPI per month of a site, with the units of use and of production."""

    site: str
    production_meter: str
    production_unit: str
    units: dict[str, str]  # kind -> unit of use
    meters: dict[str, tuple[str, ...]]  # kind -> the top-level meters summed
    months: tuple[EnpiMonth, ...]


def enpi_trend(
    store: SeriesStore,
    site: SiteConfig,
    start: date,
    end: date,
    *,
    production_meter: str | None = None,
) -> EnpiTrend:
    """EnPI per local month of [start, end) (first days of months); the production meter is the
    site's only ``production`` meter unless named."""
    if end <= start:
        raise ConfigError(f"EnPI: end {end} is not after start {start}")
    if start.day != 1 or end.day != 1:
        raise ConfigError(f"EnPI: {start} to {end}: give first days of months")
    producers = [m.id for m in site.meters if m.kind == "production"]
    prod = production_meter or (producers[0] if len(producers) == 1 else None)
    if prod is None:
        raise ConfigError(
            f"site {site.site.id!r} has {len(producers)} production meters "
            f"({', '.join(producers) or 'none'}); name the one EnPI divides by"
        )
    p_unit, p_months = monthly_use(store, site, prod, start, end)
    ids = {m.id: m for m in site.meters}
    tops: dict[str, list[str]] = {}
    for m in site.meters:
        if m.kind not in CONSUMPTION_KINDS:
            continue
        parent = ids.get(m.parent) if m.parent else None
        if parent is None or parent.kind != m.kind:
            tops.setdefault(m.kind, []).append(m.id)
    units: dict[str, str] = {}
    per_kind: dict[str, list[float | None]] = {}
    for kind, meters in tops.items():
        sums: list[float | None] | None = None
        for mid in meters:
            units[kind], by_month = monthly_use(store, site, mid, start, end)
            vals = list(by_month.values())
            sums = vals if sums is None else [_add(a, b) for a, b in zip(sums, vals, strict=True)]
        per_kind[kind] = sums or []
    months = []
    for i, (label, produced) in enumerate(p_months.items()):
        use = {k: v[i] for k, v in per_kind.items()}
        enpi = {k: (u / produced if u is not None and produced else None) for k, u in use.items()}
        months.append(EnpiMonth(label, produced, use, enpi))
    return EnpiTrend(
        site.site.id,
        prod,
        p_unit,
        units,
        {k: tuple(v) for k, v in tops.items()},
        tuple(months),
    )


def _add(a: float | None, b: float | None) -> float | None:
    return a + b if a is not None and b is not None else None


def monthly_use(
    store: SeriesStore,
    site: SiteConfig,
    meter: str,
    start: date,
    end: date,
    base_dir: Path | None = None,
) -> tuple[str, dict[str, float | None]]:
    """(unit, {YYYY-MM: counter advance}) of a meter's counter per local month of
    [start, end): the sum of its local days' use (``services.series``), None when a day is
    unknown or estimated (spread over a gap)."""
    m = site_meter(site, meter)
    spec = counter_of(m, base_dir)
    if spec is None:
        raise ConfigError(f"meter {meter!r}: its profile has no counter quantity")
    tz = site.site.timezone
    t0, t1 = pd.Timestamp(start).tz_localize(tz), pd.Timestamp(end).tz_localize(tz)
    s = series(store, site, meter, spec.quantity, t0, t1, width_s=DAY_S, base_dir=base_dir)
    out: dict[str, float | None] = {}
    for b in s.buckets:
        key = pd.Timestamp(b.start).tz_convert(tz).strftime("%Y-%m")
        if key not in out:
            out[key] = 0.0
        prev = out[key]
        # a day whose use was spread over a gap (estimated) is not a measured day: no EnPI on it
        known = b.use is not None and not b.estimated
        out[key] = prev + b.use if prev is not None and known and b.use is not None else None
    return s.unit, out
