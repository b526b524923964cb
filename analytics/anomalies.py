"""Anomaly detectors: pandas series in, ``plantmeter.store.Flag`` list out.

Each detector documents what it flags, its parameters and the detection delay its
test holds it to. A flag's reason is a ``plantmeter.text.Text``: stored in English (``reason``)
and as a message id with its parameters (``message``), so the dashboard, the reports and the
alert e-mails show it in the reader's language. Series must have a tz-aware DatetimeIndex (local time for the
schedule- and night-based detectors).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from plantmeter.i18n import N_
from plantmeter.store import Flag
from plantmeter.text import Day, Duration, Num, Pct, Text

from .flagref import Costing, when_text
from .kernels import (
    RESET,
    ROLLOVER,
    counter_deltas,
    cusum_episodes,
    equal_runs,
    ewma_excursions,
    excess_cusum,
    night_minimum,
    rolling_median_mad,
    run_lengths,
    spike_mask,
    threshold_runs,
)

__all__ = [
    "DETECTORS",
    "Target",
    "baseload_drift",
    "comm_gaps",
    "counter_events",
    "excess_ramp_delay_days",
    "excess_step_delay_days",
    "excess_use",
    "impossible_values",
    "out_of_hours",
    "residual_cusum",
    "residual_ewma",
    "spikes",
    "stuck",
    "water_leak",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Target:
    """Which series a detector looks at (copied into every flag)."""

    site: str
    meter: str
    quantity: str = ""


def _ms(index: pd.DatetimeIndex) -> np.ndarray:
    return (
        index.as_unit("ms").asi8 if index.tz is None else index.tz_convert("UTC").as_unit("ms").asi8
    ).astype(np.int64)


def _said(text: Text) -> dict[str, str]:
    """A flag's ``reason`` (English) and ``message`` (the same, to translate when shown)."""
    return {"reason": text.english(), "message": text.dumps()}


def _g(x: float) -> Num | str:
    """A register value as ``{x:g}`` shows it (six significant digits, ungrouped: 98000), in
    the reader's decimal mark."""
    return Num(x, None, grouped=False) if math.isfinite(x) else ("∞" if x > 0 else "-∞")


def _flags(
    tg: Target,
    kind: str,
    index: pd.DatetimeIndex,
    starts: np.ndarray,
    ends: np.ndarray,
    severity: str,
    reason_fn,  # type: ignore[no-untyped-def]
    detector: str,
    step_ms: int = 0,
) -> list[Flag]:
    ms = _ms(index)
    out = []
    for s, e in zip(starts, ends, strict=True):
        last = ms[e - 1] + step_ms if e - 1 < len(ms) else ms[-1]
        out.append(
            Flag(
                site=tg.site,
                meter=tg.meter,
                kind=kind,
                start_ms=int(ms[s]),
                end_ms=int(last),
                severity=severity,
                quantity=tg.quantity,
                detector=detector,
                **_said(reason_fn(int(s), int(e))),
            )
        )
    return out


def residual_cusum(
    tg: Target,
    observed: pd.Series,
    predicted: pd.Series,
    sigma: float,
    k: float = 0.5,
    h: float = 5.0,
) -> list[Flag]:
    """CUSUM on (observed - predicted) / sigma; alarms past h sigma-units (k = slack).

    A sustained shift of 1 sigma alarms after about h / (1 - k) = 10 intervals.
    """
    z = ((observed - predicted) / sigma).to_numpy(dtype=float)
    st, al, en, dr = cusum_episodes(z, k, h)
    idx = pd.DatetimeIndex(observed.index)
    out = []
    for s, a, e, d in zip(st, al, en, dr, strict=True):
        ex = float(np.nansum((observed - predicted).to_numpy()[s:e]))
        above = d > 0
        out += _flags(
            tg,
            "cusum",
            idx,
            np.array([s]),
            np.array([e]),
            "warning" if d > 0 else "info",
            lambda s_, e_, a=a, ex=ex, above=above: Text(
                N_(
                    "use above baseline: CUSUM passed {h} sigma at {at} (cumulated {total} over "
                    "{n} intervals, sigma {sigma})"
                )
                if above
                else N_(
                    "use below baseline: CUSUM passed {h} sigma at {at} (cumulated {total} over "
                    "{n} intervals, sigma {sigma})"
                ),
                h=Num(h, None),
                at=str(idx[a]),
                total=Num(ex, None, signed=True, sig=4),
                n=Num(e_ - s_),
                sigma=Num(sigma, None, sig=4),
            ),
            "residual_cusum",
        )
    return out


def residual_ewma(
    tg: Target,
    observed: pd.Series,
    predicted: pd.Series,
    sigma: float,
    lam: float = 0.2,
    limit: float = 3.0,
    persistence: int = 3,
) -> list[Flag]:
    """EWMA of standardized residuals outside +-limit EWMA-sigma for >= persistence intervals."""
    z = ((observed - predicted) / sigma).to_numpy(dtype=float)
    st, en = ewma_excursions(z, lam, limit, persistence)
    idx = pd.DatetimeIndex(observed.index)
    return _flags(
        tg,
        "ewma",
        idx,
        st,
        en,
        "warning",
        lambda s, e: Text(
            N_(
                "EWMA(lambda={lam}) of residuals beyond {limit} sigma for {n} intervals; mean "
                "excess {excess}"
            ),
            lam=Num(lam, None),
            limit=Num(limit, None),
            n=Num(e - s),
            excess=Num(float(np.nanmean(z[s:e]) * sigma), None, signed=True, sig=4),
        ),
        "residual_ewma",
    )


def excess_use(
    tg: Target,
    observed: pd.Series,
    expected: pd.Series,
    sigma: float,
    costing: Costing | None = None,
    k: float = 0.5,
    h: float = 5.0,
    window: int = 28,
) -> list[Flag]:
    """Use above its expectation, for as long as it lasts, valued at the tariff (M&T CUSUM).

    ``observed``/``expected`` are daily use on a local-day index, ``sigma`` the daily residual
    spread on the reference days (inflated for autocorrelation by the caller). Use below the
    expectation is savings, never a flag; the kernel (``kernels.excess_cusum``) measures excess
    against min(0, the median residual of the ``window`` days before the last ``window``), so
    a meter whose options already save is judged against what it used a month or two ago,
    not against the old baseline (an excess smaller than a saving made in the last 1-2 months
    shows only once the level has learnt the saving).

    Documented delay: a sustained excess of d sigma a day alarms on the first day n with n (d - k) > h
    (d = 2: 4 days; d = 1: 11 days; ``excess_step_delay_days``); a drift of a sigma a day per
    day after ``excess_ramp_delay_days(a)`` days (both promised while shorter than ``window``,
    plus the day it takes to complete a day). Clean data: one-sided CUSUM k 0.5, h 5 has an
    in-control run length of about 930 days (Siegmund's approximation).
    """
    r = (observed - expected.reindex(observed.index)).to_numpy(dtype=float)
    st, al, en, level = excess_cusum(r, float(sigma), k, h, window)
    idx = pd.DatetimeIndex(observed.index)
    ms = _ms(idx)
    costing = costing or Costing()
    prices = costing.day_price(idx)
    out = []
    for s, a, e in zip(st, al, en, strict=True):
        excess = r[s:e] - level[s:e]
        days = max(int(np.isfinite(excess).sum()), 1)
        per_day = float(np.nansum(excess)) / days
        money = None if prices is None else float(np.nansum(excess * prices[s:e])) / days
        end = int(ms[e - 1]) + 86_400_000
        text = Text(
            N_(
                "{amount} a day more than expected since {since}, {cost} (found on {found}: the "
                "sum of excess passed {h} σ, σ = {sigma} a day; {days} days)"
            )
            if e < len(r)
            else N_(
                "{amount} a day more than expected since {since}, {cost} (found on {found}: the "
                "sum of excess passed {h} σ, σ = {sigma} a day; {days} days, still on)"
            ),
            amount=costing.quantity(per_day),
            since=Day(idx[s].date(), "d MMM y"),
            cost=costing.per_day_text(per_day, money),
            found=Day(idx[a].date(), "d MMM"),
            h=Num(h, None),
            sigma=costing.quantity(sigma),
            days=Num(days),
        )
        out.append(
            Flag(
                tg.site,
                tg.meter,
                "excess",
                int(ms[s]),
                end,
                "warning",
                quantity=tg.quantity,
                detector="excess_use",
                excess_per_day=per_day,
                cost_per_day=money,
                **_said(text),
            )
        )
    return out


def excess_step_delay_days(d: float, k: float = 0.5, h: float = 5.0) -> int:
    """Documented delay of ``excess_use`` for a sustained excess of ``d`` sigma a day: the first
    day n with n (d - k) > h (d = 2: 4 days, d = 1: 11 days); a step no larger than k is not
    promised to be found (-1)."""
    return math.floor(h / (d - k)) + 1 if d > k else -1


def excess_ramp_delay_days(a: float, k: float = 0.5, h: float = 5.0, margin: float = 2.0) -> int:
    """Documented delay of ``excess_use`` for an excess that grows by ``a`` sigma a day (a drift):
    the first day n with a n (n + 1) / 2 - k n - margin sqrt(n) > h, i.e. the CUSUM of the mean
    path passes h even when the noise of n days sits ``margin`` standard deviations low (found by
    then in about 98 % of cases at the default margin 2)."""
    if a <= 0:
        return -1
    n = 1
    while a * n * (n + 1) / 2 - k * n - margin * math.sqrt(n) <= h:
        n += 1
    return n


def baseload_drift(
    tg: Target,
    usage: pd.Series,
    ref_days: int = 28,
    window_days: int = 14,
    threshold: float = 0.15,
    persistence_days: int = 7,
) -> list[Flag]:
    """Daily base load (5th percentile of hourly use) drifting above its reference.

    Reference: median base load of the first ``ref_days``. Flags runs of
    >= ``persistence_days`` days where the trailing ``window_days`` median exceeds
    the reference by ``threshold``. A 25 % step is flagged within ~window/2 + persistence days.
    """
    daily = usage.resample("D").quantile(0.05)
    v = daily.to_numpy(dtype=float)
    if np.isfinite(v[:ref_days]).sum() < ref_days // 2:
        return []
    ref = float(np.nanmedian(v[:ref_days]))
    med, _ = rolling_median_mad(v, window_days, window_days // 2)
    mask = med > ref * (1 + threshold) if ref > 0 else med > threshold
    st, en = run_lengths(np.asarray(mask, dtype=np.bool_), persistence_days)
    idx = pd.DatetimeIndex(daily.index)
    return _flags(
        tg,
        "baseload_drift",
        idx,
        st,
        en,
        "warning",
        lambda s, e: Text(
            N_("base load {load} vs reference {reference} (+{rise}) for {days} days"),
            load=Num(float(np.nanmedian(v[s:e])), None, sig=4),
            reference=Num(ref, None, sig=4),
            rise=Pct(float(np.nanmedian(v[s:e]) / ref - 1)),
            days=Num(e - s),
        ),
        "baseload_drift",
        86_400_000,
    )


def out_of_hours(
    tg: Target,
    usage: pd.Series,
    occupied: pd.Series,
    ref: slice | None = None,
    k: float = 6.0,
    frac: float = 0.3,
    min_hours: int = 4,
    expected: pd.Series | None = None,
    costing: Costing | None = None,
) -> list[Flag]:
    """Use during unoccupied hours (nights, non-production days) well above normal.

    ``occupied`` is a boolean series on the usage index (the production schedule).
    Threshold: off-hours median + max(k * 1.4826 * MAD, frac * (on-hours median -
    off-hours median)), from the ``ref`` slice (default: the whole series). Flags
    runs of >= ``min_hours`` off-hours intervals above it, e.g. a compressor left on
    over a weekend. With ``expected`` (the baseline model's prediction) the test runs
    on usage - expected, which removes weather and sharpens it: flagged from the first
    off-hours interval, reported after ``min_hours``; without it, hot off-hours can
    hide the first hours (the test allows 12 h).
    """
    u = usage.to_numpy(dtype=float)
    if expected is not None:
        u = u - expected.reindex(usage.index).to_numpy(dtype=float)
    occ = occupied.reindex(usage.index).fillna(False).to_numpy(dtype=bool)
    r = slice(None) if ref is None else ref
    off_ref = u[r][~occ[r] & np.isfinite(u[r])]
    on_ref = u[r][occ[r] & np.isfinite(u[r])]
    if off_ref.size < 24 or on_ref.size < 24:
        return []
    med = float(np.median(off_ref))
    mad = float(np.median(np.abs(off_ref - med)))
    spread = 0.0 if expected is not None else frac * (float(np.median(on_ref)) - med)
    thr = med + max(k * 1.4826 * mad, spread)
    mask = (~occ) & (u > thr)
    st, en = run_lengths(mask, min_hours)
    idx = pd.DatetimeIndex(usage.index)
    ms = _ms(idx)
    step = _step_ms(idx)
    costing = costing or Costing()
    prices = costing.hourly_price(idx)
    hours_per_step = step / 3_600_000 if step else 1.0
    out = []
    for s, e in zip(st, en, strict=True):
        extra = u[s:e] - med
        total = float(np.nansum(extra))
        money = None if prices is None else float(np.nansum(extra * prices[s:e]))
        days = max(1.0, (e - s) * hours_per_step / 24.0)
        text = Text(
            N_(
                "{rate} above its normal out-of-hours use since {since}, for {hours} h ({total} "
                "extra), {cost}"
            ),
            rate=costing.quantity(total / ((e - s) * hours_per_step), costing.rate_unit),
            since=when_text(int(ms[s]), str(idx.tz or "UTC")),
            hours=Num((e - s) * hours_per_step, None),
            total=costing.quantity(total),
            cost=costing.per_day_text(total / days, None if money is None else money / days),
        )
        out.append(
            Flag(
                tg.site,
                tg.meter,
                "out_of_hours",
                int(ms[s]),
                int(ms[e - 1]) + step,
                "warning",
                quantity=tg.quantity,
                detector="out_of_hours",
                excess_per_day=total / days,
                cost_per_day=None if money is None else money / days,
                **_said(text),
            )
        )
    return out


def _step_ms(idx: pd.DatetimeIndex) -> int:
    if len(idx) < 2:
        return 0
    return int(pd.Series(idx).diff().median() / pd.Timedelta(milliseconds=1))


def stuck(tg: Target, values: pd.Series, min_len: int = 12, skip_value: float = 0.0) -> list[Flag]:
    """Flat-lined meter: >= ``min_len`` identical consecutive readings (``skip_value``,
    by default 0, excluded: a plant can legitimately be off). Flagged at ``min_len``."""
    v = values.to_numpy(dtype=float)
    st, en = equal_runs(v, min_len, skip_value)
    idx = pd.DatetimeIndex(values.index)
    return _flags(
        tg,
        "stuck",
        idx,
        st,
        en,
        "warning",
        lambda s, e: Text(
            N_("{n} identical readings ({value}): meter or register stuck"),
            n=Num(e - s),
            value=_g(float(v[s])),
        ),
        "stuck",
    )


def counter_events(
    tg: Target, counter: pd.Series, rollover: float = 0.0, max_rate_per_h: float = 0.0
) -> list[Flag]:
    """Counter resets (critical: the interval's use is unknown) and rollovers (info).

    A drop of at most a millionth of the counter (floating-point jitter of a counter at rest)
    is not a reset. Documented delay: the reading after the reset (one interval)."""
    idx = pd.DatetimeIndex(counter.index)
    ms = _ms(idx)
    _, start, status = counter_deltas(
        ms, counter.to_numpy(dtype=float), rollover, 0, max_rate_per_h
    )
    v = counter.to_numpy(dtype=float)
    out = []
    for i in np.flatnonzero((status == RESET) | (status == ROLLOVER)):
        reset = status[i] == RESET
        prev = v[:i][np.isfinite(v[:i])][-1]
        if reset and prev - v[i] <= 1e-6 * max(1.0, abs(prev)):
            continue  # floating-point jitter of a resting counter, not a reset
        text = (
            Text(
                N_(
                    "counter dropped from {previous} to {current}: meter reset or replaced; the "
                    "use in this interval is unknown and left out"
                ),
                previous=_g(float(prev)),
                current=_g(float(v[i])),
            )
            if reset
            else Text(
                N_("counter rolled over {rollover} ({previous} -> {current}); use accounted"),
                rollover=_g(rollover),
                previous=_g(float(prev)),
                current=_g(float(v[i])),
            )
        )
        out.append(
            Flag(
                tg.site,
                tg.meter,
                "counter_reset" if reset else "counter_rollover",
                int(start[i]),
                int(ms[i]),
                "critical" if reset else "info",
                quantity=tg.quantity,
                detector="counter_events",
                **_said(text),
            )
        )
    return out


def spikes(
    tg: Target,
    values: pd.Series,
    window: int = 168,
    k: float = 8.0,
    floor_frac: float = 0.05,
    beyond_usual: float = 2.0,
) -> list[Flag]:
    """Isolated one-interval spikes (see ``kernels.spike_mask``): a value above (or below) both
    neighbours by more than k robust sigmas of the previous ``window`` first differences
    (sigma at least ``floor_frac`` of the median level). Flagged once the next value arrives.

    An upward spike must also exceed ``beyond_usual`` x the 99th percentile of the previous
    ``window`` values: a batch process (a CIP cycle, a daily pump run) is a sharp but usual
    peak, not a spike; likewise a downward spike must fall below the 1st percentile / ``beyond_usual``
    (a dip inside a batch is not a dropout). Spikes are therefore judged from the
    ``window + 1``-th value on."""
    v = values.to_numpy(dtype=float)
    floor = floor_frac * float(np.nanmedian(np.abs(v))) if np.isfinite(v).any() else 0.0
    mask = spike_mask(v, window, k, max(floor, 1e-12))
    if mask.any():
        # judged only once a full window of history says what is usual for this meter
        history = values.rolling(window, min_periods=window)
        high = history.quantile(0.99).shift(1).to_numpy()
        low = history.quantile(0.01).shift(1).to_numpy()
        upward = v > np.r_[np.nan, v[:-1]]
        unusual = np.where(upward, v > beyond_usual * high, v < low / beyond_usual)
        mask = mask & unusual
    st, en = run_lengths(mask, 1)
    idx = pd.DatetimeIndex(values.index)
    return _flags(
        tg,
        "spike",
        idx,
        st,
        en,
        "info",
        lambda s, e: Text(
            N_(
                "value {value} is a spike (both neighbours differ by > {k} robust sigma of the "
                "previous {window} interval-to-interval changes)"
            ),
            value=Num(float(v[s]), None, sig=4),
            k=Num(k, None),
            window=Num(window),
        ),
        "spikes",
        _step_ms(idx),
    )


def impossible_values(
    tg: Target, values: pd.Series, lo: float = 0.0, hi: float = np.inf
) -> list[Flag]:
    """Values outside the physically possible [lo, hi] (negative use, above meter capacity)."""
    v = values.to_numpy(dtype=float)
    st, en = threshold_runs(v, lo, hi, 1)
    idx = pd.DatetimeIndex(values.index)
    return _flags(
        tg,
        "impossible",
        idx,
        st,
        en,
        "critical",
        lambda s, e: Text(
            N_("{n} values outside [{low}, {high}] (first {first})"),
            n=Num(e - s),
            low=_g(lo),
            high=_g(hi),
            first=_g(float(v[s])),
        ),
        "impossible_values",
    )


def comm_gaps(tg: Target, index: pd.DatetimeIndex, max_gap: pd.Timedelta) -> list[Flag]:
    """Communication gaps: consecutive readings further apart than ``max_gap``."""
    ms = _ms(pd.DatetimeIndex(index))
    if ms.size < 2:
        return []
    d = np.diff(ms)
    lim = int(max_gap / pd.Timedelta(milliseconds=1))
    out = []
    for i in np.flatnonzero(d > lim):
        text = Text(
            N_("no reading for {gap} (limit {limit})"),
            gap=Duration(int(d[i]) / 1000.0),
            limit=Duration(max_gap.total_seconds()),
        )
        out.append(
            Flag(
                tg.site,
                tg.meter,
                "gap",
                int(ms[i]),
                int(ms[i + 1]),
                "warning",
                quantity=tg.quantity,
                detector="comm_gaps",
                **_said(text),
            )
        )
    return out


def water_leak(
    tg: Target,
    flow: pd.Series,
    threshold: float,
    nights: int = 3,
    h0: int = 1,
    h1: int = 5,
    reference_nights: int = 0,
    reference: slice | None = None,
    costing: Costing | None = None,
    spread_k: float = 5.0,
) -> list[Flag]:
    """Night minimum flow (local hours [h0, h1)) above ``threshold`` for >= ``nights`` nights.

    ``flow`` is hourly use (m³ per hour = m³/h) on a local index. With a reference (the nights
    of ``reference``, a slice of night numbers from the first day, or the first
    ``reference_nights``) the threshold is relative: the reference's median night minimum (the
    site's normal night flow: a bleed, a cooling tower) plus ``threshold``, so a leak is a rise
    of the night minimum, not any night flow; and at least ``spread_k`` robust sigmas of the
    reference's night-to-night spread above it. The flag starts at the first night hour above the
    threshold. A night counts once its window is complete, so a leak is flagged at ``h1`` on
    its ``nights``-th full night: documented delay ``nights`` days + (h1 - h0) hours (3 nights
    of 01:00-05:00: 3 days 4 hours; a leak that starts inside a night window waits for the
    next full night).
    """
    idx = pd.DatetimeIndex(flow.index)
    days = idx.normalize()
    d0 = days[0]
    day = ((days - d0) // pd.Timedelta(days=1)).to_numpy().astype(np.int64)
    ndays = int(day[-1]) + 1
    values = flow.to_numpy(dtype=float)
    hour = idx.hour.to_numpy().astype(np.int64)
    mins = night_minimum(values, hour, day, h0, h1, ndays)
    normal = 0.0
    ref = (
        reference
        if reference is not None
        else (slice(0, reference_nights) if reference_nights > 0 else None)
    )
    if ref is not None:
        ref_mins = mins[ref]
        if np.isfinite(ref_mins).sum() >= max(3, len(ref_mins) // 2):
            normal = float(np.nanmedian(ref_mins))
            spread = 1.4826 * float(np.nanmedian(np.abs(ref_mins - normal)))
            # the night flow's own night-to-night spread: a wetter week is not a leak
            threshold = normal + max(threshold, spread_k * spread)
    mask = np.isfinite(mins) & (mins > threshold)
    st, en = run_lengths(mask, nights)
    costing = costing or Costing.for_kind("water")
    dindex = pd.date_range(d0, periods=ndays, freq="D")
    prices = costing.day_price(dindex)
    ms = _ms(idx)
    out = []
    for s, e in zip(st, en, strict=True):
        night = np.flatnonzero((day == s) & (hour >= h0) & (hour < h1) & (values > threshold))
        first = int(ms[night[0]]) if night.size else int(_ms(dindex[s : s + 1])[0])
        extra = float(np.nanmedian(mins[s:e])) - normal  # m³/h that never stops
        per_day = extra * 24.0
        money = None if prices is None else per_day * float(np.mean(prices[s:e]))
        text = Text(
            N_(
                "{rate} at night since {since}, {cost} (night minimum {minimum} against a normal "
                "{normal}, {start}–{end}, {nights} nights)"
            ),
            rate=costing.quantity(extra, costing.rate_unit or "m³/h"),
            since=when_text(first, str(idx.tz or "UTC")),
            cost=costing.per_day_text(per_day, money),
            minimum=costing.quantity(float(np.nanmin(mins[s:e])), costing.rate_unit),
            normal=costing.quantity(normal, costing.rate_unit),
            start=f"{h0:02d}:00",
            end=f"{h1:02d}:00",
            nights=Num(e - s),
        )
        end = int(_ms(dindex[e - 1 : e])[0]) + 86_400_000
        out.append(
            Flag(
                tg.site,
                tg.meter,
                "leak",
                first,
                end,
                "critical",
                quantity=tg.quantity,
                detector="water_leak",
                excess_per_day=per_day,
                cost_per_day=money,
                **_said(text),
            )
        )
    return out


DETECTORS = (
    "residual_cusum",
    "residual_ewma",
    "baseload_drift",
    "out_of_hours",
    "stuck",
    "counter_events",
    "excess_use",
    "spikes",
    "impossible_values",
    "comm_gaps",
    "water_leak",
)
