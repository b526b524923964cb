"""Store-touching jobs (the only analytics module that talks to a SeriesStore).

``run_flags`` reads each meter through the SeriesStore port, runs the detectors that
fit its kind via ``detect_meter`` (a pure function of a frame, shippable to Dask
workers) and writes the flags back.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd

from plantmeter.counters import CounterSpec, meter_counter, stored_counter
from plantmeter.errors import AnalyticsError, StoreError
from plantmeter.ranges import PLAUSIBLE
from plantmeter.store import Flag, SeriesStore, to_ms

from .expectation import DRIVER_KINDS, daily_expectation, site_drivers

__all__ = ["MeterLike", "counter_to_hourly", "detect_meter", "run_flags"]

logger = logging.getLogger(__name__)

class MeterLike(Protocol):
    id: str
    kind: str


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


def _frozen_counter(tg: object, raw: pd.Series, step: pd.Timedelta) -> list[Flag]:
    """A counter that stops moving for longer than it ever did in its first four weeks.

    A plant that is off (nights, weekends) legitimately leaves a counter flat; the reference
    weeks say for how long, and only a longer flat run is a stuck meter or register.
    """
    from . import anomalies as an

    if raw.empty or pd.isna(step) or step <= pd.Timedelta(0):
        return []
    per_hour = max(1, int(pd.Timedelta(hours=1) / step))
    values = raw.to_numpy(dtype=float)
    reference = values[: 28 * 24 * per_hour]
    longest, run = 1, 1
    for a, b in zip(reference[:-1], reference[1:], strict=True):
        run = run + 1 if a == b else 1
        longest = max(longest, run)
    min_len = max(6 * per_hour, int(1.5 * longest) + 1)
    return an.stuck(tg, raw, min_len=min_len)  # type: ignore[arg-type]


def detect_meter(
    site: str,
    meter: str,
    kind: str,
    frame: pd.DataFrame,
    tz: str = "UTC",
    drivers: pd.DataFrame | None = None,
    counter: CounterSpec | None = None,
) -> list[Flag]:
    """All detectors that apply to one meter's raw frame (columns = quantities).

    ``drivers`` (hourly ``production`` / ``temperature``, see ``expectation.site_drivers``)
    make the residual detectors compare with a driver-based baseline instead of weekday means.
    ``counter`` is the meter's counter (``plantmeter.counters.meter_counter``: quantity, wrap
    modulus, plausible rate); without it the counter is picked from the stored columns, with no
    wrap known (``plantmeter.counters.stored_counter``).
    """
    from . import anomalies as an
    from .kernels import occupancy

    flags: list[Flag] = []
    if frame.empty:
        return flags
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
        flags += _frozen_counter(tg, raw, step)
    for gauge in GAUGE_SPIKES.get(kind, ()):
        if gauge in frame.columns:  # a glitch in an instantaneous reading (power, flow)
            flags += an.spikes(an.Target(site, meter, gauge), frame[gauge].dropna(), window=672)
    hourly, _ = counter_to_hourly(raw, spec.rollover, spec.max_rate_per_h)
    use = hourly["usage"].where(hourly["coverage"] > 0).tz_convert(tz)
    if kind in DRIVER_KINDS:
        # a production counter is a driver, not a consumption: it rests over weekends and
        # holidays and runs when the plant decides; only its data quality is checked
        return flags
    flags += an.stuck(tg, use, min_len=12)
    flags += an.spikes(tg, use)
    if len(use) >= 24 * 35:
        flags += an.baseload_drift(tg, use)
        # schedule learned from the first four weeks (hours of week mostly above the median)
        ref = use.iloc[: 24 * 28].dropna()
        tow = (ref.index.day_of_week * 24 + ref.index.hour).to_numpy().astype(np.int64)
        occ_tow = occupancy(np.zeros(len(ref)), tow, ref.to_numpy(dtype=float), 0.0, 0.0, 0.65)
        all_tow = (use.index.day_of_week * 24 + use.index.hour).to_numpy()
        occupied = pd.Series(occ_tow[all_tow], index=use.index)
        if occ_tow.any() and not occ_tow.all():
            flags += an.out_of_hours(tg, use, occupied, ref=slice(0, 24 * 28))
        daily = use.resample("D").sum(min_count=20)
        reference = daily_expectation(daily, drivers)
        if reference is not None:
            expected, sigma = reference
            flags += an.residual_cusum(tg, daily, expected, sigma)
            flags += an.residual_ewma(tg, daily, expected, sigma)
    if kind == "water":
        pos = use[use > 0]
        if len(pos):
            # a rise of the night minimum above the site's own normal night flow (first 4 weeks)
            flags += an.water_leak(
                tg, use, threshold=0.1 * float(pos.median()), reference_nights=28
            )
    return flags


def run_flags(
    store: SeriesStore,
    site_id: str,
    meters: Sequence[MeterLike],
    since: pd.Timestamp | None = None,
    tz: str = "UTC",
    reference: pd.Timestamp | None = None,
    base_dir: Path | None = None,
) -> list[Flag]:
    """Read each meter since ``since``, run its detectors, write and return the flags.

    Each meter's counter (quantity, wrap modulus, plausible rate) comes from its profile
    (``plantmeter.counters.meter_counter``; a profile file is read relative to ``base_dir``,
    the site file's folder); a meter without a profile falls back to its stored columns.

    The detectors learn what is normal (operating hours, night flow, base load, how long a
    counter rests, the daily expectation) from the first four weeks they see. ``reference``
    fixes those weeks: data is read from ``reference`` on, and only flags that reach
    ``since`` or later are kept, so runs over different windows judge by the same normal.
    Without it the reference is the first four weeks from ``since``.

    One meter failing (unreadable, malformed) is logged and skipped; the others go on.
    """
    if reference is not None and since is not None and reference > since:
        raise AnalyticsError(
            f"the reference weeks start {reference:%Y-%m-%d}, after the flags window starts "
            f"{since:%Y-%m-%d}; give a reference at or before --since"
        )
    start = reference if reference is not None else since
    out: list[Flag] = []
    frames: dict[str, pd.DataFrame] = {}
    for m in meters:
        try:
            frames[m.id] = store.read(site_id, m.id, None, start, None)
        except StoreError as exc:
            logger.error("flags: cannot read %s/%s: %s", site_id, m.id, exc)
    counters = {m.id: meter_counter(m, base_dir=base_dir) for m in meters}
    drivers = site_drivers(
        (m.kind, frames[m.id], counters[m.id]) for m in meters if m.id in frames
    )
    for m in meters:
        if m.id not in frames:
            continue
        frame = frames[m.id]
        try:
            flags = detect_meter(site_id, m.id, m.kind, frame, tz, drivers, counters[m.id])
        except (AnalyticsError, ValueError) as exc:
            logger.error("flags: detectors failed on %s/%s: %s", site_id, m.id, exc)
            continue
        if reference is not None and since is not None:
            since_ms = to_ms(since)
            flags = [f for f in flags if f.end_ms >= since_ms]
        logger.info("flags: %s/%s: %d flags", site_id, m.id, len(flags))
        out += flags
    if out:
        store.write_flags(out)
    return out
