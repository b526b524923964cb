"""The SeriesStore port: where readings, anomaly flags and dead letters are kept.

Implementations live in ``ingest.stores`` (SQLite, InfluxDB); open one with
``ingest.open_store(url)``. Everything else (analytics jobs, dashboard, export)
talks to this Protocol only.

Conventions
-----------
* Timestamps are UTC integer milliseconds (``ts_ms``) on the way in, and a
  tz-aware UTC ``DatetimeIndex`` named ``timestamp`` on the way out.
* Writes are idempotent on (site, meter, quantity, ts): writing the same point
  twice keeps one copy (the last value wins), so redelivered messages never
  double-count.
* ``write_points`` and ``write_rows`` return only once the values are durable.
* Two shapes on the way in, one meaning: ``SeriesPoint`` (one value, long form) and
  ``SeriesRow`` (the values of one reading message, wide form). Ingest writes rows, since a
  message is one row and a wide store (InfluxDB: one line per row) takes it as it is;
  writing a row is the same as writing a point per value.
* Reads pushed into the store: ``latest`` (newest value and its time per meter and quantity)
  and ``read_buckets`` (first, last, min, max, mean, count per time bucket), computed by the
  store (SQLite: block summaries and numpy over packed blocks; InfluxDB: InfluxQL
  ``GROUP BY time()``), so an hourly chart of a year never moves a year of rows.
* Buckets are ``[label, label + every)`` with labels at whole multiples of ``every`` counted
  from the Unix epoch in UTC (``1h``: every UTC hour; ``1D``: UTC midnights). With
  ``tz="America/Guatemala"`` and ``every="1D"``, buckets are that zone's local days (23 or 25
  hours across a DST change), labelled by their local midnight (as an instant in UTC).
  Months are not buckets: roll daily buckets up for a monthly figure.
* A store opened read-only (``open_store(url, read_only=True)``) refuses writes with a
  ``StoreError``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple, Protocol, runtime_checkable

if TYPE_CHECKING:  # pandas costs 0.3 s to import; every CLI command, even --help, imports this
    import pandas as pd

__all__ = [
    "AGGREGATES",
    "DeadLetter",
    "Flag",
    "FlagRun",
    "LatestValue",
    "SeriesPoint",
    "SeriesRow",
    "SeriesStore",
    "bucket_ms",
    "to_ms",
]

AGGREGATES = ("first", "last", "min", "max", "mean", "count")
"""The statistics ``read_buckets`` gives per bucket and quantity, in this column order."""


class SeriesPoint(NamedTuple):
    """One stored value: a quantity of a meter at an instant.

    A NamedTuple rather than a frozen dataclass: ingest builds one per value of every message
    (28 for an SDM630), and a tuple is built about five times faster.
    """

    site: str
    meter: str
    quantity: str
    ts_ms: int
    value: float


class SeriesRow(NamedTuple):
    """Several quantities of a meter at one instant: what one reading message carries."""

    site: str
    meter: str
    ts_ms: int
    values: Mapping[str, float]


class LatestValue(NamedTuple):
    """The newest stored value of one quantity of a meter, and its time (UTC ms)."""

    site: str
    meter: str
    quantity: str
    ts_ms: int
    value: float


@dataclass(frozen=True, slots=True)
class Flag:
    """An anomaly flag: what is wrong with a meter's data, from when to when, and why."""

    site: str
    meter: str
    kind: str  # e.g. "stuck", "leak", "cusum", "gap", "counter_reset"
    start_ms: int
    end_ms: int
    severity: str  # "info" | "warning" | "critical"
    reason: str  # plain-language explanation with the numbers behind it
    quantity: str = ""
    detector: str = ""
    excess_per_day: float | None = None  # usage units a day above expectation (excess flags)
    cost_per_day: float | None = None  # what that excess costs a day, in the plan's currency
    message: str = ""  # ``reason`` as a message id and parameters (``plantmeter.text``, JSON),
    # so it can be shown in the reader's language; "" for flags stored before it existed


@dataclass(frozen=True, slots=True)
class FlagRun:
    """A record that a meter's flags were computed over [start_ms, end_ms) at ``computed_ms``.

    It is what tells "no flags" (a run covered the period and found nothing) from "flags never
    computed" (no run covered it).
    """

    site: str
    meter: str
    start_ms: int
    end_ms: int
    computed_ms: int


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A message ingest could not store, kept with the reason so nothing is silently lost."""

    received_ms: int
    topic: str
    reason: str
    detail: str
    payload: bytes


@runtime_checkable
class SeriesStore(Protocol):
    """The storage port."""

    def write_points(self, points: Sequence[SeriesPoint]) -> int:
        """Write points durably; idempotent on (site, meter, quantity, ts). Returns the count."""
        ...

    def write_rows(self, rows: Sequence[SeriesRow]) -> int:
        """Write rows durably, as ``write_points`` of each value would. Returns the values written."""
        ...

    def read(
        self,
        site: str,
        meter: str,
        quantities: Sequence[str] | None = None,
        start: pd.Timestamp | None = None,
        end: pd.Timestamp | None = None,
    ) -> pd.DataFrame:
        """Read a meter's quantities in [start, end) as a wide frame.

        Index: tz-aware UTC ``DatetimeIndex`` named ``timestamp``, sorted;
        columns: quantity names (all stored quantities when ``quantities`` is None).
        An empty frame (no rows) when nothing is stored.
        """
        ...

    def latest(self, site: str, meters: Sequence[str] | None = None) -> list[LatestValue]:
        """The newest value of every stored quantity of ``meters`` (all of the site's when
        None), sorted by (meter, quantity). Freshness is ``now - ts_ms``."""
        ...

    def read_buckets(
        self,
        site: str,
        meter: str,
        every: str | float | pd.Timedelta,
        quantities: Sequence[str] | None = None,
        start: pd.Timestamp | None = None,
        end: pd.Timestamp | None = None,
        tz: str | None = None,
    ) -> pd.DataFrame:
        """Aggregates of a meter's quantities per bucket of width ``every``, over [start, end).

        ``every``: seconds, or a fixed-width pandas offset ("15min", "1h", "1D"); see
        ``bucket_ms``. ``tz`` (only with ``every`` of one day): buckets are local days.
        Index: bucket start (tz-aware UTC ``DatetimeIndex`` named ``timestamp``), only buckets
        holding a reading. Columns: a MultiIndex (quantity, statistic) with the statistics of
        ``AGGREGATES``; ``count`` is int64 (0 where a quantity has no reading in a bucket
        that another has, its other statistics then NaN), the others float64. Quantities as
        in ``read``: the given ones in that order, else those stored in the range, sorted.
        """
        ...

    def meters(self, site: str | None = None) -> list[tuple[str, str]]:
        """List the (site, meter) pairs that have stored readings."""
        ...

    def write_flags(self, flags: Sequence[Flag]) -> int:
        """Store anomaly flags; idempotent on (site, meter, kind, quantity, start)."""
        ...

    def read_flags(
        self,
        site: str | None = None,
        meter: str | None = None,
        start: pd.Timestamp | None = None,
        end: pd.Timestamp | None = None,
    ) -> list[Flag]:
        """Flags overlapping [start, end), oldest first."""
        ...

    def write_flag_runs(self, runs: Sequence[FlagRun]) -> int:
        """Record that flags were computed over each run's window; idempotent on
        (site, meter, start_ms, end_ms) (the last ``computed_ms`` wins). Returns the count."""
        ...

    def read_flag_runs(self, site: str, meter: str | None = None) -> list[FlagRun]:
        """The recorded flag runs of a site (or of one meter), by meter then start."""
        ...

    def write_dead_letters(self, letters: Sequence[DeadLetter]) -> int:
        """Keep messages that could not be stored, with their reason."""
        ...

    def read_dead_letters(self, limit: int = 1000) -> list[DeadLetter]:
        """The most recent dead letters, oldest first."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


def bucket_ms(every: str | float | pd.Timedelta, tz: str | None = None) -> int:
    """A bucket width in whole milliseconds: ``every`` in seconds, or a pandas offset.

    Raises ``StoreError`` naming the problem for a width that is not positive, not a whole
    number of milliseconds, or calendar-based ("1M", "MS": months differ in length), and for
    ``tz`` with any width but one day.
    """
    import pandas as pd

    from .errors import StoreError

    try:
        if isinstance(every, (int, float)) and not isinstance(every, bool):
            width = pd.Timedelta(seconds=float(every))
        else:
            width = pd.Timedelta(every)
    except (TypeError, ValueError):
        raise StoreError(
            f"bucket width {every!r} is not a fixed duration; give seconds or an offset such as "
            "'15min', '1h' or '1D' (months differ in length: roll daily buckets up)"
        ) from None
    ms, rest = divmod(width.value, 1_000_000)
    if width.value <= 0 or rest:
        raise StoreError(f"bucket width {every!r} must be a positive whole number of milliseconds")
    if tz is not None and ms != 86_400_000:
        raise StoreError(
            f"buckets in local time (tz={tz!r}) are days: give every='1D', or leave tz out "
            f"for {every!r} buckets aligned in UTC"
        )
    return int(ms)


def to_ms(ts: pd.Timestamp | str | None) -> int | None:
    """Convert a timestamp (naive = UTC) to UTC integer milliseconds; None stays None."""
    if ts is None:
        return None
    import pandas as pd

    t = pd.Timestamp(ts)
    if t.tzinfo is None:
        t = t.tz_localize("UTC")
    return int(t.tz_convert("UTC").value // 1_000_000)
