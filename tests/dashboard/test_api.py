"""The JSON API over the simulated dairy: figures against raw readings, bad input as 4xx."""

from __future__ import annotations

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

from dashboard.users import UserStore

from .conftest import FLAG_START_MS, Served, bearer

TZ = "America/Guatemala"
SERIES = "/api/v1/meters/{}/series"


@pytest.fixture
def admin(client: TestClient) -> dict[str, str]:
    return bearer(client, "ada")


def test_daily_use_is_the_raw_counter_difference_of_local_days(
    client: TestClient, admin: dict[str, str], served: Served
) -> None:
    r = client.get(
        SERIES.format("main-elec"),
        params={
            "quantity": "energy_import_total",
            "start": "2025-06-01",
            "end": "2025-06-08",
            "resolution": "1d",
        },
        headers=admin,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["kind"] == "counter" and body["unit"] == "kWh" and body["local_days"]
    raw = served.store.read(
        "dairy",
        "main-elec",
        ["energy_import_total"],
        start=pd.Timestamp("2025-05-30", tz="UTC"),
        end=pd.Timestamp("2025-06-09", tz="UTC"),
    )
    local = raw["energy_import_total"].tz_convert(TZ)
    last = local.groupby(local.index.date).last()  # each local day's last reading
    days = [d.date() for d in pd.date_range("2025-06-01", periods=7, freq="D")]
    expected = [last[d] - last[d - pd.Timedelta(days=1)] for d in days]
    assert body["use"] == pytest.approx(expected, rel=1e-9)
    starts = [pd.Timestamp(t, unit="s", tz="UTC").tz_convert(TZ) for t in body["time"]]
    assert [s.date() for s in starts] == days and all(s.hour == 0 for s in starts)


def test_hourly_gauge_keeps_every_reading_and_daily_min_max_keep_the_peaks(
    client: TestClient, admin: dict[str, str], served: Served
) -> None:
    params = {"quantity": "temperature", "start": "2025-06-03T00:00Z", "end": "2025-06-04T00:00Z"}
    r = client.get(
        SERIES.format("outdoor-temp"), params=params | {"resolution": "1h"}, headers=admin
    )
    assert r.status_code == 200, r.text
    body = r.json()
    raw = served.store.read(
        "dairy",
        "outdoor-temp",
        ["temperature"],
        start=pd.Timestamp(params["start"]),
        end=pd.Timestamp(params["end"]),
    )["temperature"]
    assert body["kind"] == "gauge" and len(body["time"]) == 24
    assert body["mean"] == pytest.approx(raw.tolist()) and body["max"] == pytest.approx(
        raw.tolist()
    )
    assert body["completeness"] == 1.0
    week = {
        "quantity": "temperature",
        "start": "2025-06-01",
        "end": "2025-06-08",
        "resolution": "1d",
    }
    d = client.get(SERIES.format("outdoor-temp"), params=week, headers=admin).json()
    raw = served.store.read(
        "dairy",
        "outdoor-temp",
        ["temperature"],
        start=pd.Timestamp("2025-06-01T06:00Z"),
        end=pd.Timestamp("2025-06-08T06:00Z"),
    )["temperature"].tz_convert(TZ)
    by_day = raw.groupby(raw.index.date)
    assert d["max"] == pytest.approx(by_day.max().tolist())
    assert d["min"] == pytest.approx(by_day.min().tolist())
    assert d["mean"] == pytest.approx(by_day.mean().tolist())


def test_auto_resolution_follows_the_range(client: TestClient, admin: dict[str, str]) -> None:
    year = {"quantity": "energy_import_total", "start": "2025-01-01", "end": "2026-01-01"}
    body = client.get(SERIES.format("main-elec"), params=year, headers=admin).json()
    assert body["resolution"] == "12h"  # a year in at most 800 buckets (services' rule)
    body = client.get(
        SERIES.format("main-elec"), params=year | {"points": 365}, headers=admin
    ).json()
    assert body["resolution"] == "1d"


@pytest.mark.parametrize(
    ("params", "status", "says"),
    [
        ({"start": "2025-06-08", "end": "2025-06-01"}, 400, "is not after start"),
        ({"start": "yesterday"}, 400, "is not a date or time"),
        ({"start": "1800-01-01", "end": "2025-01-01"}, 400, "outside 1970 to 2200"),
        (
            {"start": "1971-01-01", "end": "2199-01-01", "resolution": "1d"},
            400,
            "more than 20 years",
        ),
        (
            {"start": "2025-01-01", "end": "2026-01-01", "resolution": "1m"},
            400,
            "choose a resolution of 1h",
        ),
        ({"resolution": "7m"}, 400, "choose one of 1s, 2s, 5s"),
        ({"resolution": "fast"}, 400, "choose one of"),
        ({"points": "0"}, 422, "points"),
        ({"points": "many"}, 422, "points"),
        ({"quantity": "voltage_l9"}, 404, "has no quantity 'voltage_l9'"),
        ({"start": "2025-03-01T00:00:00+99:00"}, 400, "not a date"),
    ],
)
def test_bad_series_requests_get_4xx_with_a_message(
    client: TestClient, admin: dict[str, str], params: dict[str, str], status: int, says: str
) -> None:
    query = {"quantity": "energy_import_total", "start": "2025-06-01", "end": "2025-06-02"} | params
    r = client.get(SERIES.format("main-elec"), params=query, headers=admin)
    assert r.status_code == status, r.text
    assert says in r.json()["detail"]


def test_a_week_at_one_minute_is_the_most_one_request_may_ask(
    client: TestClient, admin: dict[str, str]
) -> None:
    week = {
        "quantity": "energy_import_total",
        "start": "2025-06-01T00:00Z",
        "end": "2025-06-08T00:00Z",
        "resolution": "1m",
    }
    r = client.get(SERIES.format("main-elec"), params=week, headers=admin)
    assert r.status_code == 200 and len(r.json()["time"]) == 7 * 1440
    r = client.get(
        SERIES.format("main-elec"), params=week | {"end": "2025-06-08T00:01Z"}, headers=admin
    )
    assert r.status_code == 400


def test_malformed_query_strings_and_unknown_ids(client: TestClient, admin: dict[str, str]) -> None:
    for url, status in [
        ("/api/v1/meters/main-elec/series?quantity=energy_import_total&start=%ZZ&end=%", 400),
        ("/api/v1/meters/main-elec/series?quantity", 422),
        ("/api/v1/meters/main-elec/series?" + "x=1&" * 2000, 422),
        ("/api/v1/meters/nope/series?quantity=energy_import_total", 404),
        ("/api/v1/meters/main-elec/series?quantity=energy_import_total&site=nope", 404),
        ("/api/v1/sites/nope", 404),
        ("/api/v1/sites/nope/flags", 404),
        ("/api/v1/loans/nope", 404),
        ("/api/v1/loans/nope/report?period=2025-06", 404),
        ("/api/v1/nothing-here", 404),
        ("/api/v1/loans/green-line-1/report?period=2025-13", 400),
        ("/api/v1/loans/green-line-1/report?period=1999-01", 400),
        ("/api/v1/loans/green-line-1/report?period=2025-06&format=docx", 422),
        ("/api/v1/loans/green-line-1/report?period=June", 422),
        ("/api/v1/sites/dairy/savings?month=2025-6", 422),
        ("/api/v1/sites/brewery/savings", 404),
        ("/api/v1/audit?limit=0", 422),
    ]:
        r = client.get(url, headers=admin)
        assert r.status_code == status, (url, r.status_code, r.text)
        assert isinstance(r.json()["detail"], str) and r.json()["detail"], url


def test_oversized_and_malformed_bodies(client: TestClient, admin: dict[str, str]) -> None:
    huge = "x" * 100_000
    r = client.post("/api/v1/token", data={"username": "ada", "password": huge})
    assert r.status_code == 413 and "larger than" in r.json()["detail"]
    ack = "/api/v1/sites/dairy/flags/acknowledge"
    r = client.post(
        ack,
        content=b"{" + b" " * 70_000 + b"}",
        headers=admin | {"content-type": "application/json"},
    )
    assert r.status_code == 413
    r = client.post(ack, content=b"{not json", headers=admin | {"content-type": "application/json"})
    assert r.status_code == 422
    r = client.post(
        ack, json={"meter": "compressor", "comment": "x", "colour": "red"}, headers=admin
    )
    assert r.status_code == 422 and "colour" in r.json()["detail"]
    r = client.post(
        ack,
        json={
            "meter": "compressor",
            "detector": "cusum",
            "quantity": "energy_import_total",
            "start": "2020-01-01T00:00Z",
            "comment": "x",
        },
        headers=admin,
    )
    assert r.status_code == 404 and "No flag" in r.json()["detail"]
    r = client.get("/api/v1/sites", headers={"Authorization": "Basic YWRhOng="})
    assert r.status_code == 401


def test_flags_acknowledged_with_who_when_and_comment_and_audited(
    client: TestClient, users: UserStore
) -> None:
    pam = bearer(client, "pam")
    window = {"start": "2025-05-25", "end": "2025-06-10"}
    flags = client.get("/api/v1/sites/dairy/flags", params=window, headers=pam).json()
    assert [(f["meter"], f["cost_per_day"]) for f in flags["flags"]] == [
        ("compressor", 6.0),
        ("cip-water", 3.0),
    ]
    leak = next(f for f in flags["flags"] if f["meter"] == "cip-water")
    ack = {k: leak[k] for k in ("meter", "detector", "quantity", "start")} | {
        "comment": "valve replaced"
    }
    r = client.post("/api/v1/sites/dairy/flags/acknowledge", json=ack, headers=pam)
    assert r.status_code == 201, r.text
    assert r.json()["username"] == "pam"
    again = client.get("/api/v1/sites/dairy/flags", params=window, headers=pam).json()
    leak = next(f for f in again["flags"] if f["meter"] == "cip-water")
    assert [a["comment"] for a in leak["acknowledgements"]][-1] == "valve replaced"
    assert pd.Timestamp(leak["start"]).value // 10**6 == FLAG_START_MS + 86_400_000
    entry = users.audit_log(5, "acknowledge")[0]
    assert entry.username == "pam" and "valve replaced" in entry.detail
    aud = bearer(client, "aud")
    assert (
        client.post("/api/v1/sites/dairy/flags/acknowledge", json=ack, headers=aud).status_code
        == 403
    )


def test_loan_report_in_three_formats_downloaded_by_its_financier_and_audited(
    client: TestClient, users: UserStore
) -> None:
    fin = bearer(client, "fin")
    url = "/api/v1/loans/green-line-1/report"
    j = client.get(url, params={"period": "2025-10", "format": "json"}, headers=fin)
    assert j.status_code == 200, j.text
    assert j.headers["content-type"].startswith("application/json")
    assert "green-line-1" in j.text
    h = client.get(url, params={"period": "2025-10", "format": "html"}, headers=fin)
    assert h.status_code == 200 and h.headers["content-type"].startswith("text/html")
    p = client.get(url, params={"period": "2025-10"}, headers=fin)
    assert p.status_code == 200 and p.content.startswith(b"%PDF")
    assert 'filename="loan-green-line-1-2025-10.pdf"' in p.headers["content-disposition"]
    import io

    assert len(PdfReader(io.BytesIO(p.content)).pages) >= 1
    downloads = [e for e in users.audit_log(10, "report_download") if e.username == "fin"]
    assert {e.detail for e in downloads} >= {
        "loan green-line-1 2025-10 json",
        "loan green-line-1 2025-10 pdf",
    }
    assert client.get("/api/v1/loans", headers=fin).json()[0]["id"] == "green-line-1"
    assert len(client.get("/api/v1/loans", headers=fin).json()) == 1


def test_sites_meters_latest_options_savings(
    client: TestClient, admin: dict[str, str], served: Served
) -> None:
    sites = client.get("/api/v1/sites", headers=admin).json()
    assert [s["id"] for s in sites] == ["dairy", "brewery"]
    meters = client.get("/api/v1/meters", params={"site": "dairy"}, headers=admin).json()
    assert [m["id"] for m in meters][:2] == ["main-elec", "compressor"]
    latest = client.get("/api/v1/latest", params={"site": "dairy"}, headers=admin).json()
    main = next(x for x in latest if x["meter"] == "main-elec")
    newest = served.store.latest("dairy", ["main-elec"])
    assert {v["quantity"]: v["value"] for v in main["values"]} == {
        v.quantity: v.value for v in newest
    }
    assert main["state"] == "stale"  # the simulated history ended in 2026-01
    options = client.get("/api/v1/sites/dairy/options", headers=admin).json()
    assert "air-leaks" in [o["id"] for o in options]
    s = client.get("/api/v1/sites/dairy/savings", params={"month": "2025-06"}, headers=admin)
    assert s.status_code == 200, s.text
    figures = s.json()["figures"]
    assert {f["option"] for f in figures} >= {"air-leaks"}
    assert all(f["currency"] for f in figures)
