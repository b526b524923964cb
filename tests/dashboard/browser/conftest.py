"""The real dashboard under uvicorn on a free loopback port, and Debian's Chromium driven by
Selenium through Debian's chromedriver: one server and one browser per session.

The store is a copy of the simulated dairy (tests/dairy.py, to 2026-01-01) plus the last 36
hours simulated at one reading a minute with power and flow (so "today" and the live tiles
have data), an open alarm and a flag run over the last 30 days. Users come from the dashboard's
own user store. Screenshots go to ``$PLANTMETER_SCREENSHOTS`` (default ``var/screenshots/``).
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
import uvicorn
from firmware_sim import generate_history, load_scenario

from dashboard.app import create_app
from dashboard.settings import DashboardSettings
from dashboard.users import UserStore
from ingest.csv_import import import_csv
from ingest.stores import open_store
from plantmeter.store import Flag, FlagRun, SeriesStore
from tests.dairy import EXAMPLE, Dairy
from tests.servers import child_processes, free_port

CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "browser test password"
USERS = {  # username -> (role, sites, loans)
    "ada": ("admin", [], []),
    "pam": ("plant_manager", ["dairy"], []),
    "fin": ("financier", [], ["green-line-1"]),
    "aud": ("auditor", ["dairy"], []),
}
LOCALE_USERS = {  # username -> (role, sites, locale): the pages in their own language
    "pablo": ("plant_manager", ["dairy"], "es_CO"),
    "paula": ("plant_manager", ["dairy"], "pt_BR"),
}
RECENT_KEEP = (
    "energy_import_total",
    "power_total",
    "volume_total",
    "flow_rate",
    "production_total",
    "temperature",
)
ROOT = Path(__file__).parents[3]


@dataclass
class Served:
    url: str
    root: Path
    writer: SeriesStore  # writes "new readings" while a page is open
    users: UserStore
    alarm_start_ms: int
    downloads: Path


def _recent(root: Path, db: Path) -> int:
    """Simulate the last 36 h at 60 s into ``db``; returns the alarm's start (ms)."""
    scenario = load_scenario(EXAMPLE / "scenario.yaml")
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    paths = generate_history(
        scenario,
        now - timedelta(hours=36),
        now - timedelta(minutes=1),
        root / "recent",
        interval=60,
    )
    store = open_store(f"sqlite:///{db}", create=False)
    try:
        for meter, path in paths.items():
            frame = pd.read_csv(path)
            frame[["timestamp", *[c for c in RECENT_KEEP if c in frame]]].to_csv(path, index=False)
            import_csv(store, "dairy", meter, path, "UTC", progress=False)
        start = int((now - timedelta(days=3)).timestamp() * 1000)
        store.write_flags(
            [
                Flag(
                    "dairy",
                    "compressor",
                    "excess",
                    start,
                    start + 2 * 86_400_000,
                    "warning",
                    "compressed air left on over the weekend: 41 kWh a day above the baseline",
                    "energy_import_total",
                    "cusum",
                    41.0,
                    5.9,
                ),
            ]
        )
        now_ms = int(now.timestamp() * 1000)
        store.write_flag_runs(
            [
                FlagRun("dairy", m, now_ms - 30 * 86_400_000, now_ms, now_ms)
                for m in (
                    "main-elec",
                    "compressor",
                    "refrigeration",
                    "cip-water",
                    "production",
                    "outdoor-temp",
                )
            ]
        )
    finally:
        store.close()
    return start


@pytest.fixture(scope="session")
def served(dairy: Dairy, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    root = tmp_path_factory.mktemp("browser")
    for name in ("site.yaml", "mv-plan.yaml", "mv-plan.approved.json"):
        shutil.copy(dairy.plan_path.parent / name, root / name)
    db = root / "dairy.db"
    shutil.copy(Path(dairy.store_url.removeprefix("sqlite:///")), db)
    alarm = _recent(root, db)
    data = root / "data"
    with UserStore(data / "users.db") as users:
        for name, (role, sites, loans) in USERS.items():
            users.add_user(name, PASSWORD, role, sites=sites, loans=loans)
        for name, (role, sites, locale) in LOCALE_USERS.items():
            users.add_user(name, PASSWORD, role, sites=sites, locale=locale)
    settings = DashboardSettings(
        sites=(root / "site.yaml",),
        plans=(root / "mv-plan.yaml",),
        data_dir=data,
        secure_cookies=False,
    )
    store = open_store(f"sqlite:///{db}", read_only=True)
    writer = open_store(f"sqlite:///{db}", create=False)
    users = UserStore(data / "users.db")
    app = create_app(settings, store)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=3
        )
    )
    thread = threading.Thread(target=server.run, name="uvicorn-browser-tests")
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield Served(f"http://127.0.0.1:{port}", root, writer, users, alarm, root / "downloads")
    finally:
        server.should_exit = True
        thread.join(15)
        assert not thread.is_alive(), "uvicorn did not shut down (a live stream kept it?)"
        users.close()
        writer.close()
        store.close()


@pytest.fixture(scope="session")
def browser(served: Served, tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """Debian's Chromium, headless, a fresh profile; downloads into ``served.downloads``."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    for path in (CHROMIUM, CHROMEDRIVER):
        if not Path(path).exists():
            pytest.fail(
                f"{path} is missing: `make test` installs it (apt-get install chromium chromium-driver)"
            )
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1280,900",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        opts.add_argument(flag)
    served.downloads.mkdir(exist_ok=True)
    opts.add_experimental_option(
        "prefs",
        {
            "download.default_directory": str(served.downloads),
            "download.prompt_for_download": False,
        },
    )
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    d = Path(os.environ.get("PLANTMETER_SCREENSHOTS", ROOT / "var" / "screenshots"))
    d.mkdir(parents=True, exist_ok=True)
    return d


@pytest.fixture(autouse=True)
def _no_leaked_threads() -> Iterator[None]:
    """The suite's guard, less the session server's worker threads (they idle between tests)."""
    before = set(threading.enumerate())
    processes_before = child_processes()
    yield
    leaked = [
        t
        for t in threading.enumerate()
        if t not in before
        and t.is_alive()
        and type(t).__name__ != "WorkerThread"
        and not t.name.startswith("asyncio_")
    ]
    assert not leaked, f"test left threads running: {[t.name for t in leaked]}"
    assert not (child_processes() - processes_before), "test left processes running"
