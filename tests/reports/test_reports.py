"""End to end on the simulated dairy: verified savings hold the true effects, debt service
equals an independent annuity, the reports render (PDF pages and text, HTML, JSON)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader

from plantmeter_app.cli import main
from reports.loan import loan_report
from reports.verify import Window, month_window, periods_for
from tests.dairy import Dairy, plan_context

OPTIONS = ("air-leaks", "cip-recycling", "vsd-refrigeration")


def _true(observed: float, change: float) -> float:
    """The simulator multiplies the meter's own load by (1 + change): savings = obs·(−c)/(1+c)."""
    return observed * -change / (1 + change)


def test_verified_savings_hold_the_true_effect(dairy: Dairy) -> None:
    loaded = dairy.load()
    with plan_context(loaded, date(2025, 12, 31)) as ctx:
        inside = total = 0
        for oid in OPTIONS:
            o = ctx.plan.option(oid)
            for month in range(4, 13):
                for w in periods_for(date(2025, month, 1), o.implemented):
                    if w.kind not in ("month", "since"):
                        continue
                    v = ctx.verifier.verify(oid, w)
                    if v.status == "not implemented":
                        continue
                    assert v.has_number and v.completeness == 1.0 and v.g14_pass
                    ms = v.meters[0]
                    truth = _true(ms.observed, dairy.true_change[oid])
                    err = abs(v.savings[ms.unit] - truth)
                    band = v.band_90[ms.unit]
                    # no window grossly wrong: beyond a correct 90 % interval's reach with a
                    # joint 1 % false-failure rate over the 40 windows (Bonferroni: |z| > 3.66,
                    # 2.2 bands). 1.5 bands held only while the simulator's noise was tiny.
                    assert err < 2.2 * band, (oid, w.label, v.savings, truth, band)
                    inside += err <= band
                    total += 1
                    if w.kind == "since" and month == 12:  # the headline figure of each option
                        assert err <= band, (oid, v.savings, truth, band)
        # a 90 % interval: about 9 in 10 hold the truth (measured: 34 of 40, the months of one
        # option share its model's error, so they miss together)
        assert total == 40 and inside >= 34


def test_debt_service_equals_an_independent_annuity(dairy: Dairy) -> None:
    loaded = dairy.load()
    with plan_context(loaded, date(2025, 11, 30)) as ctx:
        r = loan_report(ctx, "green-line-1", date(2025, 11, 1))
    p, i, n = 48000.0, 0.075 / 12, 48
    payment = p * i / (1 - (1 + i) ** -n)  # written out, not reports.finance
    assert payment == pytest.approx(1160.59, abs=0.005)
    by_month = {row.month: row.debt_service for row in r.rows}
    assert by_month == pytest.approx(
        {"2025-08": 0.0, "2025-09": payment, "2025-10": payment, "2025-11": payment}
    )
    last = r.rows[-1]
    assert last.cum_debt_service == pytest.approx(3 * payment)
    assert last.coverage == pytest.approx(last.verified / payment)
    # VSD saves ~20 % of the refrigeration load: below the 95,000 kWh promised, 15 % tier met
    results = {(c.type, c.threshold): c.result for c in r.covenants}
    assert results[("reduction_threshold", 0.15)] == "met"
    assert results[("reduction_threshold", 0.30)] == "not met"
    # three months after the VSD: verified ≈ 93 % of the promise, but with the plant's real
    # day-to-day variation its 90 % interval (≈ 0.77–1.10) still reaches below 0.8, so the
    # covenant is honestly "inconclusive" (it read "met" while intervals were ±1 %)
    verified = next(c for c in r.covenants if c.type == "min_verified_savings")
    assert verified.result == "inconclusive"
    assert verified.value is not None and verified.value > 0.8
    assert verified.low is not None and verified.low < 0.8 < verified.value
    assert r.financials["payback_years_verified"] == pytest.approx(
        48000 / r.financials["annual_verified_savings"]
    )


def test_insufficient_data_gives_no_number(dairy: Dairy) -> None:
    loaded = dairy.load()
    with plan_context(loaded, date(2026, 1, 31)) as ctx:
        # the history ends 2026-01-01: January 2026 has no data at all
        v = ctx.verifier.verify("vsd-refrigeration", month_window(date(2026, 1, 1)))
        assert v.status == "insufficient data" and v.completeness == 0.0
        assert not v.savings and v.cost is None and "no savings figure" in str(v.reason)
        # half a month of data: still a completeness figure, never a savings number
        v = ctx.verifier.verify(
            "air-leaks", Window("custom", "x", date(2025, 12, 16), date(2026, 1, 16))
        )
        assert v.status == "insufficient data" and 0.4 < (v.completeness or 0) < 0.6
        r = loan_report(ctx, "green-line-1", date(2026, 1, 1))
        assert r.rows[-1].verified is None and r.rows[-1].status == "insufficient data"
        assert any(c.result == "not yet determinable" for c in r.covenants)


def test_loan_report_pdf_html_json(
    dairy: Dairy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for k, v in dairy.env.items():
        monkeypatch.setenv(k, v)
    plan = str(dairy.plan_path)
    for ext in ("pdf", "html", "json"):
        out = tmp_path / f"loan.{ext}"
        assert (
            main(
                [
                    "report",
                    "loan",
                    "green-line-1",
                    "--plan",
                    plan,
                    "--period",
                    "2025-11",
                    "--out",
                    str(out),
                ]
            )
            == 0
        )
    data = json.loads((tmp_path / "loan.json").read_text())
    last = data["rows"][-1]
    assert data["meta"][0].startswith("M&V plan dairy-mv version 1.3 (approved 2025-03-20)")
    assert any(m.startswith("PlantMeter ") for m in data["meta"])
    reader = PdfReader(tmp_path / "loan.pdf")
    assert 2 <= len(reader.pages) <= 4
    text = " ".join(p.extract_text() for p in reader.pages)
    for needle in (
        "Loan monitoring report",
        "green-line-1",
        "version 1.3",
        "1,160.59",
        f"{last['verified']:,.0f} ± {last['band_90']:,.0f}",
        f"{last['coverage']:.0%}",
        "CUSUM",
        "NOT MET",
        "Data window",
    ):
        assert needle in text, needle
    page = (tmp_path / "loan.html").read_text()
    assert "<svg" in page and f"{last['coverage']:.0%}" in page
    for external in ('src="http', "src='http", 'href="http', "<link", "<script", "url(http"):
        assert external not in page  # self-contained: nothing fetched over the network


def test_audit_and_consumption_reports(
    dairy: Dairy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for k, v in dairy.env.items():
        monkeypatch.setenv(k, v)
    plan = str(dairy.plan_path)
    assert main(["report", "audit", "dairy", "--plan", plan, "--out", str(tmp_path / "a.pdf")]) == 0
    assert (
        main(["report", "audit", "dairy", "--plan", plan, "--out", str(tmp_path / "a.json")]) == 0
    )
    audit = json.loads((tmp_path / "a.json").read_text())
    assert [p["id"] for p in audit["proposed"]] == [
        "weekend-shutdown",
        "led-lighting",
        "condenser-heat-recovery",
    ]
    assert {d["id"]: d["verification"]["status"] for d in audit["implemented"]} == {
        "air-leaks": "on track",
        "cip-recycling": "on track",
        "vsd-refrigeration": "below promise",
    }
    text = " ".join(p.extract_text() for p in PdfReader(tmp_path / "a.pdf").pages)
    assert "Options still proposed" in text and "weekend-shutdown" in text
    for period in ("2025-10", "2025-W46"):
        out = tmp_path / f"c-{period}.json"
        assert (
            main(["report", "consumption", "--plan", plan, "--period", period, "--out", str(out)])
            == 0
        )
        cons = json.loads(out.read_text())
        rows = {m["meter"]: m for m in cons["meters"]}
        assert rows["main-elec"]["use"] > 0 and rows["main-elec"]["cost"] > 0
        assert rows["refrigeration"]["enpi"] < rows["refrigeration"]["enpi_expected"]
    assert (
        main(
            [
                "report",
                "consumption",
                "--plan",
                plan,
                "--period",
                "2025-13",
                "--out",
                str(tmp_path / "x.pdf"),
            ]
        )
        == 2
    )
    assert (
        main(
            [
                "report",
                "loan",
                "nope",
                "--plan",
                plan,
                "--period",
                "2025-11",
                "--out",
                str(tmp_path / "x.pdf"),
            ]
        )
        == 2
    )
