"""Login, logout, the redirect to /login, CSRF, rate limiting, tokens, stored hashes."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from dashboard.deps import SESSION_COOKIE, PageUser
from dashboard.users import UserStore

from .conftest import PASSWORD, Served, bearer, login


def _login_token(client: TestClient) -> str:
    page = client.get("/login")
    assert page.status_code == 200
    return page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


def test_login_sets_a_secure_httponly_samesite_session_and_redirects_to_next(
    client: TestClient,
) -> None:
    client.cookies.clear()
    token = _login_token(client)
    r = client.post(
        "/login",
        data={"username": "pam", "password": PASSWORD, "csrf_token": token, "next": "/api/v1/me"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert r.headers["location"] == "/api/v1/me"
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE + "="))
    attrs = {a.strip().split("=")[0].lower() for a in cookie.split(";")}
    assert {"httponly", "secure", "samesite", "path", "max-age"} <= attrs
    assert "samesite=lax" in cookie.lower()
    me = client.get("/api/v1/me")
    assert me.status_code == 200 and me.json()["username"] == "pam"


def test_next_outside_the_site_is_refused(client: TestClient) -> None:
    for evil in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        client.cookies.clear()
        token = _login_token(client)
        r = client.post(
            "/login",
            data={"username": "pam", "password": PASSWORD, "csrf_token": token, "next": evil},
            follow_redirects=False,
        )
        assert r.headers["location"] == "/"


def test_logout_ends_the_session_on_the_server(client: TestClient) -> None:
    login(client, "aud")
    secret = client.cookies[SESSION_COOKIE]
    page = client.get(
        "/login"
    )  # any page rendered with base.html would do; the form needs the token
    assert page.status_code == 200
    me = client.get("/api/v1/me")
    assert me.status_code == 200
    # the logout form carries the session's CSRF token
    refused = client.post("/logout", follow_redirects=False)
    assert refused.status_code == 403
    csrf = _session_csrf(client, secret)
    r = client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    client.cookies.set(SESSION_COOKIE, secret)  # a stolen copy of the cookie opens nothing now
    assert client.get("/api/v1/me").status_code == 401


def _session_csrf(client: TestClient, secret: str) -> str:
    users: UserStore = client.app.state.users  # type: ignore[attr-defined]
    session = users.session(secret)
    assert session is not None
    return session.csrf


def test_login_form_without_its_csrf_token_is_refused(client: TestClient) -> None:
    client.cookies.clear()
    _login_token(client)
    r = client.post(
        "/login",
        data={"username": "pam", "password": PASSWORD, "csrf_token": "forged"},
        follow_redirects=False,
    )
    assert r.status_code == 403
    assert SESSION_COOKIE not in r.cookies


def test_a_session_form_post_without_csrf_is_refused_but_a_bearer_call_needs_none(
    client: TestClient,
) -> None:
    body = {
        "meter": "compressor",
        "detector": "cusum",
        "quantity": "energy_import_total",
        "start": "2025-06-01T00:00:00Z",
        "comment": "valve closed",
    }
    login(client, "pam")
    r = client.post("/api/v1/sites/dairy/flags/acknowledge", json=body)
    assert r.status_code == 403 and "security token" in r.json()["detail"]
    headers = bearer(client, "pam")
    client.cookies.clear()
    r = client.post("/api/v1/sites/dairy/flags/acknowledge", json=body, headers=headers)
    assert r.status_code == 201, r.text


def test_wrong_password_then_rate_limited_with_retry_after(
    served: Served, app: FastAPI, client: TestClient
) -> None:
    c = client
    if True:
        limit = served.settings.login_attempts
        for _ in range(limit):
            token = _login_token(c)
            r = c.post("/login", data={"username": "fin", "password": "guess", "csrf_token": token})
            assert r.status_code == 401 and "Wrong username or password" in r.text
        token = _login_token(c)
        r = c.post("/login", data={"username": "fin", "password": PASSWORD, "csrf_token": token})
        assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
        r = c.post("/api/v1/token", data={"username": "fin", "password": PASSWORD})
        assert r.status_code == 429  # the token endpoint shares the limit
        log = app.state.users.audit_log(20)
        assert [e.action for e in log[: limit + 2]].count("login_failed") >= limit


def test_token_flow(client: TestClient) -> None:
    client.cookies.clear()
    r = client.post("/api/v1/token", data={"username": "ada", "password": PASSWORD})
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "bearer" and len(body["access_token"]) >= 40
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.json()["role"] == "admin"
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.get("/api/v1/me").status_code == 401
    bad = client.post("/api/v1/token", data={"username": "ada", "password": "nope"})
    assert bad.status_code == 401 and bad.headers["www-authenticate"] == "Bearer"


def test_passwords_are_stored_as_argon2id_hashes_never_plain(
    served: Served, users: UserStore
) -> None:
    for f in served.users_db.parent.glob("users.db*"):  # the database and its WAL
        assert PASSWORD.encode() not in f.read_bytes()
    assert users.password_hash("pam").startswith("$argon2id$")
    assert (served.users_db.stat().st_mode & 0o777) == 0o600


def test_health_needs_no_login(client: TestClient) -> None:
    client.cookies.clear()
    r = client.get("/api/v1/health")
    assert r.status_code == 200 and r.json()["status"] == "ok"


def test_page_user_redirects_to_login_with_next_and_lets_a_session_in(app: FastAPI) -> None:
    @app.get("/probe-page")
    def probe(user: PageUser) -> dict[str, str]:
        return {"user": user.username}

    with TestClient(app, base_url="https://testserver") as c:
        r = c.get("/probe-page?x=1", follow_redirects=False)
        assert r.status_code == 303
        assert r.headers["location"] == "/login?next=/probe-page%3Fx%3D1"
        login(c, "pam", next_url="/probe-page?x=1")
        assert c.get("/probe-page").json() == {"user": "pam"}


def test_sessions_and_tokens_expire_and_end_with_their_user(served: Served, tmp_path: Path) -> None:
    now = [1_000_000.0]
    with UserStore(tmp_path / "users.db", clock=lambda: now[0]) as users:
        users.add_user("temp", PASSWORD, "auditor", sites=["dairy"])
        secret, session = users.create_session("temp", ttl_s=3600)
        token = users.create_token("temp", ttl_s=7200)
        assert users.session(secret) is not None and users.token_user(token) is not None
        now[0] += 3601
        assert users.session(secret) is None  # the session expired; the token not yet
        assert users.token_user(token) is not None
        now[0] += 3600
        assert users.token_user(token) is None
        secret, _ = users.create_session("temp", ttl_s=3600)
        token = users.create_token("temp", ttl_s=3600)
        users.remove_user("temp")
        assert users.session(secret) is None and users.token_user(token) is None
