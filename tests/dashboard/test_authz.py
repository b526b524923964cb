"""The authorisation matrix: every role × every route of the app (``app.routes``, so pages
added later are covered) × its own and another's resource.

The expected answer comes from the roles table of DESIGN.md written out here (not from
``dashboard.roles``): a route is classified by its path parameters (site, meter, loan) or
listed as public / admin; a route this test cannot classify fails it, naming the route.
Allowed means anything but 401/403 (and never a 500); refused means 403. Without a login an
API route answers 401 and a page redirects to /login.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import urlencode

import anyio
import pytest
from fastapi import FastAPI, routing
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from .conftest import USERS, bearer

PUBLIC = {
    "/api/v1/health",
    "/api/v1/token",
    "/login",
    "/logout",
    "/api/v1/openapi.json",
    "/api/docs",
    "/api/docs/oauth2-redirect",
}
ADMIN = {"/api/v1/users", "/api/v1/audit"}
ADMIN_PREFIX = "/admin"
# pages that list one kind of resource and refuse (403) a user who reaches none of it
LIST_PAGES = {"/options": "list:plan", "/loans": "list:loan"}
PLAN_SITES = {"dairy"}  # the sites served with an M&V plan
SITE_PARAMS = {"site_id", "site"}
METER_PARAMS = {"meter_id", "meter"}
LOAN_PARAMS = {"loan_id", "loan"}
BORROWER = {"green-line-1": "dairy", "revolving-fund-3": "dairy"}
METER_OF = {"dairy": "main-elec", "brewery": "brew-elec"}
# values of the query parameters a route has, by name
QUERY = {
    "quantity": "energy_import_total",
    "period": "2025-10",
    "month": "2025-10",
    "start": "2025-10-01",
    "end": "2025-10-02",
}


@dataclass(frozen=True)
class Scope:
    site: str  # the site the call is about
    loan: str


def _resources(username: str) -> dict[str, Scope]:
    """This user's own resource and another's (for an admin both are simply two resources)."""
    role, sites, loans = USERS[username]
    own_site = sites[0] if sites else "dairy"
    other_site = "brewery" if own_site == "dairy" else "dairy"
    own_loan = loans[0] if loans else "green-line-1"
    other_loan = "revolving-fund-3" if own_loan == "green-line-1" else "green-line-1"
    return {"own": Scope(own_site, own_loan), "other": Scope(other_site, other_loan)}


def allowed(username: str, kind: str, scope: Scope) -> bool:
    """DESIGN.md's table: admin everything; plant manager and auditor their sites and those
    sites' loans (plant manager alone acknowledges); financier only the loans they fund."""
    role, sites, loans = USERS[username]
    if kind in ("public", "any"):
        return True
    if role == "admin":
        return True
    if kind == "admin":
        return False
    if kind == "list:plan":
        return role in ("plant_manager", "auditor") and bool(PLAN_SITES & set(sites))
    if kind == "list:loan":
        return bool(loans) if role == "financier" else bool(set(BORROWER.values()) & set(sites))
    if kind == "site":
        return role in ("plant_manager", "auditor") and scope.site in sites
    if kind == "ack":
        return role == "plant_manager" and scope.site in sites
    if kind == "loan":
        if role == "financier":
            return scope.loan in loans
        return BORROWER[scope.loan] in sites
    raise AssertionError(kind)


@dataclass(frozen=True)
class Route:
    """One route of the app: its full path, methods and FastAPI route (for its parameters)."""

    path: str
    methods: frozenset[str]
    api: APIRoute

    @property
    def params(self) -> set[str]:
        return set(re.findall(r"{(\w+)", self.path))

    @property
    def query(self) -> set[str]:
        return {q.alias for q in self.api.dependant.query_params}


def app_routes(app: FastAPI) -> list[Route]:
    """Every APIRoute of the app with its full path (FastAPI >= 0.16x nests included routers)."""
    if hasattr(routing, "iter_route_contexts"):
        found = [
            Route(c.path, frozenset(c.methods or ()), c.original_route)
            for c in routing.iter_route_contexts(app.routes)
            if isinstance(c.original_route, APIRoute)
        ]
    else:
        found = [
            Route(r.path, frozenset(r.methods), r) for r in app.routes if isinstance(r, APIRoute)
        ]
    assert found, "no routes found in the app"
    return found


def _classify(route: Route) -> str:
    params = route.params
    path = route.path
    if path in PUBLIC:
        return "public"
    if path in ADMIN or path.startswith(ADMIN_PREFIX):
        return "admin"
    if path in LIST_PAGES:
        return LIST_PAGES[path]
    if params & LOAN_PARAMS:
        return "loan"
    if params & (SITE_PARAMS | METER_PARAMS):
        return "ack" if path.endswith("/acknowledge") else "site"
    if params:
        raise AssertionError(
            f"route {path}: path parameters {sorted(params)} are not in the authorisation matrix; "
            "name them site_id / meter_id / loan_id or add them to tests/dashboard/test_authz.py"
        )
    return "any"


def _url(route: Route, scope: Scope) -> tuple[str, dict[str, str]]:
    values = {}
    for p in route.params:
        if p in SITE_PARAMS:
            values[p] = scope.site
        elif p in METER_PARAMS:
            values[p] = METER_OF[scope.site]
        elif p in LOAN_PARAMS:
            values[p] = scope.loan
    url = re.sub(r"{(\w+)(:\w+)?}", lambda m: values[m.group(1)], route.path)
    query = {q: QUERY[q] for q in route.query if q in QUERY}
    if "site" in route.query:
        query["site"] = scope.site
    return url, query


def _body(route: Route, scope: Scope) -> dict[str, object] | None:
    if route.path.endswith("/flags/acknowledge"):
        return {
            "meter": "compressor" if scope.site == "dairy" else "brew-elec",
            "detector": "cusum",
            "quantity": "energy_import_total",
            "start": "2025-06-01T00:00:00Z",
            "comment": "matrix",
        }
    return None


class _Started(Exception):
    """Raised from ``send`` at the response's start: the status is all the matrix needs."""


def status_of(
    app: FastAPI,
    method: str,
    url: str,
    query: dict[str, str],
    headers: dict[str, str],
    body: dict[str, object] | None,
) -> int:
    """The status the app answers, read from the ASGI ``http.response.start`` message: a
    streaming route (Server-Sent Events) answers without its never-ending body being read."""
    content = json.dumps(body).encode() if body is not None else b""
    hdrs = dict(headers) | ({"content-type": "application/json"} if body is not None else {})
    hdrs["content-length"] = str(len(content))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "https",
        "path": url,
        "raw_path": url.encode(),
        "root_path": "",
        "query_string": urlencode(query).encode(),
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 443),
        "headers": [(k.lower().encode(), v.encode()) for k, v in hdrs.items()],
    }
    status: list[int] = []
    delivered = False

    async def receive() -> dict[str, object]:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": content, "more_body": False}
        await anyio.sleep_forever()
        raise AssertionError("unreachable")

    async def send(message: dict[str, object]) -> None:
        if message["type"] == "http.response.start":
            status.append(int(message["status"]))  # type: ignore[call-overload]
            raise _Started

    async def run() -> None:
        with anyio.fail_after(120):
            try:
                await app(scope, receive, send)
            except BaseException as exc:  # the start may come back wrapped in an exception group
                if not status:
                    raise
                del exc

    anyio.run(run)
    return status[0]


def test_every_route_is_classified(app: FastAPI) -> None:
    found = app_routes(app)
    kinds = {_classify(r) for r in found}
    assert {"public", "any", "site", "ack", "loan", "admin"} <= kinds
    assert len(found) >= 20


def test_without_login_every_route_but_the_public_ones_is_refused(
    client: TestClient, app: FastAPI
) -> None:
    client.cookies.clear()
    for route in app_routes(app):
        kind = _classify(route)
        if kind == "public":
            continue
        url, query = _url(route, Scope("dairy", "green-line-1"))
        for method in route.methods - {"HEAD"}:
            r = client.request(
                method,
                url,
                params=query,
                json=_body(route, Scope("dairy", "green-line-1")),
                follow_redirects=False,
            )
            if route.path.startswith("/api/"):
                assert r.status_code == 401, (method, url, r.status_code)
            else:
                assert r.status_code == 303 and r.headers["location"].startswith("/login?next="), (
                    method,
                    url,
                )


@pytest.mark.parametrize("username", sorted(USERS))
def test_matrix(username: str, client: TestClient, app: FastAPI) -> None:
    headers = bearer(client, username)
    client.cookies.clear()
    problems = []
    for route in app_routes(app):
        kind = _classify(route)
        if kind == "public":
            continue
        for which, scope in _resources(username).items():
            if (
                kind in ("any", "admin", *LIST_PAGES.values())
                and which == "other"
                and "site" not in route.query
            ):
                continue  # nothing scoped: one call says it
            url, query = _url(route, scope)
            if kind == "any" and "site" in query:
                kind_here = "site"
            else:
                kind_here = kind
            want = allowed(username, kind_here, scope)
            for method in sorted(route.methods - {"HEAD"}):
                code = status_of(app, method, url, query, headers, _body(route, scope))
                if code >= 500:
                    problems.append(f"{method} {url} {query}: {code}")
                elif want and code in (401, 403):
                    problems.append(f"{username} refused {method} {url} {query} ({which}): {code}")
                elif not want and code != 403:
                    problems.append(
                        f"{username} NOT refused {method} {url} {query} ({which}): {code}"
                    )
    assert not problems, "\n".join(problems)


def test_lists_hold_only_what_the_role_reaches(client: TestClient) -> None:
    def get(user: str, url: str) -> list[dict[str, object]]:
        r = client.get(url, headers=bearer(client, user))
        assert r.status_code == 200, r.text
        return r.json()  # type: ignore[no-any-return]

    assert [s["id"] for s in get("pat", "/api/v1/sites")] == ["brewery"]
    assert [s["id"] for s in get("ada", "/api/v1/sites")] == ["dairy", "brewery"]
    assert get("fin", "/api/v1/sites") == [] and get("fin", "/api/v1/meters") == []
    assert get("fin", "/api/v1/latest") == []
    assert {m["site"] for m in get("aud", "/api/v1/meters")} == {"dairy"}
    assert {m["site"] for m in get("pam", "/api/v1/latest")} == {"dairy"}
    assert [x["id"] for x in get("fin", "/api/v1/loans")] == ["green-line-1"]
    assert [x["id"] for x in get("fay", "/api/v1/loans")] == ["revolving-fund-3"]
    assert get("pat", "/api/v1/loans") == []
    assert {x["id"] for x in get("pam", "/api/v1/loans")} == {"green-line-1", "revolving-fund-3"}


def test_a_financier_is_refused_a_plants_meter_data_and_given_their_loans_report(
    client: TestClient,
) -> None:
    fin = bearer(client, "fin")
    series = client.get(
        "/api/v1/meters/main-elec/series", params={"quantity": "energy_import_total"}, headers=fin
    )
    assert series.status_code == 403 and "role" in series.json()["detail"]
    report = client.get(
        "/api/v1/loans/green-line-1/report",
        params={"period": "2025-10", "format": "json"},
        headers=fin,
    )
    assert report.status_code == 200
