"""Flag benchmark: ``python -m bench.flags [--seeds N] [--variation 0.10] [--phi 0.6] [--interval 900]``.

Runs the example dairy (examples/dairy: scenario, site and M&V plan) through the simulator and
the flag detectors (``analytics.engine.detect_site``, with the plan's baseline period as every
meter's reference, its drivers and tariffs) and prints, measured in the same run:

* false alarms per meter and quarter on clean history (no fault; the plan's options do happen,
  so savings must not alarm), over ``--seeds`` simulated plant histories, against the goal
  (< 1 per meter-quarter);
* for each injected fault type (leak, stuck meter, counter reset, spike, drift) the detection
  delay: the shortest stretch of data after the fault's start from which the detectors raise
  its flag (found by bisection on truncated data, i.e. as a live run would see it), against
  the delay its detector documents.

Day-to-day variation the drivers do not explain (``--variation``, relative standard deviation
of a day's use, AR(1) with ``--phi`` from day to day) is laid over the simulator's history:
real plants vary 5-15 % from day to day, far more than the per-minute noise leaves.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = [
    "FAULTS",
    "FaultCase",
    "detect_site",
    "detection_delay",
    "documented_delay",
    "false_alarms",
    "main",
    "plan_references",
    "simulate",
]

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "dairy"
COUNTER = {"electricity": "energy_import_total", "water": "volume_total"}
GAUGE = {"electricity": "power_total", "water": "flow_rate"}
FLAG_OF = {
    "leak": "leak",
    "stuck": "stuck",
    "meter_replacement": "counter_reset",
    "spike": "spike",
    "drift": "excess",
}
"""The flag kind each simulator fault must raise."""


@dataclass(frozen=True)
class FaultCase:
    """One injected fault: the simulator's fault entry and the meter it happens to."""

    name: str
    fault: dict[str, object]

    @property
    def meter(self) -> str:
        return str(self.fault["meter"])

    @property
    def flag(self) -> str:
        return FLAG_OF[str(self.fault["type"])]


def _faults(at: datetime) -> list[FaultCase]:
    return [
        FaultCase("leak", {"type": "leak", "meter": "cip-water", "start": at, "flow": 0.3}),
        FaultCase(
            "stuck meter", {"type": "stuck", "meter": "main-elec", "start": at, "duration": "12h"}
        ),
        FaultCase(
            "counter reset", {"type": "meter_replacement", "meter": "compressor", "start": at}
        ),
        FaultCase(
            "spike",
            {
                "type": "spike",
                "meter": "refrigeration",
                "start": at,
                "duration": "15m",
                "factor": 10,
            },
        ),
        FaultCase("drift", {"type": "drift", "meter": "refrigeration", "start": at, "rate": 0.02}),
    ]


FAULTS = _faults(datetime(2025, 11, 4, 8, 0, tzinfo=UTC))  # 02:00 local in Guatemala
"""The faults the benchmark injects, one at a time, at 02:00 local on Tuesday 4 November 2025
(two months after the last option, so the excess detector's level has learnt its saving)."""


def load_example() -> tuple[object, object, object]:
    """(scenario, site config, M&V plan) of the example dairy."""
    import firmware_sim

    from reports.load import load_plan

    loaded = load_plan(EXAMPLES / "mv-plan.yaml", environ={})
    plan, _ = loaded.as_of(None)
    return firmware_sim.load_scenario(EXAMPLES / "scenario.yaml"), loaded.site, plan


def plan_references(plan: object, site: object) -> tuple[dict, dict]:
    """The plan's references and costings per meter (what ``flags --plan`` uses)."""
    from reports.flagrefs import flag_references

    return flag_references(plan, site)  # type: ignore[arg-type]


def _day_factors(days: int, sd: float, phi: float, rng: np.random.Generator) -> np.ndarray:
    """1 + AR(1) noise with stationary standard deviation ``sd`` and lag-1 correlation ``phi``."""
    e = np.empty(days)
    innovation = sd * math.sqrt(1 - phi * phi)
    e[0] = rng.normal(0, sd)
    for d in range(1, days):
        e[d] = phi * e[d - 1] + rng.normal(0, innovation)
    return np.maximum(1 + e, 0.05)


def with_day_variation(
    frames: Mapping[str, pd.DataFrame],
    kinds: Mapping[str, str],
    sd: float,
    phi: float,
    tz: str,
    seed: int = 0,
) -> dict[str, pd.DataFrame]:
    """Scale each consumption meter's use of each local day by its own AR(1) day factor.

    The counter's rises are scaled (a reset or a stuck stretch stays what it is), and the
    meter's rate gauge with them, so counter and gauge still agree.
    """
    out = dict(frames)
    if sd <= 0:
        return out
    rng = np.random.default_rng([seed, 7])
    for meter, frame in frames.items():
        kind = kinds[meter]
        counter = COUNTER.get(kind)
        if counter is None or counter not in frame:
            continue
        local = pd.DatetimeIndex(frame.index).tz_convert(tz).normalize()
        day = ((local - local[0]) // pd.Timedelta(days=1)).to_numpy().astype(np.int64)
        factor = _day_factors(int(day[-1]) + 1, sd, phi, rng)[day]
        c = frame[counter].to_numpy(dtype=float)
        rise = np.diff(c, prepend=c[0])
        scaled = np.empty_like(c)
        scaled[0] = c[0]
        for i in range(1, c.size):
            scaled[i] = scaled[i - 1] + rise[i] * factor[i] if rise[i] >= 0 else c[i]
        frame = frame.copy()
        frame[counter] = scaled
        gauge = GAUGE.get(kind)
        if gauge in frame:
            frame[gauge] = frame[gauge].to_numpy(dtype=float) * factor
        out[meter] = frame
    return out


def simulate(
    scenario: object,
    start: datetime,
    end: datetime,
    interval: float = 900.0,
    seed: int | None = None,
    faults: Sequence[Mapping[str, object]] = (),
    variation: float = 0.0,
    phi: float = 0.0,
) -> dict[str, pd.DataFrame]:
    """Raw frames per meter (UTC index, one column per quantity), as the store would return."""
    from firmware_sim.history import history_frame

    # the day-to-day variation is added below (with_day_variation); the simulator's own
    # (scenario.unexplained, 8 % by default) is switched off so it is not applied twice
    quiet = {"cv": 0.0, "rho": 0.0}
    sc = scenario.model_validate(  # type: ignore[attr-defined]
        scenario.model_dump() | {"faults": list(faults), "unexplained": quiet}  # type: ignore[attr-defined]
    )
    raw = history_frame(sc, start, end, interval=interval, seed=seed)
    frames = {}
    for meter, cols in raw.items():
        idx = pd.DatetimeIndex(pd.to_datetime(cols["time"], unit="s", utc=True), name="timestamp")
        frames[meter] = pd.DataFrame(
            {q: v for q, v in cols.items() if q != "time"}, index=idx
        ).astype(float)
    kinds = {m.id: m.kind for m in sc.meters}
    return with_day_variation(frames, kinds, variation, phi, sc.site.timezone, seed or 0)


def detect_site(
    frames: Mapping[str, pd.DataFrame],
    kinds: Mapping[str, str],
    references: Mapping[str, object],
    costings: Mapping[str, object],
    tz: str,
    only: str | None = None,
) -> dict[str, list]:
    """Every meter (or ``only`` one) through the engine (``analytics.engine.detect_site``) with
    its plan reference and drivers, as ``run_flags --plan`` does, without a store."""
    from analytics.engine import MeterData, detect_site

    data = [
        MeterData(
            meter,
            kinds[meter],
            frame,
            None,
            references.get(meter),  # type: ignore[arg-type]
            costings.get(meter),
        )  # type: ignore[arg-type]
        for meter, frame in frames.items()
    ]
    found = detect_site(
        "dairy", data, tz, plan_drivers=True, judge=None if only is None else {only}
    )
    return dict(found.flags)


def false_alarms(flags: Mapping[str, list], t0: datetime, t1: datetime) -> list:
    """Flags that touch [t0, t1) (the evaluation window of a clean history)."""
    a, b = int(t0.timestamp() * 1000), int(t1.timestamp() * 1000)
    return [f for fl in flags.values() for f in fl if f.end_ms > a and f.start_ms < b]


def documented_delay(
    case: FaultCase,
    frames: Mapping[str, pd.DataFrame],
    kinds: Mapping[str, str],
    references: Mapping[str, object],
    tz: str,
    interval: float,
) -> timedelta:
    """The delay the fault's detector documents (see its docstring in analytics.anomalies)."""
    from analytics.anomalies import excess_ramp_delay_days

    step = timedelta(seconds=interval)
    if case.flag == "leak":  # at the end of its 3rd full night window (01:00-05:00)
        return timedelta(days=3, hours=4)
    if case.flag == "stuck":  # max(6 h, 1.5 x the longest rest in the reference), this meter: 6 h
        return timedelta(hours=6) + step
    if case.flag == "counter_reset":  # the reading after the reset
        return step
    if case.flag == "spike":  # once the next reading shows it was one interval
        return 2 * step
    # drift: the CUSUM of excess against the meter's own expectation and sigma
    from analytics.jobs import expected_daily

    meter = case.meter
    ref = references.get(meter)
    from analytics.expectation import site_drivers

    drivers = site_drivers(
        (kind, frames[mid])
        for kind, mid in (
            ("temperature", getattr(ref, "temperature", None)),
            ("production", getattr(ref, "production", None)),
        )
        if mid is not None and mid in frames
    )
    got = expected_daily(frames[meter], kinds[meter], tz, drivers, ref)  # type: ignore[arg-type]
    assert got is not None, f"{meter}: no daily expectation"
    daily, expected, sigma = got
    at = pd.Timestamp(case.fault["start"]).tz_convert(tz)  # type: ignore[arg-type]
    level = float(
        expected[(expected.index < at) & (expected.index >= at - pd.Timedelta(days=28))].mean()
    )
    rate = float(case.fault["rate"])  # type: ignore[arg-type]
    return timedelta(days=excess_ramp_delay_days(rate * level / sigma) + 1)


def _found(flags: Mapping[str, list], case: FaultCase, at_ms: int) -> bool:
    return any(
        f.kind == case.flag and f.end_ms >= at_ms - 3_600_000 for f in flags.get(case.meter, [])
    )


def detection_delay(
    case: FaultCase,
    frames: Mapping[str, pd.DataFrame],
    kinds: Mapping[str, str],
    references: Mapping[str, object],
    costings: Mapping[str, object],
    tz: str,
    limit: timedelta,
    resolution: timedelta,
) -> timedelta | None:
    """Shortest data stretch after the fault's start from which its flag is raised (bisection on
    truncated data, as a live run would see it); None if not found within ``limit``."""
    at = pd.Timestamp(case.fault["start"])  # type: ignore[arg-type]
    at_ms = int(at.value // 1_000_000)

    def raised(after: timedelta) -> bool:
        end = at + pd.Timedelta(after)
        cut = {m: f[f.index <= end] for m, f in frames.items()}
        return _found(
            detect_site(cut, kinds, references, costings, tz, only=case.meter), case, at_ms
        )

    if not raised(limit):
        return None
    lo, hi = timedelta(0), limit
    while hi - lo > resolution:
        mid = lo + (hi - lo) / 2
        if raised(mid):
            hi = mid
        else:
            lo = mid
    return hi


def _span(d: timedelta) -> str:
    minutes = int(round(d.total_seconds() / 60))
    days, rest = divmod(minutes, 1440)
    return (f"{days} d " if days else "") + f"{rest // 60:d} h {rest % 60:02d} min"


def _quarters(t0: datetime, t1: datetime) -> float:
    return (t1 - t0) / timedelta(days=365.25 / 4)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.flags", description=__doc__.split("\n")[0])
    p.add_argument("--seeds", type=int, default=3, help="clean plant histories (default 3)")
    p.add_argument("--variation", type=float, default=0.10, help="day-to-day sd (default 0.10)")
    p.add_argument("--phi", type=float, default=0.6, help="its lag-1 autocorrelation (0.6)")
    p.add_argument("--interval", type=float, default=900.0, help="seconds between readings")
    p.add_argument("--end", default="2026-04-01", help="end of the clean simulated history")
    p.add_argument(
        "--faults",
        nargs="*",
        default=[c.name.split()[-1] for c in FAULTS],
        help="which faults to inject (by last word: leak, meter, reset, spike, drift; default all)",
    )
    args = p.parse_args(argv)

    scenario, site, plan = load_example()
    refs, costs = plan_references(plan, site)
    tz = site.site.timezone  # type: ignore[attr-defined]
    kinds = {m.id: m.kind for m in site.meters}  # type: ignore[attr-defined]
    start = datetime.combine(plan.baseline.start, datetime.min.time(), UTC)  # type: ignore[attr-defined]
    evaluate = datetime.combine(plan.baseline.end, datetime.min.time(), UTC)  # type: ignore[attr-defined]
    end = datetime.fromisoformat(args.end).replace(tzinfo=UTC)
    print(
        f"example dairy, {len(kinds)} meters, reference = the plan's baseline "
        f"{plan.baseline.start}..{plan.baseline.end}; day-to-day variation "  # type: ignore[attr-defined]
        f"{args.variation:.0%} (AR(1) phi {args.phi}), readings every {args.interval:g} s"
    )
    t = time.perf_counter()
    total, meter_quarters = 0, 0.0
    by_kind: dict[str, int] = {}
    for seed in range(args.seeds):
        frames = simulate(
            scenario,
            start,
            end,
            args.interval,
            seed=seed + 1,
            variation=args.variation,
            phi=args.phi,
        )
        found = false_alarms(detect_site(frames, kinds, refs, costs, tz), evaluate, end)
        for f in found:
            by_kind[f.kind] = by_kind.get(f.kind, 0) + 1
            print(f"  seed {seed + 1}: false alarm {f.meter} {f.kind}: {f.reason}")
        total += len(found)
        meter_quarters += len(kinds) * _quarters(evaluate, end)
    rate = total / meter_quarters
    verdict = "meets" if rate < 1 else "MISSES"
    print(
        f"false alarms: {total} in {meter_quarters:.0f} meter-quarters of clean history = "
        f"{rate:.2f} per meter-quarter ({verdict} the goal < 1) {by_kind or ''}"
        f"  [{time.perf_counter() - t:.0f} s]"
    )
    print(
        f"per injected fault, over {args.seeds} histories (delay: data needed after the fault "
        "starts until its flag is raised):"
    )
    print(
        f"  {'fault':14s} {'meter':14s} {'flag':14s} {'found in time':>13s} "
        f"{'longest delay':>16s} {'documented':>16s}"
    )
    worst = 0
    fault_end = FAULTS[0].fault["start"] + timedelta(days=75)  # type: ignore[operator]
    for case in [c for c in FAULTS if c.name.split()[-1] in args.faults]:
        within, longest, documented = 0, timedelta(0), timedelta(0)
        for seed in range(args.seeds):
            frames = simulate(
                scenario,
                start,
                fault_end,
                args.interval,
                seed=seed + 1,
                faults=[case.fault],
                variation=args.variation,
                phi=args.phi,
            )
            doc = documented_delay(case, frames, kinds, refs, tz, args.interval)
            fine = (
                timedelta(seconds=args.interval) if doc < timedelta(days=1) else timedelta(hours=1)
            )
            delay = detection_delay(case, frames, kinds, refs, costs, tz, 3 * doc, fine)
            within += delay is not None and delay <= doc
            longest = max(longest, delay if delay is not None else timedelta(days=999))
            documented = max(documented, doc)
        worst += within < args.seeds
        shown = "not found" if longest >= timedelta(days=999) else _span(longest)
        print(
            f"  {case.name:14s} {case.meter:14s} {case.flag:14s} {within:>6d} of {args.seeds:<4d} "
            f"{shown:>16s} {_span(documented):>16s}"
        )
    return 0 if rate < 1 and worst == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
