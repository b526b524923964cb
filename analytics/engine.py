"""The analytics engine: every flag detector and the savings, for one meter or many, no store.

``detect_meter`` runs on one meter's raw frame exactly the detectors ``plantmeter flags`` runs
(``analytics.anomalies`` over the ``analytics.kernels``); ``detect_site`` runs it on many meters
of a site at once, choosing each meter's drivers the way ``flags`` does (the plan's driver
meters, else the site's). Both are pure functions of frames and plain objects: ``jobs.run_flags``
reads the store and calls ``detect_site``; ``analytics.portfolio`` adds the savings
(``analytics.api.compute_savings``, what the reports run) and a Dask worker can call either on a
chunk of meters. There is no second implementation of any detector.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from plantmeter.counters import CounterSpec, stored_counter
from plantmeter.errors import AnalyticsError
from plantmeter.ranges import PLAUSIBLE
from plantmeter.store import Flag

from .expectation import DRIVER_KINDS, daily_expectation, site_drivers
from .flagref import Costing, MeterReference

__all__ = [
    "MeterData",
    "SiteFlags",
    "counter_to_hourly",
    "detect_meter",
    "detect_site",
    "expected_daily",
    "meter_drivers",
    "rank_flags",
]

logger = logging.getLogger(__name__)


def counter_to_hourly(
    counter: pd.Series, rollover: float = 0.0, max_rate_per_h: float = 0.0
) -> tuple[pd.DataFrame, np.ndarray]:
    """Hourly use (sum, coverage) from a raw counter series; also the per-reading status.

    ``rollover`` and ``max_rate_per_h`` come from the meter's ``plantmeter.counters.CounterSpec``
    (0 = unknown): a drop within them is a wrap whose use is kept, any other drop a reset.
    """
    from .kernels import OK, ROLLOVER, bin_intervals, counter_deltas

    s = counter.dropna()
    idx = pd.DatetimeIndex(s.index).tz_convert("UTC")
    ms = idx.as_unit("ms").asi8.astype(np.int64)
    step = int(np.median(np.diff(ms))) if ms.size > 1 else 3_600_000
    delta, start, status = counter_deltas(
        ms, s.to_numpy(dtype=float), rollover, 5 * step, max_rate_per_h
    )
    h = 3_600_000
    t0 = (ms[0] // h) * h
    nb = int((ms[-1] - t0) // h) + 1
    cover = ((status == OK) | (status == ROLLOVER)).astype(np.int64)
    sums, cov = bin_intervals(start, ms, delta, cover, t0, h, nb)
    out_idx = pd.date_range(pd.Timestamp(t0, unit="ms", tz="UTC"), periods=nb, freq="h")
    return pd.DataFrame({"usage": sums, "coverage": cov}, index=out_idx), status


GAUGE_SPIKES = {"electricity": ("power_total",), "water": ("flow_rate",), "gas": ("flow_rate",)}


def _longest_equal_run(values: np.ndarray) -> int:
    """The longest run of equal consecutive values (1 for fewer than two values)."""
    from .kernels import run_lengths

    st, en = run_lengths(values[1:] == values[:-1], 1)
    return 1 + int((en - st).max()) if st.size else 1


def _frozen_counter(tg: object, raw: pd.Series, step: pd.Timedelta, ref: slice) -> list[Flag]:
    """A counter that stops moving for longer than it ever did in its reference weeks.

    A plant that is off (nights, weekends) legitimately leaves a counter flat; the reference
    says for how long, and only a longer flat run is a stuck meter or register.
    """
    from . import anomalies as an

    if raw.empty or pd.isna(step) or step <= pd.Timedelta(0):
        return []
    per_hour = max(1, int(pd.Timedelta(hours=1) / step))
    values = raw.to_numpy(dtype=float)
    reference = values[ref]
    min_len = max(6 * per_hour, int(1.5 * _longest_equal_run(reference)) + 1)
    return an.stuck(tg, raw, min_len=min_len)  # type: ignore[arg-type]


REFERENCE_DAYS = 28
"""Without a plan, the detectors learn what is normal from the first four weeks they see."""


def _positions(index: pd.DatetimeIndex, t0: pd.Timestamp, t1: pd.Timestamp) -> slice:
    """The positions of ``index`` inside [t0, t1)."""
    return slice(int(index.searchsorted(t0)), int(index.searchsorted(t1)))


def _autocorrelation_factor(residuals: np.ndarray) -> float:
    """sqrt((1 + rho) / (1 - rho)) for the lag-1 autocorrelation rho > 0 of the reference
    residuals (1 for rho <= 0): the spread of a sum of autocorrelated days, per day, so the
    CUSUM of excess does not read a run of warm or busy days as a fault."""
    r = residuals[np.isfinite(residuals)]
    if r.size < 10:
        return 1.0
    r = r - r.mean()
    rho = float(np.sum(r[1:] * r[:-1]) / np.sum(r * r)) if np.sum(r * r) > 0 else 0.0
    rho = min(max(rho, 0.0), 0.9)
    return float(np.sqrt((1 + rho) / (1 - rho)))


def detect_meter(
    site: str,
    meter: str,
    kind: str,
    frame: pd.DataFrame,
    tz: str = "UTC",
    drivers: pd.DataFrame | None = None,
    reference: MeterReference | None = None,
    costing: Costing | None = None,
    counter: CounterSpec | None = None,
) -> list[Flag]:
    """All detectors that apply to one meter's raw frame (columns = quantities).

    ``drivers`` (hourly ``production`` / ``temperature``, see ``expectation.site_drivers``)
    make the excess detector compare with a driver-based baseline instead of weekday means.
    ``reference`` (from the M&V plan: its baseline period) is what normal is learnt from;
    without it, the first four weeks of the frame. ``costing`` (units, tariff) values excess.
    ``counter`` is the meter's counter (``plantmeter.counters.meter_counter``: quantity, wrap
    modulus, plausible rate); without it the counter is picked from the stored columns, with no
    wrap known (``plantmeter.counters.stored_counter``). Flags come ranked: the costliest
    excess first (see ``rank_flags``).
    """
    from . import anomalies as an
    from .kernels import occupancy

    flags: list[Flag] = []
    if frame.empty:
        return flags
    costing = costing or Costing.for_kind(kind)
    first = pd.DatetimeIndex(frame.index)[0]
    ref_t0, ref_t1 = (
        (reference.start, reference.end)
        if reference is not None
        else (first, first + pd.Timedelta(days=REFERENCE_DAYS))
    )
    step = pd.Series(frame.index).diff().median()
    max_gap = max(5 * step, pd.Timedelta(minutes=5)) if pd.notna(step) else pd.Timedelta(hours=1)
    spec = stored_counter(counter, kind, list(frame.columns))
    if spec is None:
        for q in frame.columns:
            s = frame[q].dropna()
            tg = an.Target(site, meter, q)
            flags += an.comm_gaps(tg, pd.DatetimeIndex(s.index), max_gap)
            flags += an.stuck(
                tg, s, min_len=max(12, int(pd.Timedelta(hours=6) / step)) if pd.notna(step) else 12
            )
            if q in PLAUSIBLE:
                flags += an.impossible_values(tg, s, *PLAUSIBLE[q])
        return flags
    raw = frame[spec.quantity].dropna()
    tg = an.Target(site, meter, spec.quantity)
    flags += an.comm_gaps(tg, pd.DatetimeIndex(raw.index), max_gap)
    flags += an.counter_events(tg, raw, spec.rollover, spec.max_rate_per_h)
    if kind not in DRIVER_KINDS:
        ref_raw = _positions(pd.DatetimeIndex(raw.index), ref_t0, ref_t1)
        flags += _frozen_counter(tg, raw, step, ref_raw)
    for gauge in GAUGE_SPIKES.get(kind, ()):
        if gauge in frame.columns:  # a glitch in an instantaneous reading (power, flow)
            flags += an.spikes(an.Target(site, meter, gauge), frame[gauge].dropna(), window=672)
    hourly, _ = counter_to_hourly(raw, spec.rollover, spec.max_rate_per_h)
    use = hourly["usage"].where(hourly["coverage"] > 0).tz_convert(tz)
    if kind in DRIVER_KINDS:
        # a production counter is a driver, not a consumption: it rests over weekends and
        # holidays and runs when the plant decides; only its data quality is checked
        return rank_flags(flags)
    flags += an.stuck(tg, use, min_len=12)
    flags += an.spikes(tg, use)
    ref = _positions(pd.DatetimeIndex(use.index), ref_t0, ref_t1)
    ref_use = use.iloc[ref].dropna()
    if len(ref_use) >= 24 * 14 and len(use) >= 24 * 35:
        # schedule learned from the reference (hours of week mostly above the median)
        tow = (ref_use.index.day_of_week * 24 + ref_use.index.hour).to_numpy().astype(np.int64)
        occ_tow = occupancy(
            np.zeros(len(ref_use)), tow, ref_use.to_numpy(dtype=float), 0.0, 0.0, 0.65
        )
        all_tow = (use.index.day_of_week * 24 + use.index.hour).to_numpy()
        occupied = pd.Series(occ_tow[all_tow], index=use.index)
        if occ_tow.any() and not occ_tow.all():
            flags += an.out_of_hours(tg, use, occupied, ref=ref, costing=costing)
        got = _expectation(use, drivers, ref_t0, ref_t1)
        if got is not None:
            flags += an.excess_use(tg, *got, costing)
    if kind == "water":
        pos = use[use > 0]
        if len(pos):
            # a rise of the night minimum above the site's own normal night flow (the reference)
            nights = _positions(
                pd.date_range(use.index[0].normalize(), use.index[-1], freq="D"), ref_t0, ref_t1
            )
            flags += an.water_leak(
                tg, use, threshold=0.1 * float(pos.median()), reference=nights, costing=costing
            )
    return rank_flags(flags)


def _expectation(
    use: pd.Series, drivers: pd.DataFrame | None, ref_t0: pd.Timestamp, ref_t1: pd.Timestamp
) -> tuple[pd.Series, pd.Series, float] | None:
    daily = use.resample("D").sum(min_count=20)
    ref_days = _positions(pd.DatetimeIndex(daily.index), ref_t0, ref_t1)
    expectation = daily_expectation(daily, drivers, reference=ref_days)
    if expectation is None:
        return None
    expected, sigma = expectation
    factor = _autocorrelation_factor((daily - expected).to_numpy(dtype=float)[ref_days])
    return daily, expected, sigma * factor


def expected_daily(
    frame: pd.DataFrame,
    kind: str,
    tz: str = "UTC",
    drivers: pd.DataFrame | None = None,
    reference: MeterReference | None = None,
    counter: CounterSpec | None = None,
) -> tuple[pd.Series, pd.Series, float] | None:
    """(daily use, its expectation, the sigma the excess detector uses) of a consumption meter,
    as ``detect_meter`` computes them (None when no expectation can be set): what a documented
    delay of ``anomalies.excess_use`` is computed from."""
    spec = stored_counter(counter, kind, list(frame.columns))
    if spec is None or frame.empty:
        return None
    first = pd.DatetimeIndex(frame.index)[0]
    ref_t0, ref_t1 = (
        (reference.start, reference.end)
        if reference is not None
        else (first, first + pd.Timedelta(days=REFERENCE_DAYS))
    )
    hourly, _ = counter_to_hourly(frame[spec.quantity].dropna(), spec.rollover, spec.max_rate_per_h)
    use = hourly["usage"].where(hourly["coverage"] > 0).tz_convert(tz)
    return _expectation(use, drivers, ref_t0, ref_t1)


SEVERITY_RANK = {"critical": 0, "warning": 1, "info": 2}


def rank_flags(flags: Sequence[Flag]) -> list[Flag]:
    """Flags in the order a plant manager acts on them: the costliest excess a day first (money
    where a tariff is known, else use), then the other flags by severity, oldest first."""

    def key(f: Flag) -> tuple[int, float, int, int]:
        if f.cost_per_day is not None:
            return (0, -f.cost_per_day, 0, f.start_ms)
        if f.excess_per_day is not None:
            return (1, -f.excess_per_day, 0, f.start_ms)
        return (2, 0.0, SEVERITY_RANK.get(f.severity, 3), f.start_ms)

    return sorted(flags, key=key)


@dataclass(frozen=True)
class MeterData:
    """One meter's input to the engine: its raw frame (columns = quantities, tz-aware index) and
    what ``detect_meter`` needs besides (counter spec, reference, costing); no store."""

    id: str
    kind: str
    frame: pd.DataFrame
    counter: CounterSpec | None = None
    reference: MeterReference | None = None
    costing: Costing | None = None


@dataclass
class SiteFlags:
    """What ``detect_site`` found: flags per meter (ranked) and the meters it could not judge
    (meter id -> the error), so a caller records a flag run only where flags were computed."""

    flags: dict[str, list[Flag]] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)


def meter_drivers(
    meter: MeterData,
    frames: dict[str, MeterData],
    plan_drivers: bool,
    site_wide: pd.DataFrame | None,
) -> pd.DataFrame | None:
    """The drivers one meter's expectation uses: with ``plan_drivers`` its reference's driver
    meters (the plan's ``baselines`` entry; none named = no drivers), else (or for a meter
    without a reference) the site's."""
    ref = meter.reference
    if not plan_drivers or ref is None:
        return site_wide
    return site_drivers(
        (kind, frames[mid].frame, frames[mid].counter)
        for kind, mid in (("temperature", ref.temperature), ("production", ref.production))
        if mid is not None and mid in frames
    )


def detect_site(
    site: str,
    meters: Sequence[MeterData],
    tz: str = "UTC",
    plan_drivers: bool = False,
    judge: Collection[str] | None = None,
) -> SiteFlags:
    """``detect_meter`` on every meter of one site (or a chunk of a portfolio's site).

    ``judge`` (meter ids) limits the meters judged; the others then only serve as drivers (a
    chunk of a large site carries the site's temperature and production meters along).

    Drivers: with ``plan_drivers`` (``flags --plan``) each meter's expectation uses the driver
    meters its ``reference`` names; otherwise all use the site's drivers (its temperature and
    production meters, ``expectation.site_drivers``). A driver meter outside ``meters`` is not
    used. One meter failing (malformed data: ``AnalyticsError``/``ValueError``) is logged and
    listed in ``SiteFlags.failed``; the others are judged.
    """
    by_id = {m.id: m for m in meters}
    site_wide = site_drivers((m.kind, m.frame, m.counter) for m in meters)
    out = SiteFlags()
    for m in meters:
        if m.frame.empty or (judge is not None and m.id not in judge):
            continue
        drivers = meter_drivers(m, by_id, plan_drivers, site_wide)
        try:
            out.flags[m.id] = detect_meter(
                site, m.id, m.kind, m.frame, tz, drivers, m.reference, m.costing, m.counter
            )
        except (AnalyticsError, ValueError) as exc:
            logger.error("flags: detectors failed on %s/%s: %s", site, m.id, exc)
            out.failed[m.id] = str(exc)
    return out
