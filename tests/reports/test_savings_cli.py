"""``plantmeter savings --site SITE.yaml --meter M``: a meter's savings straight from the store,
with the M&V plan's baseline year and drivers, against the simulator's known effect of the option."""

from __future__ import annotations

import json

import pytest

from plantmeter_app.cli import main
from tests.dairy import Dairy


def test_savings_from_the_store_hold_the_true_effect(dairy: Dairy, monkeypatch, capsys) -> None:
    monkeypatch.setenv("PLANTMETER_STORE_URL", dairy.store_url)
    # the VSD from its implementation on 2025-09-01 to the end of the simulated history
    args = [
        "savings",
        "--site",
        str(dairy.plan_path.parent / "site.yaml"),
        "--meter",
        "refrigeration",
        "--temperature-meter",
        "outdoor-temp",
        "--production-meter",
        "production",
        "--baseline",
        "2024-04-01..2025-04-01",
        "--reporting",
        "2025-09-01..2026-01-01",
        "--json",
    ]
    assert main(args) == 0, capsys.readouterr().err
    d = json.loads(capsys.readouterr().out)
    change = dairy.true_change["vsd-refrigeration"]
    truth = (
        d["observed"] * -change / (1 + change)
    )  # the simulator multiplies the load by (1 + change)
    band = d["fsu_90"] * abs(d["savings"])
    assert d["model"]["n"] == 365  # the plan's baseline year, 2024-04-01..2025-04-01, daily
    assert abs(d["savings"] - truth) <= 1.5 * band, (d["savings"], truth, band)
    assert d["savings"] == pytest.approx(truth, rel=0.1)
