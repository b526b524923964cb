"""Approval pins the agreed baseline: late imports, edited plans, amendments, adjustments.

Each test works on its own copy of the dairy store and plan folder (the session's store stays
as the simulator wrote it).
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from ingest.stores import open_store
from plantmeter.errors import ConfigError
from plantmeter.store import SeriesPoint
from plantmeter_app.cli import main
from reports.load import load_plan
from reports.record import approval_path, entry_digest
from reports.verify import Window, month_window
from tests.dairy import Dairy, plan_context

SINCE = Window("since", "since", date(2025, 4, 1), date(2025, 12, 1))


def _copy(dairy: Dairy, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A private copy of the plan folder (plan, site, approval record) and of the store."""
    src = dairy.plan_path.parent
    for name in ("mv-plan.yaml", "site.yaml", "mv-plan.approved.json"):
        shutil.copy(src / name, tmp_path / name)
    db = tmp_path / "dairy.db"
    shutil.copy(dairy.store_url.removeprefix("sqlite:///"), db)
    return tmp_path / "mv-plan.yaml", {"PLANTMETER_STORE_URL": f"sqlite:///{db}"}


def _late_import(env: dict[str, str], days: int = 20) -> int:
    """Corrected readings re-imported into the baseline: one a day at 18:00 UTC, 40 kWh higher."""
    store = open_store(env["PLANTMETER_STORE_URL"], create=False)
    try:
        t0 = pd.Timestamp("2024-07-01 18:00", tz="UTC")
        frame = store.read(
            "dairy", "compressor", ["energy_import_total"], t0, t0 + pd.Timedelta(days=days)
        )
        at18 = frame[frame.index.hour == 18]["energy_import_total"]
        pts = [
            SeriesPoint(
                "dairy",
                "compressor",
                "energy_import_total",
                int(ts.value // 1_000_000),
                v + 40.0,
            )
            for ts, v in at18.items()
        ]
        store.write_points(pts)
        return len(pts)
    finally:
        store.close()


def _savings(plan: Path, env: dict[str, str], oid: str = "air-leaks", w: Window = SINCE) -> float:
    with plan_context(load_plan(plan, environ=env), w.end) as ctx:
        v = ctx.verifier.verify(oid, w)
        return v.savings["kWh"]


def test_late_import_after_approval_keeps_the_agreed_savings(
    dairy: Dairy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan, env = _copy(dairy, tmp_path)
    before = _savings(plan, env)
    n = _late_import(env)
    assert n == 20
    assert _savings(plan, env) == before  # the agreed model, not a refit on the new readings
    # the refit the reports used to do moves the figure: the pin is what keeps it
    with plan_context(load_plan(plan, environ=env), SINCE.end) as ctx:
        ctx.verifier.pins.clear()
        assert abs(ctx.verifier.verify("air-leaks", SINCE).savings["kWh"] - before) > 1.0
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    for ext in ("json", "html", "pdf"):
        out = tmp_path / f"loan.{ext}"
        args = ["report", "loan", "revolving-fund-3", "--plan", str(plan), "--period", "2025-11"]
        assert main([*args, "--out", str(out)]) == 0
    data = json.loads((tmp_path / "loan.json").read_text())
    line = next(m for m in data["meta"] if m.startswith("Baseline compressor:"))
    # values changed on days of 24 readings: more could have changed unseen, hence "at least"
    assert "baseline data changed since approval: at least 20 readings differ" in line.lower()
    assert data["approval"]["baselines"]["compressor"]["readings_changed_since_approval"] == 20
    assert data["approval"]["baselines"]["cip-water"]["readings_changed_since_approval"] == 0
    assert "20 readings differ" in (tmp_path / "loan.html").read_text()
    from pypdf import PdfReader

    text = " ".join(p.extract_text() for p in PdfReader(tmp_path / "loan.pdf").pages)
    assert "20 readings differ" in " ".join(text.split())


def test_editing_the_approved_plan_or_its_record_is_detected(dairy: Dairy, tmp_path: Path) -> None:
    plan, env = _copy(dairy, tmp_path)
    loaded = load_plan(plan, environ=env)
    head = loaded.record.head if loaded.record else None
    _, version = loaded.as_of(date(2025, 11, 30))
    assert version.record_digest == head and version.record_entry == 4  # approval + 3 amendments
    text = plan.read_text()
    plan.write_text(text.replace("promised_annual_savings: 11500", "promised_annual_savings: 9000"))
    with pytest.raises(
        ConfigError, match="the plan body changed after version 1 was approved on 2025-03-20"
    ):
        load_plan(plan, environ=env)
    # "paste the new hash": rewrite the approval entry's body digest -> the record's chain breaks
    rec_path = approval_path(plan)
    rec = json.loads(rec_path.read_text())
    from plantmeter.yamlconf import read_yaml
    from reports.load import plan_digest

    new_digest = plan_digest(read_yaml(plan)[0])
    rec["entries"][0]["plan_digest"] = new_digest
    rec_path.write_text(json.dumps(rec))
    with pytest.raises(ConfigError, match="entry 1 of the approval record was edited"):
        load_plan(plan, environ=env)
    # forging the whole chain is possible, but then every report names another record head
    prev = None
    for e in rec["entries"]:
        e["prev"] = prev
        e["digest"] = entry_digest(e)
        prev = e["digest"]
    rec_path.write_text(json.dumps(rec))
    forged = load_plan(plan, environ=env).as_of(date(2025, 11, 30))[1]
    assert forged.record_digest != head and forged.record_digest in forged.describe()
    # an approved amendment edited afterwards is detected too
    plan.write_text(text.replace("CP centre visit report 25-014", "CP centre visit report 25-015"))
    shutil.copy(dairy.plan_path.parent / "mv-plan.approved.json", rec_path)
    with pytest.raises(
        ConfigError, match=r"amendments\[0\] changed or was removed after it was approved"
    ):
        load_plan(plan, environ=env)


def test_amendment_refits_and_reports_show_it(
    dairy: Dairy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan, env = _copy(dairy, tmp_path)
    before = _savings(plan, env)
    _late_import(env)
    plan.write_text(
        plan.read_text()
        + "  - date: 2025-10-15\n"
        + "    reason: compressor baseline readings corrected (meter log 24-07), lender agreed\n"
        + "    refit: [compressor]\n"
        + "  - date: 2025-10-20\n"
        + "    reason: refrigeration baseline form fixed to 2P (engineering review 25-040)\n"
        + '    changes: {"baselines.refrigeration.model": 2P}\n'
    )
    with pytest.raises(
        ConfigError, match=r"amendments\[3\] is not approved.*plantmeter plan approve"
    ):
        _savings(plan, env)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    assert main(["plan", "approve", str(plan), "--by", " "]) == 2  # who approves is required
    assert main(["plan", "approve", str(plan), "--by", "lender's engineer"]) == 0
    assert main(["plan", "approve", str(plan), "--by", "lender's engineer"]) == 2  # nothing new
    rec = json.loads(approval_path(plan).read_text())
    assert [e["kind"] for e in rec["entries"]] == ["approval", *["amendment"] * 5]
    assert sorted(rec["entries"][4]["fits"]) == ["compressor"]  # only what it refits
    assert sorted(rec["entries"][5]["fits"]) == ["refrigeration"]  # its fit spec changed
    after = _savings(plan, env)
    assert after != before
    # a period before the amendment keeps the model approved then
    assert _savings(plan, env, w=Window("custom", "x", date(2025, 4, 1), date(2025, 10, 1))) == (
        _savings(
            dairy.plan_path, dairy.env, w=Window("custom", "x", date(2025, 4, 1), date(2025, 10, 1))
        )
    )
    out = tmp_path / "c.json"
    assert (
        main(
            ["report", "consumption", "--plan", str(plan), "--period", "2025-11", "--out", str(out)]
        )
        == 0
    )
    data = json.loads(out.read_text())
    assert data["meta"][0].startswith("M&V plan dairy-mv version 1.5 (approved 2025-03-20)")
    assert "2025-10-15 compressor baseline readings corrected" in data["meta"][0]
    line = next(m for m in data["meta"] if m.startswith("Baseline compressor:"))
    assert "pinned by approval-record entry 5 (amendment)" in line and "differ" not in line
    assert data["approval"]["baselines"]["compressor"]["entry"] == 5
    assert data["approval"]["baselines"]["main-elec"]["entry"] == 1
    assert data["approval"]["baselines"]["refrigeration"]["entry"] == 6


def test_unapproved_plan_reports_carry_a_banner(
    dairy: Dairy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan, env = _copy(dairy, tmp_path)
    approval_path(plan).unlink()
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    out = tmp_path / "c.json"
    assert (
        main(
            ["report", "consumption", "--plan", str(plan), "--period", "2025-11", "--out", str(out)]
        )
        == 0
    )
    data = json.loads(out.read_text())
    assert data["title"].endswith("UNAPPROVED baseline")
    assert data["summary"].startswith("UNAPPROVED baseline")
    assert data["approval"]["status"] == "UNAPPROVED" and not data["approval"]["baselines"]
    assert "(UNAPPROVED: no approval record" in data["meta"][0]


def test_non_routine_adjustment_is_applied_and_listed(dairy: Dairy, tmp_path: Path) -> None:
    plan, env = _copy(dairy, tmp_path)
    october = month_window(date(2025, 10, 1))
    base = _savings(plan, env, w=october)
    plan.write_text(
        plan.read_text()
        + "adjustments:\n"
        + "  - id: new-dryer\n"
        + "    start: 2025-10-01\n"
        + "    end: 2025-11-01\n"
        + "    date: 2025-10-20\n"
        + "    reason: air dryer added to the compressor line for the new filler (static factor)\n"
        + "    meters: {compressor: {per_day: 24}}\n"
        + "    method: dryer nameplate 1 kW, runs 24 h a day (CP centre note 25-031)\n"
        + "    approved_by: lender's engineer\n"
    )
    store = open_store(env["PLANTMETER_STORE_URL"], create=False)
    try:
        from reports.approval import approve

        approve(load_plan(plan, environ=env), store, "lender's engineer")
    finally:
        store.close()
    with plan_context(load_plan(plan, environ=env), october.end) as ctx:
        v = ctx.verifier.verify("air-leaks", october)
        meta = ctx.meta("x")
    # 31 complete days × 24 kWh/day added to the adjusted baseline, so to the savings
    assert v.savings["kWh"] == pytest.approx(base + 31 * 24.0, abs=1e-6)
    (adj,) = v.adjustments
    assert adj["id"] == "new-dryer" and adj["effect"] == pytest.approx(744.0)
    caveats = [str(c) for c in v.caveats]  # Texts (plantmeter.text), English here
    assert any("Non-routine adjustment new-dryer" in c and "+744 kWh" in c for c in caveats)
    assert any(m.startswith("Non-routine adjustment new-dryer from 2025-10-01") for m in meta)
    from reports.consumption import consumption_report
    from reports.consumption_doc import consumption_document

    with plan_context(load_plan(plan, environ=env), october.end) as ctx:
        doc = consumption_document(consumption_report(ctx, october), [], "USD", "dairy")
    text = " ".join(p for sec in doc.sections for p in sec.paragraphs)
    assert "Expected for compressor includes the non-routine adjustment new-dryer: +744 kWh" in text
    # a report for a period ending before the adjustment was agreed does not apply it
    with plan_context(load_plan(plan, environ=env), date(2025, 10, 15)) as ctx:
        w = Window("custom", "x", date(2025, 10, 1), date(2025, 10, 15))
        assert not ctx.verifier.verify("air-leaks", w).adjustments


OPTION_A = """\
  - id: led-hall
    title: LED lighting in the filling hall
    level: low-cost
    status: implemented
    meters: [main-elec]
    implemented: 2025-06-01
    investment: 9000
    expected_annual: {kwh: 21000}
    key_parameter:
      parameter: filling-hall lighting power
      unit: kW
      baseline: {value: 12.4, measured: 2025-05-20, source: "clamp-meter survey CP-25-020"}
      reporting: {value: 5.1, measured: 2025-06-10, source: "clamp-meter survey CP-25-033"}
      stipulated:
        - {name: operating hours, value: 6000, unit: h/year, source: "two shifts, 6 days (plan 2024)"}
      savings_unit: kWh
"""


def test_option_a_key_parameter_measured_the_rest_stipulated(dairy: Dairy, tmp_path: Path) -> None:
    plan, env = _copy(dairy, tmp_path)
    text = plan.read_text().replace("\nloans:\n", "\n" + OPTION_A + "\nloans:\n")
    plan.write_text(text)
    approval_path(plan).unlink()  # a new option changes the body: a new agreement
    loaded = load_plan(plan, environ=env)
    w = month_window(date(2025, 7, 1))
    with plan_context(loaded, w.end) as ctx:
        v = ctx.verifier.verify("led-hall", w)
    # IPMVP Option A (Core Concepts): savings = (baseline − reporting key parameter) × stipulated
    # hours; written out: (12.4 − 5.1) kW × 6000 h/year × 31/365 of a year
    assert v.savings["kWh"] == pytest.approx((12.4 - 5.1) * 6000 * 31 / 365)
    assert (
        v.band_90["kWh"] == 0.0 and v.completeness == 1.0 and v.status == "on track"
    )  # 43,800 > 21,000 kWh/year
    ms = v.meters[0]
    assert ms.measurement == "key-parameter"
    assert any(
        "IPMVP Option A" in c and "CP-25-033" in c and "6,000 h/year" in c
        for c in map(str, v.caveats)
    )
    # priced at the month's time-weighted mean electricity price of the plan's tariff
    assert ms.cost is not None and 0.12 < ms.cost / ms.savings < 0.14


def test_option_a_and_adjustment_input_errors(dairy: Dairy, tmp_path: Path) -> None:
    plan, env = _copy(dairy, tmp_path)
    approval_path(plan).unlink()
    base = plan.read_text()
    bad = base.replace(
        "\nloans:\n", "\n" + OPTION_A.replace("main-elec", "cip-water") + "\nloans:\n"
    )
    plan.write_text(bad)
    with pytest.raises(
        ConfigError, match=r"'cip-water' records m3, but the Option A savings are in kWh"
    ):
        load_plan(plan, environ=env)
    plan.write_text(
        base
        + "adjustments:\n  - {id: x, start: 2025-10-01, date: 2025-10-02, reason: new line,"
        + " meters: {compressor: {total: 100}}, approved_by: lender}\n"
    )
    with pytest.raises(ConfigError, match="a total needs the period's end"):
        load_plan(plan, environ=env)
    plan.write_text(
        base
        + "adjustments:\n  - {id: x, start: 2025-10-01, date: 2025-10-02, reason: new line,"
        + " meters: {compressor: {per_unit: 0.1, driver: production}}, approved_by: lender}\n"
    )
    with pytest.raises(ConfigError, match="is a model change .*document how it was found"):
        load_plan(plan, environ=env)


def test_routine_adjustment_beyond_the_regression_drivers(dairy: Dairy, tmp_path: Path) -> None:
    plan, env = _copy(dairy, tmp_path)
    approval_path(plan).unlink()  # the adjustment is part of the plan body: a draft here
    october = month_window(date(2025, 10, 1))
    base = _savings(plan, env, w=october)
    plan.write_text(
        plan.read_text().replace(
            "compressor: {model: towt, granularity: hourly}",
            "compressor: {model: towt, granularity: hourly, routine: [{name: bottle blower, "
            "driver: production, per_unit: 0.01, method: blower log 2024 (CP-24-090)}]}",
        )
    )
    with plan_context(load_plan(plan, environ=env), october.end) as ctx:
        v = ctx.verifier.verify("air-leaks", october)
    # written out from the raw production counter: its advance over October, local midnights
    store = open_store(env["PLANTMETER_STORE_URL"], create=False)
    try:
        tz = "America/Guatemala"
        t0, t1 = pd.Timestamp("2025-10-01", tz=tz), pd.Timestamp("2025-11-01", tz=tz)
        c = store.read("dairy", "production", ["production_total"], t0, t1 + pd.Timedelta(hours=1))
    finally:
        store.close()
    c = c["production_total"]
    made = float(c[c.index == t1].iloc[0] - c[c.index == t0].iloc[0])
    assert v.savings["kWh"] == pytest.approx(base + 0.01 * made, rel=1e-9)
    (adj,) = v.adjustments
    assert adj["kind"] == "routine" and adj["effect"] == pytest.approx(0.01 * made, rel=1e-9)
    assert any(
        str(c).startswith("Routine adjustment bottle blower on compressor") for c in v.caveats
    )
