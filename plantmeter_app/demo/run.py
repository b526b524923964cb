"""``plantmeter demo``, start to end: prepare (history, approval, users), go live (simulator,
broker, gateway, ingest in this process; the dashboard and the alert service as child
processes; the mail sink in a thread), print where to look, and stop everything on Ctrl-C."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from plantmeter.errors import ConfigError
from plantmeter.i18n import N_, _, format_number

from .accounts import demo_users, ensure_users
from .chain import Chain, free_port, live_line, stored_since
from .children import Child, start_child, wait_http
from .paths import DemoPaths, DemoState
from .prepare import (
    APPROVED_BY,
    APPROVED_ON,
    approve_plan,
    demo_scenario,
    load_history,
    month_before,
)
from .sitefile import LiveEndpoints, copy_plan, write_site

__all__ = ["DemoOptions", "run"]

logger = logging.getLogger("plantmeter.demo")

LOAN = "revolving-fund-3"  # the lender's loan: its verified savings cover its repayments
LANGUAGES = ("en", "es", "pt_BR")


@dataclass(frozen=True)
class DemoOptions:
    example: Path
    data_dir: Path
    port: int = 8000
    store: str | None = None
    broker: str | None = None
    speed: float = 1.0
    poll: float | None = None
    duration: float | None = None
    history_interval: float = 3600.0
    history_months: float | None = None
    alerts_every: float = 30.0
    anomaly_after: float = 180.0
    lang: str | None = None
    chain_only: bool = False
    log_level: str = "INFO"
    progress: bool = True


def _check_extras(options: DemoOptions) -> None:
    """Fail before any work with the extra to install (``main`` turns it into the message)."""
    if options.broker is None:
        import amqtt  # noqa: F401  (the embedded broker: the 'demo' extra)
    if options.chain_only:
        return
    import aiosmtpd  # noqa: F401  (the mail sink: the 'demo' extra)
    import numba  # noqa: F401  (approval, savings: 'analytics')
    import uvicorn  # noqa: F401  (the dashboard: 'dashboard')


LOCALES = {"en": "en", "es": "es_GT", "pt_BR": "pt_BR"}
"""``--lang`` -> the demo's locale: the dairy is in Guatemala, so Spanish is es_GT."""


def _check_lang(lang: str | None) -> str | None:
    """The demo's locale for ``--lang`` (None: the example's, and each browser's language)."""
    if lang is None:
        return None
    if lang not in LANGUAGES:
        raise ConfigError(
            _("--lang {value}: choose one of {choices}").format(
                value=repr(lang), choices=", ".join(LANGUAGES)
            )
        )
    return LOCALES[lang]


def _env(store_url: str, broker_url: str, smtp_port: int, data_dir: Path) -> None:
    """Point every part (this process's and the children's) at what the demo runs: the
    ``PLANTMETER_*`` overrides would otherwise win over the demo's site file."""
    os.environ["PLANTMETER_STORE_URL"] = store_url
    os.environ["PLANTMETER_BROKER_URL"] = broker_url
    if smtp_port:
        os.environ["PLANTMETER_SMTP_URL"] = f"smtp://127.0.0.1:{smtp_port}"
    os.environ["PLANTMETER_DATA_DIR"] = str(data_dir)


def run(options: DemoOptions) -> int:
    """The whole demo; returns the exit status (0 after Ctrl-C or ``--duration``)."""
    locale = _check_lang(options.lang)
    _check_extras(options)
    from ingest.stores import open_store
    from plantmeter.config import load_site
    from plantmeter_app.runtime import run_until_signal
    from reports.load import load_plan

    from .mail import MailSink

    paths = DemoPaths(options.data_dir.resolve())
    paths.create()
    lock = paths.acquire()  # noqa: F841 (held until the process ends)
    store_url = (
        options.store or os.environ.get("PLANTMETER_STORE_URL") or f"sqlite:///{paths.store}"
    )
    state = DemoState.load(paths.state)
    if state.store and state.store != store_url:
        logger.info(
            _("demo: the store changed ({store}); a new history is written").format(store=store_url)
        )
        state = DemoState()
    state.store = store_url
    if options.chain_only:
        return _chain_only(options, paths, store_url)
    smtp_port = free_port()
    port = options.port
    dashboard_url = f"http://127.0.0.1:{port}"
    # a first site file (the live ports follow), so that the plan and every command load it
    broker = options.broker or "mqtt://127.0.0.1:1883"  # the embedded one's port comes later
    live = LiveEndpoints(store_url, broker, {}, smtp_port, dashboard_url, options.poll)
    _env(store_url, live.broker_url, smtp_port, paths.root)
    write_site(options.example / "site.yaml", paths.site, live, paths.outbox, locale)
    copy_plan(options.example / "mv-plan.yaml", paths.plan)
    site = load_site(paths.site)
    plan = load_plan(paths.plan)
    now = time.time()
    scenario = demo_scenario(options.example / "scenario.yaml", state, now)
    # the users' Argon2 hashes take a second each: made beside the history import
    pool = ThreadPoolExecutor(1, thread_name_prefix="demo-users")
    users = pool.submit(
        ensure_users, paths.root / "users.db", demo_users(site.site.id, LOAN), locale
    )
    # the first approval (its numba kernels compile for a minute on a fresh install) runs in a
    # process of its own once the baseline year is stored, beside the import of the rest
    approval: list[Child] = []

    def approve_in_child() -> None:
        if plan.approval is None:
            approval.append(start_child("plan approval", [
                "-m", "plantmeter_app", "plan", "approve", str(paths.plan), "--by", APPROVED_BY,
                "--date", APPROVED_ON.isoformat(),
            ]))  # fmt: skip

    store = open_store(store_url)
    try:
        load_history(
            paths, scenario, site, options.example, store, state, plan,
            interval=options.history_interval, months=options.history_months,
            progress=options.progress, on_baseline=approve_in_child,
        )  # fmt: skip
        for child in approval:
            if child.process.wait() != 0:
                raise ConfigError(
                    _(
                        "the M&V plan approval failed (exit status {status}, its message is "
                        "above); the history stays in {folder}: run the demo again"
                    ).format(status=child.process.returncode, folder=paths.root)
                )
        approve_plan(paths.plan, store)  # what the record still lacks (a newer example plan)
    finally:
        for child in approval:
            child.stop(5.0)
        store.close()
        pool.shutdown()
    password = users.result()
    state.runs += 1
    state.save(paths.state)
    with MailSink(paths.mail, smtp_port):

        async def service(stop: asyncio.Event) -> None:
            await _live(options, paths, state, scenario, live, password, stop)

        run_until_signal(service)
    state.save(paths.state)
    logger.info(_(_STOPPED).format(site=paths.site))
    return 0


def _chain_only(options: DemoOptions, paths: DemoPaths, store_url: str) -> int:
    """``--chain-only``: the live data path alone (simulator, broker, gateway, ingest)."""
    from firmware_sim import load_scenario

    from plantmeter_app.runtime import run_until_signal

    scenario = load_scenario(options.example / "scenario.yaml")
    broker = options.broker or "mqtt://127.0.0.1:1883"
    live = LiveEndpoints(store_url, broker, {}, 0, "", options.poll)
    _env(store_url, broker, 0, paths.root)

    async def service(stop: asyncio.Event) -> None:
        await _live(options, paths, DemoState(store=store_url), scenario, live, None, stop)

    run_until_signal(service)
    # the example's site file names the same store when the data directory is the default var/
    shown = options.example / "site.yaml" if store_url.endswith("var/dairy.db") else paths.site
    logger.info(_(_STOPPED).format(site=shown))
    return 0


async def _live(
    options: DemoOptions, paths: DemoPaths, state: DemoState, scenario: Any,
    live: LiveEndpoints, password: str | None, stop: asyncio.Event,
) -> None:  # fmt: skip
    """The live part until ``stop``; without a password (``--chain-only``) only the chain."""
    import pandas as pd

    sim_start = max(time.time(), state.sim_time)
    chain = Chain(scenario, options.speed, sim_start, options.broker)
    children: list[Child] = []
    try:
        bus_ports = await chain.start_bus()
        broker_url = await chain.start_broker()
        live = LiveEndpoints(
            live.store_url, broker_url, bus_ports, live.smtp_port, live.dashboard_url, live.poll_s
        )
        os.environ["PLANTMETER_BROKER_URL"] = broker_url
        write_site(
            options.example / "site.yaml", paths.site, live, paths.outbox, _check_lang(options.lang)
        )
        live_since = pd.Timestamp.now(tz="UTC")
        chain.start_flow(paths.site, paths.root)
        logger.info(
            _("demo: simulator on {ports}, broker {broker}, store {store}, speed x{speed}").format(
                ports=", ".join(f"{k}={v}" for k, v in bus_ports.items()), broker=broker_url,
                store=live.store_url, speed=f"{options.speed:g}",
            )
        )  # fmt: skip
        if password is None:
            await _watch(options, paths, state, scenario, chain, [], stop)
            return
        dashboard = start_child(
            "dashboard",
            ["-m", "plantmeter_app.demo.web", str(paths.site), str(paths.plan), str(paths.root),
             str(options.port), options.log_level],
        )  # fmt: skip
        children.append(dashboard)
        # the alert service starts once every meter has a live reading: before that, the history's
        # end (up to 15 min ago) would read as meters offline
        await _first_readings(chain, scenario, stop, live_since)
        children.append(
            start_child(
                "alerts",
                [
                    "-m",
                    "plantmeter_app",
                    "--log-level",
                    options.log_level,
                    "alerts",
                    str(paths.site),
                    "--plan",
                    str(paths.plan),
                    "--every",
                    f"{options.alerts_every:g}s",
                    "--data-dir",
                    str(paths.root),
                ],
            )  # fmt: skip
        )
        ok = await asyncio.to_thread(
            wait_http, f"{live.dashboard_url}/api/v1/health", dashboard, 120
        )
        if not ok:
            raise ConfigError(
                _("the dashboard did not start on port {port} (in use? choose --port)").format(
                    port=options.port
                )
            )
        _banner(options, paths, live, password, scenario)
        await _watch(options, paths, state, scenario, chain, children, stop)
    finally:
        stop.set()
        # together: the alert service may be in the middle of a round (it ends it first)
        await asyncio.gather(*(asyncio.to_thread(c.stop, 30.0) for c in children))
        state.sim_time = max(state.sim_time, chain.sim_time())
        await chain.stop()


async def _first_readings(chain: Chain, scenario: Any, stop: asyncio.Event, since: Any) -> None:
    """Wait until every meter has a reading stored since ``since`` (the live start)."""
    meters = [m.id for m in scenario.meters]
    deadline = time.monotonic() + 150.0
    while not stop.is_set() and time.monotonic() < deadline:
        counts = await asyncio.to_thread(stored_since, chain.store, scenario.site.id, meters, since)
        if all(counts.values()):
            return
        try:
            await asyncio.wait_for(stop.wait(), timeout=1.0)
        except TimeoutError:
            pass


async def _watch(
    options: DemoOptions, paths: DemoPaths, state: DemoState, scenario: Any, chain: Chain,
    children: list[Child], stop: asyncio.Event,
) -> None:  # fmt: skip
    """Every 10 s: what was stored, the simulated clock saved, the live anomaly on time; stops
    the demo when ``--duration`` is over or a part stopped on its own."""
    import pandas as pd

    started = time.monotonic()
    since = pd.Timestamp.now(tz="UTC")
    anomaly_done = not children  # --chain-only: no anomaly (no alert service to see it)
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), timeout=10.0)
        except TimeoutError:
            pass
        chain.trim_served()
        state.sim_time = chain.sim_time()
        if children:
            state.save(paths.state)
        elapsed = time.monotonic() - started
        if not anomaly_done and elapsed >= options.anomaly_after:
            anomaly_done = True
            _inject_outage(chain, options)
        meters = [m.id for m in scenario.meters]
        counts = stored_since(chain.store, scenario.site.id, meters, since)
        logger.info(_("demo: now {values}").format(values=live_line(chain.store, scenario.site.id)))
        logger.info(
            _("demo: stored readings per meter: {counts}").format(
                counts=", ".join(f"{k}={v}" for k, v in counts.items())
            )
        )
        if options.duration is not None and elapsed >= options.duration:
            stop.set()
        failed = chain.failed() or next((c.name for c in children if not c.alive()), None)
        if failed:
            logger.error(
                _("demo: {name} stopped unexpectedly; stopping the demo").format(name=failed)
            )
            stop.set()


_STOPPED = N_("demo stopped. See the data: plantmeter export {site} --meter main-elec")
OUTAGE_METER = "compressor"
OUTAGE_S = 120.0


def _inject_outage(chain: Chain, options: DemoOptions) -> None:
    """The live anomaly: the compressor's meter stops answering for two minutes (a loose RS-485
    wire); after three missed polls it is *offline* on the dashboard and the alert service
    e-mails it, then closes it with a second e-mail once readings return."""
    start = chain.sim_time()
    chain.bus.inject(
        {
            "type": "timeout",
            "meter": OUTAGE_METER,
            "start": start,
            "duration": OUTAGE_S * options.speed,
        }
    )
    logger.warning(
        _("demo: meter {meter} stops answering for {seconds} s (the live anomaly)").format(
            meter=OUTAGE_METER, seconds=format_number(OUTAGE_S)
        )
    )


def _banner(
    options: DemoOptions, paths: DemoPaths, live: LiveEndpoints, password: str, scenario: Any
) -> None:
    users = demo_users(scenario.site.id, LOAN)
    month = month_before(time.time(), scenario.site.timezone)
    url = live.dashboard_url
    lines = [
        "",
        "=" * 72,
        _("PlantMeter demo: open {url}").format(url=f"{live.dashboard_url}/"),
        "",
        *(f"  {u.username:<8} {password:<16} {u.describe()}" for u in users),
        "",
        "  " + _("e-mail the alert service sent:  {url}").format(url=f"{url}/demo/mail"),
        "  "
        + _("the lender's loan report:       {url}").format(
            url=f"{url}/api/v1/loans/{LOAN}/report?period={month}&format=pdf"
        ),
        "  "
        + _("API (bearer token from POST /api/v1/token): {url}").format(
            url=f"{url}/api/v1/openapi.json"
        ),
        "  "
        + _(
            "in {after} min meter {meter} stops answering for {minutes} min; a leak on cip-water "
            "runs since four nights"
        ).format(
            after=format_number(
                options.anomaly_after / 60, 0 if options.anomaly_after % 60 == 0 else 1
            ),
            meter=OUTAGE_METER,
            minutes=format_number(OUTAGE_S / 60),
        ),
        "  "
        + _("state in {folder} (a second run resumes); Ctrl-C stops everything").format(
            folder=paths.root
        ),
        "=" * 72,
        "",
    ]
    print("\n".join(lines), file=sys.stderr, flush=True)
