"""With the M&V plan (``--plan``), alerts are judged against the plan's baseline and say what
the excess costs at the plan's tariff; a first evaluation over the simulated dairy's history
records past episodes silently and announces only the one still running."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from alerts import Ledger, evaluate
from plantmeter.alertconfig import AlertsConfig
from plantmeter_app.runtime import existing_store
from tests.dairy import Dairy

WATER_PRICE = 2.10  # USD/m3, examples/dairy/mv-plan.yaml tariffs.water (flat)


def test_the_plans_tariff_puts_money_in_the_alert(tmp_path: Path, dairy: Dairy) -> None:
    loaded = dairy.load()
    alerts = AlertsConfig.model_validate(
        {
            "email": {"from": "plantmeter@dairy.example"},
            "rules": [{"to": ["manager@dairy.example"]}],
        }
    )
    site = loaded.site.model_copy(update={"alerts": alerts})
    now = datetime(2026, 1, 1, 5, tzinfo=UTC)  # the newest (hourly) reading: every meter fresh
    db = (
        tmp_path / "dairy.db"
    )  # a copy: the evaluation writes flags, the session's store stays clean
    shutil.copy(loaded.store_url.removeprefix("sqlite:///"), db)
    with existing_store(f"sqlite:///{db}") as store, Ledger(tmp_path / "alerts.db") as ledger:
        result = evaluate(store, site, ledger, plan=loaded, now=now)
        episodes = ledger.episodes("dairy")
    announced = [c.episode for c in result.changes if c.notify]
    assert len(announced) == 1 and announced[0].type == "excess", [
        (e.type, e.meter, e.reason) for e in announced
    ]
    ep = announced[0]
    assert ep.cost_per_day == pytest.approx(ep.excess_per_day * WATER_PRICE)  # type: ignore[operator]
    [(event, notice)] = result.notices
    assert event == "open" and notice.recipient == "manager@dairy.example"
    assert notice.payload["currency"] == "USD" and "USD a day" in notice.payload["subject"]
    assert f"≈ {ep.cost_per_day:,.1f} USD a day." in notice.payload["text"], notice.payload["text"]
    silent = [e for e in episodes if e.id != max(x.id for x in episodes) and not e.notify]
    assert silent and all(
        not e.is_open for e in silent
    )  # history, recorded closed, never announced
