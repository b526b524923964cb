"""Before anything goes live: the scenario the demo runs, its history in the store and the
approved M&V plan.

The scenario is the example dairy's plus what makes a visit worth it: the variable-speed drives
deliver 16 % instead of the example's 20 % (the plan promised about 19 %: the option that
underperforms its promise, on the financed loan ``green-line-1``), a leak on ``cip-water`` that
started four nights before the first run (ongoing: the first alert round announces it) and, set
by the live part, a meter that stops answering a few minutes into the run (``run``). The example
files stay as the tests know them.
Its end moves a year past now when the example's run is over, so the live meters keep going.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from plantmeter.i18n import _, format_number, format_percent

from .history import HistoryWindow, history_window, import_history, resume_time
from .paths import DemoPaths, DemoState

__all__ = [
    "APPROVED_BY",
    "APPROVED_ON",
    "approve_plan",
    "demo_scenario",
    "leak_start",
    "load_history",
    "month_before",
]

logger = logging.getLogger(__name__)

APPROVED_BY = "plant manager, CP centre auditor, lender (demo)"
APPROVED_ON = date(2025, 3, 20)  # the day the signatories agreed the example plan
LEAK_METER = "cip-water"
UNDERPERFORMER = ("vsd-refrigeration", -0.16)  # the option and its true change in the demo
FINE_DAYS = 7  # the newest week of history at 15 min (charts of a day), the rest hourly


def leak_start(now: float, tz: str) -> float:
    """02:00 site time four nights before ``now``: the night detector has seen it by now."""
    local = datetime.fromtimestamp(now, UTC).astimezone(ZoneInfo(tz))
    start = datetime.combine(local.date() - timedelta(days=4), datetime.min.time(), local.tzinfo)
    return (start + timedelta(hours=2)).timestamp()


def demo_scenario(example: Path, state: DemoState, now: float) -> Any:
    """The example's scenario with the demo's leak and underperforming VSD; the run's end a year
    past ``now`` when the example's is nearer than a month."""
    from firmware_sim import load_scenario
    from firmware_sim.scenario import Fault

    scenario = load_scenario(example)
    if "leak_start" not in state.extra:
        state.extra["leak_start"] = str(leak_start(now, scenario.site.timezone))
    leak = datetime.fromtimestamp(float(state.extra["leak_start"]), UTC)
    option, change = UNDERPERFORMER
    update: dict[str, Any] = {
        "faults": [*scenario.faults, Fault(type="leak", meter=LEAK_METER, start=leak, flow=0.35)],
        "options": [
            o.model_copy(update={"change": change}) if o.id == option else o
            for o in scenario.options
        ],
    }
    if scenario.epoch(scenario.end) < now + 30 * 86400:
        update["end"] = datetime.fromtimestamp(now + 366 * 86400, UTC)
    return scenario.model_copy(update=update)


def _windows(
    scenario: Any,
    plan: Any,
    state: DemoState,
    stored_end: float | None,
    now: float,
    interval: float,
    months: float | None,
) -> list[HistoryWindow]:
    """What is still missing: the baseline year on, hourly; the newest week at 15 minutes."""
    baseline = scenario.epoch(plan.base.baseline.start)
    resume = resume_time(state.history_end, state.sim_time, stored_end)
    out: list[HistoryWindow] = []
    if months is not None and resume == 0:  # a short history: the baseline year, then N months
        base = history_window(baseline, scenario.epoch(plan.base.baseline.end), interval)
        if base is not None:
            out.append(base)
    fine_from = now - FINE_DAYS * 86400
    coarse = history_window(baseline, min(now, fine_from), interval, resume, months)
    if coarse is not None:
        out.append(coarse)
        resume = coarse.end
    fine_interval = min(interval, 900.0)
    fine_start = max(fine_from, baseline) if coarse is None else coarse.end
    fine = history_window(fine_start, now, fine_interval, resume, None if coarse else months)
    if fine is not None:
        out.append(fine)
    # the baseline year in a window of its own: the plan can be approved once it is stored
    return [part for w in out for part in _split(w, scenario.epoch(plan.base.baseline.end))]


def _split(window: HistoryWindow, at: float) -> list[HistoryWindow]:
    if not window.start < at < window.end or (at - window.start) % window.interval:
        return [window]
    return [
        HistoryWindow(window.start, at, window.interval),
        HistoryWindow(at, window.end, window.interval),
    ]


def load_history(
    paths: DemoPaths,
    scenario: Any,
    site: Any,
    example_dir: Path,
    store: Any,
    state: DemoState,
    plan: Any,
    *,
    interval: float,
    months: float | None,
    progress: bool,
    on_baseline: Callable[[], None] | None = None,
) -> None:
    """Generate and import what the store lacks, until it reaches now (an import takes a while:
    the minutes it took are generated again, briefly, so the live meters follow without a gap).
    ``on_baseline`` is called once the baseline year is stored (the approval can start)."""
    baseline_end = scenario.epoch(plan.base.baseline.end)
    pending = [on_baseline] if on_baseline is not None else []

    def baseline_stored(force: bool = False) -> None:
        if pending and (force or state.history_end >= baseline_end):
            pending.pop()()

    baseline_stored()
    for _attempt in range(3):
        now = time.time()
        newest = _newest(store, site.site.id)
        windows = _windows(scenario, plan, state, newest, now, interval, months)
        if not windows:
            break
        for window in windows:
            import_history(scenario, site, example_dir, store, window, paths.history, progress)
            state.history_start = state.history_start or window.start
            state.history_end = max(state.history_end, window.end)
            state.save(paths.state)
            baseline_stored()
        months = None if months is None else 1.0  # catch-up passes: only what is missing
    baseline_stored(force=True)  # a store that had the baseline before the state file knew it


def _newest(store: Any, site: str) -> float | None:
    """The newest stored reading of the site (epoch s), None for an empty store."""
    values = store.latest(site)
    if not values:
        return None
    return float(max(v.ts_ms for v in values)) / 1000.0


def approve_plan(plan_path: Path, store: Any) -> bool:
    """Approve the plan as its signatories did (baselines pinned) and its amendments, once;
    True when something was approved now (a resumed run has nothing left to approve)."""
    from plantmeter.errors import ConfigError
    from reports.approval import approve
    from reports.load import load_plan

    loaded = load_plan(plan_path)
    t0 = time.monotonic()
    try:
        new = approve(
            loaded, store, APPROVED_BY, None if loaded.approval is not None else APPROVED_ON
        )
    except ConfigError as exc:
        if "nothing to approve" in str(exc):
            return False
        raise
    for entry in new:
        for meter, fit in (entry.get("fits") or {}).items():
            st = fit["statistics"]
            logger.info(
                _("demo: pinned the baseline of {meter}: {model}, CV(RMSE) {cvrmse}, R² {r2}, "
                  "n {n}").format(
                    meter=meter, model=fit["model"]["summary"]["type"],
                    cvrmse=format_percent(st["cvrmse"], 1), r2=format_number(st["r2"], 3),
                    n=format_number(st["n"]),
                )
            )  # fmt: skip
    logger.info(
        _("demo: M&V plan approved ({n} record entries) in {seconds} s").format(
            n=format_number(len(new)), seconds=format_number(time.monotonic() - t0)
        )
    )
    return True


def month_before(now: float, tz: str) -> str:
    """YYYY-MM of the last whole month at the site."""
    local = datetime.fromtimestamp(now, UTC).astimezone(ZoneInfo(tz)).date().replace(day=1)
    prev = local - timedelta(days=1)
    return f"{prev.year:04d}-{prev.month:02d}"
