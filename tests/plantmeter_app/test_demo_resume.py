"""A resumed demo continues every counter from where the last run left it: after a run at
``--speed 10`` the live counters are ahead of the wall clock, and a history stamped from the
newest stored reading on (what a naive resume writes) makes the analytics flag a counter reset;
the demo's resume point does not. Known truth: the simulator's own counters."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from firmware_sim import load_scenario
from firmware_sim.plant import Plant
from firmware_sim.readings import MeterReadings

from analytics.anomalies import Target, counter_events
from plantmeter_app.demo import EXAMPLE
from plantmeter_app.demo.history import history_window, resume_time
from plantmeter_app.demo.paths import DemoState
from plantmeter_app.demo.prepare import _windows

# where the first run's history ended: early in the scenario, so the counters integrate few days
T1 = datetime(2024, 1, 8, 12, 0, tzinfo=UTC).timestamp()
SPEED = 10.0
LIVE_S = 600.0  # the first run was live for 10 minutes of wall time


def _counter(readings: MeterReadings, sim_times: np.ndarray) -> np.ndarray:
    """main-elec's energy counter at the given simulated instants (the simulator's truth)."""
    return np.asarray(readings.at(np.asarray(sim_times, dtype=float))["energy_import_total"])


def _resets(stamps: np.ndarray, counter: np.ndarray) -> list[object]:
    series = pd.Series(counter, index=pd.to_datetime(stamps, unit="s", utc=True))
    return counter_events(Target("dairy", "main-elec", "energy_import_total"), series)


def test_resume_after_a_fast_run_keeps_counters_monotonic() -> None:
    scenario = load_scenario(EXAMPLE / "scenario.yaml")
    meter = MeterReadings(Plant(scenario), scenario.meter("main-elec"), scenario.faults)
    # run 1: history to T1, then 10 min live at speed 10 (the gateway stamps wall time)
    history = np.arange(T1 - 6 * 3600, T1, 3600.0)
    live_wall = np.arange(T1, T1 + LIVE_S, 60.0)
    live_sim = T1 + (live_wall - T1) * SPEED
    stored_t = np.concatenate([history, live_wall])
    stored_c = np.concatenate([_counter(meter, history), _counter(meter, live_sim)])
    assert not _resets(stored_t, stored_c)
    state = DemoState(history_end=T1, sim_time=float(live_sim[-1]) + 60.0 * SPEED)
    now = T1 + 3600.0  # run 2 starts an hour later

    # naive: history from the newest stored stamp, the simulator at the wall clock -> a reset
    naive = history_window(0.0, now, 900.0, resume=float(stored_t[-1]))
    assert naive is not None
    naive_t = np.arange(naive.start, naive.end, naive.interval)
    flags = _resets(
        np.concatenate([stored_t, naive_t]), np.concatenate([stored_c, _counter(meter, naive_t)])
    )
    assert [f.kind for f in flags] == ["counter_reset"]

    # the demo: nothing to generate below the simulated clock; live resumes at that clock
    resume = resume_time(state.history_end, state.sim_time, float(stored_t[-1]))
    assert resume == state.sim_time
    assert history_window(0.0, now, 900.0, resume=resume) is None
    sim_start = max(now, state.sim_time)
    next_wall = np.arange(now, now + 300.0, 60.0)
    next_c = _counter(meter, sim_start + (next_wall - now))
    assert not _resets(np.concatenate([stored_t, next_wall]), np.concatenate([stored_c, next_c]))


def test_first_run_windows_cover_the_baseline_year_to_now() -> None:
    from reports.load import load_plan

    scenario = load_scenario(EXAMPLE / "scenario.yaml")
    plan = load_plan(EXAMPLE / "mv-plan.yaml")
    now = datetime(2026, 6, 15, 10, 7, tzinfo=UTC).timestamp()
    full = _windows(scenario, plan, DemoState(), None, now, 3600.0, None)
    assert [w.interval for w in full] == [3600.0, 3600.0, 900.0]
    assert full[0].start == scenario.epoch(plan.base.baseline.start)  # local midnight, whole hour
    assert full[0].end == scenario.epoch(plan.base.baseline.end)  # approvable once imported
    assert full[1].start == full[0].end and full[2].start == full[1].end  # no gap, no overlap
    assert now - 900 < full[2].end <= now
    short = _windows(scenario, plan, DemoState(), None, now, 3600.0, 1.0)
    assert short[0].start == full[0].start and short[0].end == scenario.epoch(
        plan.base.baseline.end
    )
    assert short[1].start > short[0].end and short[-1].end == full[-1].end


def test_lang_sets_the_plants_locale_and_the_users_language(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--lang es``: the demo's site file says es_GT (reports and e-mails in Spanish, numbers as
    Guatemala writes them) and every demo user's pages are Spanish; an unknown language is a
    clear error before any work."""
    from dashboard.users import UserStore
    from plantmeter.config import load_site
    from plantmeter_app.cli import main
    from plantmeter_app.demo import EXAMPLE
    from plantmeter_app.demo.accounts import demo_users, ensure_users
    from plantmeter_app.demo.run import _check_lang
    from plantmeter_app.demo.sitefile import LiveEndpoints, write_site

    locale = _check_lang("es")
    live = LiveEndpoints(
        "sqlite:///x.db", "mqtt://127.0.0.1:1883", {}, 2525, "http://127.0.0.1:8000", None
    )
    site = load_site(
        write_site(EXAMPLE / "site.yaml", tmp_path / "site.yaml", live, tmp_path / "o.db", locale)
    )
    assert site.site.locale == "es_GT"
    ensure_users(tmp_path / "users.db", demo_users("dairy", "revolving-fund-3"), locale)
    ensure_users(
        tmp_path / "users.db", demo_users("dairy", "revolving-fund-3"), _check_lang("pt_BR")
    )
    with UserStore(tmp_path / "users.db") as users:
        assert {u.locale for u in users.users()} == {"pt_BR"}  # a second run switches them
    data = tmp_path / "d"
    assert main(["demo", "--lang", "fr", "--data-dir", str(data)]) == 2
    err = capsys.readouterr().err
    assert "choose one of en, es, pt_BR" in err and "Traceback" not in err, err
    assert not data.exists()  # nothing written


def test_a_second_demo_on_one_data_dir_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two demos on one --data-dir would write the same history files: the second is refused."""
    from plantmeter_app.cli import main
    from plantmeter_app.demo.paths import DemoPaths

    paths = DemoPaths(tmp_path / "d")
    paths.create()
    held = paths.acquire()
    try:
        assert main(["demo", "--chain-only", "--data-dir", str(paths.root)]) == 2
        err = capsys.readouterr().err
        assert "another plantmeter demo runs on" in err and "--data-dir" in err, err
    finally:
        held.close()
