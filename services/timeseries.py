"""A meter quantity over [start, end) at a resolution a chart can draw, read as store buckets.

**Bucket width rule** (Grafana's max data points): the smallest width of ``WIDTHS`` (1 s … 1
day) that gives at most ``points`` buckets over the range, and not below the meter's poll
interval (a bucket narrower than the poll would be mostly empty). A year at 800 points: a
year / 800 = 10.95 h, so 12 h; at 365 points or fewer, 1 day. Ranges longer than ``points``
days still get day buckets (the widest). Day buckets are the site's local days; narrower ones
are aligned in UTC (whole hours are local hours in zones on the hour).

**Per bucket**: a gauge (power, flow, temperature) gives its mean with min and max, so a peak
inside a wide bucket survives; a counter (energy, volume) gives its use in the bucket,
``analytics.buckets.use_per_bucket`` of the bucket lasts with the meter's wrap modulus
(``plantmeter.counters.meter_counter``): NaN (``None``) where the counter was reset. A counter
advance across buckets without readings is spread evenly over them and the bucket that ends
it, marked ``estimated`` (the energy is kept, not piled into one bar). The first bucket's use
needs the last reading of the bucket before the range; without one it is ``None``.

**Completeness** is buckets holding a reading / buckets in the range.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal, NamedTuple

import numpy as np
import pandas as pd

from analytics.buckets import use_per_bucket
from plantmeter.config import SiteConfig
from plantmeter.counters import stored_counter
from plantmeter.errors import ConfigError
from plantmeter.store import SeriesStore

from .meters import counter_of, quantity_kinds, site_meter

__all__ = ["DAY_S", "WIDTHS", "Bucket", "Series", "bucket_width", "buckets_in_range", "series"]

logger = logging.getLogger(__name__)

DAY_S = 86_400
WIDTHS: tuple[int, ...] = (
    1,
    2,
    5,
    10,
    15,
    30,
    60,
    120,
    300,
    600,
    900,
    1800,
    3600,
    2 * 3600,
    3 * 3600,
    6 * 3600,
    12 * 3600,
    DAY_S,
)
"""Round bucket widths in seconds, narrowest first (1 s to 1 day)."""


class Bucket(NamedTuple):
    """One bucket [start, start + width): readings in it and their statistics (None = none)."""

    start: datetime  # tz-aware, UTC
    readings: int
    mean: float | None  # gauge: mean of the readings
    min: float | None
    max: float | None
    use: float | None  # counter: its advance in the bucket
    estimated: bool = False  # counter: share of an advance across buckets without readings


@dataclass(frozen=True, slots=True)
class Series:
    """A meter quantity at one resolution: every bucket of [start, end), with its unit."""

    site: str
    meter: str
    quantity: str
    unit: str
    kind: Literal["gauge", "counter"]
    start: datetime
    end: datetime
    width_s: int
    local_days: bool  # day buckets are the site's local days (else UTC-aligned)
    buckets: tuple[Bucket, ...]

    @property
    def buckets_with_data(self) -> int:
        return sum(1 for b in self.buckets if b.readings > 0)

    @property
    def completeness(self) -> float:
        """Buckets holding a reading / buckets in the range (0.0 for an empty range)."""
        return self.buckets_with_data / len(self.buckets) if self.buckets else 0.0


def bucket_width(
    start: pd.Timestamp, end: pd.Timestamp, points: int, minimum_s: float = 0.0
) -> int:
    """The bucket width (s) for [start, end) at about ``points`` buckets (see the module rule)."""
    if points < 1:
        raise ConfigError(f"points {points!r}: ask for at least one point (a chart's pixel width)")
    span = (end - start).total_seconds()
    for w in WIDTHS:
        if w >= minimum_s and span / w <= points:
            return w
    return WIDTHS[-1]


def buckets_in_range(
    start: pd.Timestamp, end: pd.Timestamp, width_s: int, tz: str | None
) -> pd.DatetimeIndex:
    """Bucket starts (UTC) of every bucket overlapping [start, end): the store's alignment."""
    if width_s == DAY_S and tz is not None:
        first = start.tz_convert(tz).normalize()
        days = pd.date_range(first, end.tz_convert(tz), freq="D", inclusive="left")
        return pd.DatetimeIndex(days.tz_convert("UTC"), name="timestamp")
    step = pd.Timedelta(seconds=width_s)
    first = start.tz_convert("UTC").floor(step)
    return pd.date_range(
        first, end.tz_convert("UTC"), freq=step, inclusive="left", name="timestamp"
    )


def series(
    store: SeriesStore,
    site: SiteConfig,
    meter: str,
    quantity: str,
    start: datetime | pd.Timestamp,
    end: datetime | pd.Timestamp,
    *,
    points: int = 800,
    width_s: int | None = None,
    base_dir: Path | None = None,
) -> Series:
    """``quantity`` of ``meter`` over [start, end) in about ``points`` buckets (or ``width_s``).

    ``start``/``end``: instants (a naive one is the site's local time). Reads
    ``store.read_buckets`` only (never raw rows). A counter quantity gives use per bucket, any
    other quantity mean/min/max.
    """
    m = site_meter(site, meter)
    tz = site.site.timezone
    t0, t1 = _instant(start, tz), _instant(end, tz)
    if t1 <= t0:
        raise ConfigError(f"series {meter}/{quantity}: end {t1} is not after start {t0}")
    width = width_s if width_s is not None else bucket_width(t0, t1, points, m.poll)
    local = width == DAY_S
    kinds = quantity_kinds(site, m, base_dir)
    unit, qkind = kinds.get(quantity, ("", "gauge"))
    if not kinds:  # no profile: a counter is told by its name (plantmeter.counters' fallback)
        is_counter = stored_counter(None, m.kind, [quantity]) is not None
    else:
        is_counter = qkind == "counter"
    spec = counter_of(m, base_dir) if is_counter else None
    rollover = spec.rollover if spec is not None and spec.quantity == quantity else 0.0
    index = buckets_in_range(t0, t1, width, tz if local else None)
    # one bucket more before the range: the counter's last reading before the first bucket
    read_from = (
        index[0] - (pd.Timedelta(days=1) if local else pd.Timedelta(seconds=width))
        if is_counter
        else index[0]
    )
    frame = store.read_buckets(
        site.site.id,
        meter,
        "1D" if local else float(width),
        [quantity],
        read_from,
        t1,
        tz=tz if local else None,
    )
    stats = frame[quantity] if quantity in frame.columns.get_level_values(0) else None
    if stats is not None:
        stats = stats[stats["count"] > 0]
    if is_counter:
        rows = counter_buckets(stats, index, rollover)
    else:
        rows = gauge_buckets(stats, index)
    logger.debug("series %s/%s: %d buckets of %d s", meter, quantity, len(rows), width)
    return Series(
        site.site.id,
        meter,
        quantity,
        unit,
        "counter" if is_counter else "gauge",
        t0.to_pydatetime(),
        t1.to_pydatetime(),
        width,
        local,
        tuple(rows),
    )


def _instant(t: datetime | pd.Timestamp, tz: str) -> pd.Timestamp:
    ts = pd.Timestamp(t)
    return ts.tz_localize(tz) if ts.tzinfo is None else ts


def _starts(index: pd.DatetimeIndex) -> list[datetime]:
    return list(index.to_pydatetime())


def _optional(values: np.ndarray) -> list[float | None]:
    """Floats, None where not finite (one pass, no per-element numpy scalars)."""
    return [x if x == x and x not in (np.inf, -np.inf) else None for x in values.tolist()]


def gauge_buckets(stats: pd.DataFrame | None, index: pd.DatetimeIndex) -> list[Bucket]:
    """Mean, min and max per bucket of ``index`` (None where a bucket holds no reading)."""
    if stats is None:
        stats = pd.DataFrame(
            columns=["count", "mean", "min", "max"], index=pd.DatetimeIndex([], tz="UTC")
        )
    s = stats.reindex(index)
    count = s["count"].fillna(0).astype(np.int64).to_numpy().tolist()
    mean, lo, hi = (_optional(s[c].to_numpy(dtype=float)) for c in ("mean", "min", "max"))
    return [
        Bucket(t, n, a, b, c, None)
        for t, n, a, b, c in zip(_starts(index), count, mean, lo, hi, strict=True)
    ]


def counter_buckets(
    stats: pd.DataFrame | None, index: pd.DatetimeIndex, rollover: float
) -> list[Bucket]:
    """Use per bucket of ``index`` from the buckets holding readings (``stats``: ``read_buckets``
    statistics of the counter, possibly with one bucket before ``index``)."""
    inside = stats[stats.index >= index[0]] if stats is not None else None
    if stats is None or inside is None or inside.empty:
        return [Bucket(t, 0, None, None, None, None) for t in _starts(index)]
    before = stats[stats.index < index[0]]
    use = use_per_bucket(
        inside["last"],
        before=float(before["last"].iloc[-1]) if len(before) else None,
        minimum=inside["min"],
        rollover=rollover,
    ).to_numpy()
    pos = index.get_indexer(inside.index)
    values = np.full(len(index), np.nan)
    estimated = np.zeros(len(index), dtype=bool)
    counts = np.zeros(len(index), dtype=np.int64)
    counts[pos] = inside["count"].to_numpy()
    # an advance from a reading bucket further back than the bucket before is spread evenly
    # over the empty buckets and the bucket that ends it (the read-ahead bucket is position -1)
    prev = np.concatenate(([-1], pos[:-1]))
    direct = (pos - prev <= 1) | ~np.isfinite(use)
    values[pos[direct]] = use[direct]
    for p, q, u in zip(prev[~direct], pos[~direct], use[~direct], strict=True):
        values[p + 1 : q + 1] = u / (q - p)
        estimated[p + 1 : q + 1] = True
    return [
        Bucket(t, n, None, None, None, v, e)
        for t, n, v, e in zip(
            _starts(index), counts.tolist(), _optional(values), estimated.tolist(), strict=True
        )
    ]
