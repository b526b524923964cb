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


def test_savings_per_option_of_a_plan_for_a_month(dairy: Dairy, monkeypatch, capsys) -> None:
    """``savings --plan PLAN.yaml --period YYYY-MM``: the service's figures per option and period,
    the verified ones holding the simulator's true effect within their 90 % band."""
    monkeypatch.setenv("PLANTMETER_STORE_URL", dairy.store_url)
    plan = str(dairy.plan_path)
    assert main(["savings", "--plan", plan, "--period", "2025-10", "--json"]) == 0, (
        capsys.readouterr().err
    )
    figures = json.loads(capsys.readouterr().out)
    options = {o.id for o in dairy.load().base.options}
    assert {f["option"] for f in figures} == options  # every option of the plan, by default
    proposed = [f for f in figures if f["option"] not in dairy.true_change]  # weekend-shutdown
    assert proposed and all(not f["savings"] and f["reason"] for f in proposed), proposed
    since = {f["option"]: f for f in figures if f["period_kind"] == "since"}
    for option, change in dairy.true_change.items():
        f = since[option]
        assert f["status"] in ("on track", "below promise"), f
        assert f["end"] == "2025-11-01"
        (unit,) = f["savings"]
        truth = f["observed"][unit] * -change / (1 + change)
        assert abs(f["savings"][unit] - truth) < 1.5 * f["band_90"][unit], (option, f, truth)

    assert main(["savings", "--plan", plan, "--period", "2025-10", "--option", "air-leaks"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "verified savings of plan dairy-mv (dairy) for 2025-10"
    rows = out[1:]
    assert [r.split()[:2] for r in rows] == [
        ["air-leaks", "2025-10"],
        ["air-leaks", "Q4"],
        ["air-leaks", "2025"],
        ["air-leaks", "since"],
    ]
    assert all("kWh" in r and "USD" in r and "completeness" in r for r in rows), rows


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ([], "--plan needs --period YYYY-MM"),
        (["--period", "2025-10", "--meter", "compressor"], "--meter: --plan takes its meters"),
        (["--period", "2025-10", "--option", "nope"], "option 'nope' is not in plan"),
        (["--period", "2030-01"], "--period 2030-01"),
    ],
)
def test_savings_plan_input_errors_name_the_fix(
    dairy: Dairy, monkeypatch, capsys, extra, message
) -> None:
    monkeypatch.setenv("PLANTMETER_STORE_URL", dairy.store_url)
    assert main(["savings", "--plan", str(dairy.plan_path), *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err, err
