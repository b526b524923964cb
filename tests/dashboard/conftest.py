"""The dashboard over the simulated dairy: a copy of its real SQLite store (with a few flags
written into the copy), opened read-only as ``plantmeter serve`` does, a second small site,
and one user per role and scope (``USERS``)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from dashboard import DashboardSettings, create_app
from dashboard.context import DashboardContext
from dashboard.users import UserStore
from ingest.stores import open_store
from plantmeter.store import Flag, SeriesStore
from tests.dairy import Dairy

PASSWORD = "correct horse battery staple"
# username -> (role, sites, loans)
USERS: dict[str, tuple[str, list[str], list[str]]] = {
    "ada": ("admin", [], []),
    "pam": ("plant_manager", ["dairy"], []),
    "pat": ("plant_manager", ["brewery"], []),
    "fin": ("financier", [], ["green-line-1"]),
    "fay": ("financier", [], ["revolving-fund-3"]),
    "aud": ("auditor", ["dairy"], []),
    "abe": ("auditor", ["brewery"], []),
}
FLAG_START_MS = 1_748_736_000_000  # 2025-06-01T00:00Z
DAY_MS = 86_400_000

BREWERY = """\
site: {id: brewery, name: Another plant, timezone: UTC}
store: {url: "sqlite:///unused.db"}
buses:
  - {id: b, transport: tcp, host: 127.0.0.1, port: 5020}
meters:
  - {id: brew-elec, bus: b, unit_id: 1, profile: eastron-sdm630, kind: electricity, poll: 10s}
"""


@dataclass
class Served:
    root: Path
    settings: DashboardSettings
    store: SeriesStore
    users_db: Path
    site_yaml: Path
    plan_yaml: Path


@pytest.fixture(scope="session")
def served(dairy: Dairy, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    root = tmp_path_factory.mktemp("dashboard")
    src = Path(dairy.store_url.removeprefix("sqlite:///"))
    for name in ("site.yaml", "mv-plan.yaml", "mv-plan.approved.json"):  # plan, its approval
        shutil.copy(dairy.plan_path.parent / name, root / name)
    db = root / "dairy.db"
    shutil.copy(src, db)
    writer = open_store(f"sqlite:///{db}", create=False)
    try:
        writer.write_flags(
            [
                Flag(
                    "dairy",
                    "compressor",
                    "excess",
                    FLAG_START_MS,
                    FLAG_START_MS + 2 * DAY_MS,
                    "warning",
                    "compressed air left on over the weekend",
                    "energy_import_total",
                    "cusum",
                    40.0,
                    6.0,
                ),
                Flag(
                    "dairy",
                    "cip-water",
                    "leak",
                    FLAG_START_MS + DAY_MS,
                    FLAG_START_MS + 3 * DAY_MS,
                    "critical",
                    "night flow above 0.2 m3/h",
                    "volume_total",
                    "night_flow",
                    1.5,
                    3.0,
                ),
            ]
        )
    finally:
        writer.close()
    (root / "brewery.yaml").write_text(BREWERY)
    users_db = root / "data" / "users.db"
    with UserStore(users_db) as users:
        for name, (role, sites, loans) in USERS.items():
            users.add_user(name, PASSWORD, role, sites=sites, loans=loans)
    settings = DashboardSettings(
        sites=(root / "site.yaml", root / "brewery.yaml"),
        plans=(root / "mv-plan.yaml",),
        data_dir=root / "data",
    )
    store = open_store(f"sqlite:///{db}", read_only=True)
    try:
        yield Served(root, settings, store, users_db, root / "site.yaml", root / "mv-plan.yaml")
    finally:
        store.close()


@pytest.fixture(scope="module")
def context(served: Served) -> DashboardContext:
    """The sites and plans, validated once per module."""
    return DashboardContext.load(served.settings.sites, served.settings.plans, served.store)


@pytest.fixture(scope="module")
def users(served: Served) -> Iterator[UserStore]:
    with UserStore(served.users_db) as store:
        yield store


@pytest.fixture
def app(served: Served, context: DashboardContext, users: UserStore) -> FastAPI:
    """A fresh app (its own login rate limiter) over the module's context and users."""
    return create_app(served.settings, served.store, context=context, users=users)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """A client of ``app`` over https (the session cookie is Secure); closed after the test,
    which ends its worker threads."""
    with TestClient(app, base_url="https://testserver") as c:
        yield c


def login(
    client: TestClient, username: str, password: str = PASSWORD, next_url: str = "/"
) -> TestClient:
    """Log ``client`` in through the login form (its CSRF cookie and field)."""
    client.cookies.clear()
    form = client.get("/login")
    token = form.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    r = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token, "next": next_url},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    return client


def bearer(client: TestClient, username: str, password: str = PASSWORD) -> dict[str, str]:
    r = client.post("/api/v1/token", data={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}
