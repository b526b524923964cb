"""``/admin/portfolio``: an admin sees every served plan's month ranked by shortfall, with the
figures ``services.option_savings`` gives; other roles are refused (also in test_authz)."""

from __future__ import annotations

import math

import pytest
from fastapi.testclient import TestClient

from dashboard.context import DashboardContext
from dashboard.pages.portfolio import site_row
from services import option_savings

from .conftest import login


def test_admin_sees_the_ranking_with_the_services_figures(
    client: TestClient, context: DashboardContext
) -> None:
    login(client, "ada")
    r = client.get("/admin/portfolio?month=2025-10")
    assert r.status_code == 200
    assert "Sites ranked by savings shortfall" in r.text and 'href="/admin/portfolio"' in r.text
    ref = context.sites["dairy"]
    assert ref.plan is not None
    row = site_row(ref, context.store, "2025-10")
    month = [
        f
        for f in option_savings(ref.plan, context.store, "2025-10")
        if f.period_kind == "month" and f.status != "not implemented"
    ]
    assert row["promised"] == sum(f.promised["cost"] for f in month)
    assert row["verified"] == sum(f.cost or 0.0 for f in month)
    assert row["shortfall"] == row["promised"] - row["verified"]
    # independent options' 90 % bands add in quadrature; completeness is the least complete's
    band = math.sqrt(sum((f.cost_band_90 or 0.0) ** 2 for f in month))
    assert row["band_90"] == pytest.approx(band) and band > 0
    assert row["completeness"] == min(f.completeness for f in month)
    assert ">dairy</a>" in r.text and "<th>± 90 %</th>" in r.text
    b = row["band_90"]
    assert (f"{b:,.2f} USD" if b < 1000 else f"{b:,.0f} USD") in r.text  # cents below 1,000


def test_a_plant_manager_is_refused_and_has_no_menu_entry(client: TestClient) -> None:
    login(client, "pam")
    assert client.get("/admin/portfolio").status_code == 403
    assert 'href="/admin/portfolio"' not in client.get("/").text
