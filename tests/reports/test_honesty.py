"""Reports that do not over-count, do not read missing data as good news, and mark figures
that rest on extrapolated drivers or on less than a year (issue 11, items 3, 4, 5b/c, 11).

References are independent of the report code: the simulator's own meter totals, the
tariff written out, and hand-built stores on the real SQLite store.
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from firmware_sim import load_scenario
from firmware_sim.plant import Plant
from pypdf import PdfReader

from ingest.csv_import import import_csv
from ingest.stores import open_store
from plantmeter.store import SeriesRow
from plantmeter_app.cli import main
from reports.consumption import consumption_report
from reports.consumption_doc import consumption_document
from reports.loan import loan_report
from reports.loan_doc import loan_document
from reports.verify import month_window
from tests.dairy import EXAMPLE, Dairy, plan_context

OCT = (date(2025, 10, 1), date(2025, 11, 1))


def _run(dairy: Dairy, env: dict[str, str], mp: pytest.MonkeyPatch, *argv: str) -> int:
    for k, v in env.items():
        mp.setenv(k, v)
    return main(["report", *argv])


def _copy(dairy: Dairy, tmp: Path) -> str:
    """A private copy of the session's store (the fixture's own must stay untouched)."""
    src = Path(dairy.store_url.removeprefix("sqlite:///"))
    shutil.copy(src, tmp / "dairy.db")
    return f"sqlite:///{tmp / 'dairy.db'}"


def _true_hourly(meter: str, start: date, end: date) -> pd.Series:
    """The simulator's own use per local hour (its counter integral), no PlantMeter code."""
    sc = load_scenario(EXAMPLE / "scenario.yaml")
    hours = pd.date_range(
        pd.Timestamp(start, tz=sc.site.timezone), pd.Timestamp(end, tz=sc.site.timezone), freq="h"
    )
    epoch = ((hours - pd.Timestamp("1970-01-01", tz="UTC")) / pd.Timedelta(seconds=1)).to_numpy()
    total = Plant(sc).primary(meter, epoch).total
    return pd.Series(np.diff(total), hours[:-1])


def _tou_price(idx: pd.DatetimeIndex) -> np.ndarray:
    """The example plan's electricity tariff, written out: peak 18-22 h Mon-Fri 0.21, night
    0-6 h 0.09, else 0.12 USD/kWh."""
    h, wd = idx.hour, idx.day_of_week
    return np.where((h >= 18) & (h < 22) & (wd < 5), 0.21, np.where(h < 6, 0.09, 0.12))


def test_site_totals_count_each_kwh_once(dairy: Dairy) -> None:
    """Item 3: sub-meters are inside main-elec; the site total is main-elec, not the sum."""
    truth = {m: _true_hourly(m, *OCT) for m in ("main-elec", "compressor", "refrigeration")}
    water = _true_hourly("cip-water", *OCT)
    with plan_context(dairy.load(), date(2025, 10, 31)) as ctx:
        r = consumption_report(ctx, month_window(OCT[0]))
    rows = {m["meter"]: m for m in r["meters"]}
    main_kwh = float(truth["main-elec"].sum())
    subs = float(truth["compressor"].sum() + truth["refrigeration"].sum())
    assert r["totals"]["electricity"]["use"] == pytest.approx(main_kwh, rel=1e-5)
    assert r["totals"]["electricity"]["meters"] == ["main-elec"]
    true_cost = float((truth["main-elec"] * _tou_price(truth["main-elec"].index)).sum())
    true_cost += float(water.sum()) * 2.10
    assert r["cost_total"] == pytest.approx(true_cost, rel=1e-5)
    # the old figure added the sub-meters again: about 55 % too high on this month
    summed = sum(m["cost"] for m in r["meters"])
    assert summed / r["cost_total"] > 1.5
    (rest,) = r["unmetered"]
    assert rest["parent"] == "main-elec" and rest["rest"] == pytest.approx(
        main_kwh - subs, rel=1e-4
    )
    assert rest["share"] == pytest.approx((main_kwh - subs) / main_kwh, rel=1e-4)
    assert rows["compressor"]["share_of_parent"] == pytest.approx(
        float(truth["compressor"].sum()) / main_kwh, rel=1e-4
    )
    doc = consumption_document(r, [], "USD", "dairy")
    assert f"metered cost {r['cost_total']:,.0f} USD" in doc.summary
    cells = [row[0].strip() for t in doc.sections[0].tables for row in t.rows]
    assert "rest of main-elec" in cells


def test_a_month_without_readings_says_insufficient_data(
    dairy: Dairy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Item 4: no data is not good news, in PDF, HTML and JSON, and no chart at 1970."""
    plan = str(dairy.plan_path)
    for ext in ("pdf", "html", "json"):
        out = tmp_path / f"c.{ext}"
        argv = ("consumption", "--plan", plan, "--period", "2026-02", "--out", str(out))
        assert _run(dairy, dairy.env, monkeypatch, *argv) == 0
    data = json.loads((tmp_path / "c.json").read_text())
    assert data["status"] == "insufficient data" and data["cost_total"] is None
    assert all(
        m["status"] == "insufficient data" and m["completeness"] == 0.0 for m in data["meters"]
    )
    assert all(m["use"] is None and m["cost"] is None for m in data["meters"])
    assert "insufficient data" in data["summary"] and "at or below" not in data["summary"]
    pdf = " ".join(p.extract_text() for p in PdfReader(tmp_path / "c.pdf").pages)
    html = (tmp_path / "c.html").read_text()
    for text in (pdf, html):
        assert "insufficient data" in text and "at or below" not in text and "1970" not in text
    assert "<svg" not in html  # no empty chart


def test_half_a_week_of_data_is_not_a_week(
    dairy: Dairy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ISO week 2026-W01 (29 Dec to 5 Jan): the history ends 1 Jan, 2 of 7 days are complete."""
    out = tmp_path / "w.json"
    argv = (
        "consumption",
        "--plan",
        str(dairy.plan_path),
        "--period",
        "2026-W01",
        "--out",
        str(out),
    )
    assert _run(dairy, dairy.env, monkeypatch, *argv) == 0
    data = json.loads(out.read_text())
    assert {m["status"] for m in data["meters"]} == {"insufficient data"}
    assert all(0 < m["completeness"] < 0.5 for m in data["meters"])


def test_an_option_without_readings_is_insufficient_and_the_rest_reported(
    dairy: Dairy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Item 4: cip-water never read; audit and loans still report, that option says why."""
    url = f"sqlite:///{tmp_path / 'partial.db'}"
    store = open_store(url)
    try:
        for csv in sorted((dairy.plan_path.parent / "csv").glob("*.csv")):
            if csv.stem != "cip-water":
                import_csv(store, "dairy", csv.stem, csv, "UTC", progress=False)
    finally:
        store.close()
    env = {"PLANTMETER_STORE_URL": url}
    plan = str(dairy.plan_path)
    out = tmp_path / "a.json"
    assert _run(dairy, env, monkeypatch, "audit", "dairy", "--plan", plan, "--out", str(out)) == 0
    audit = {d["id"]: d["verification"] for d in json.loads(out.read_text())["implemented"]}
    assert audit["cip-recycling"]["status"] == "insufficient data"
    assert audit["cip-recycling"]["completeness"] == 0.0
    assert "cip-water" in audit["cip-recycling"]["reason"]
    assert audit["air-leaks"]["status"] == "on track"
    assert audit["vsd-refrigeration"]["status"] == "below promise"
    out = tmp_path / "l.json"
    argv = ("loan", "revolving-fund-3", "--plan", plan, "--period", "2025-11", "--out", str(out))
    assert _run(dairy, env, monkeypatch, *argv) == 0
    loan = json.loads(out.read_text())
    assert loan["rows"][-1]["status"] == "insufficient data"
    assert {c["result"] for c in loan["covenants"]} == {"not yet determinable"}


def test_fahrenheit_drivers_never_read_met(dairy: Dairy, tmp_path: Path) -> None:
    """Item 5b: outdoor temperature imported in °F from September on (the issue's 1261 %)."""
    url = _copy(dairy, tmp_path)
    store = open_store(url)
    try:
        t0, t1 = pd.Timestamp("2025-09-01", tz="UTC"), pd.Timestamp("2025-12-01", tz="UTC")
        t = store.read("dairy", "outdoor-temp", ["temperature"], t0, t1)["temperature"].dropna()
        store.write_rows(
            [
                SeriesRow(
                    "dairy", "outdoor-temp", int(ts.value // 10**6), {"temperature": v * 1.8 + 32}
                )
                for ts, v in t.items()
            ]
        )
    finally:
        store.close()
    loaded = dairy.load()
    loaded.store_url = url
    with plan_context(loaded, date(2025, 11, 30)) as ctx:
        r = loan_report(ctx, "green-line-1", date(2025, 11, 1))
        cons = consumption_report(ctx, month_window(date(2025, 10, 1)))
    rows = {m["meter"]: m for m in cons["meters"]}
    assert rows["refrigeration"]["extrapolated"] and rows["main-elec"]["extrapolated"]
    assert not rows["compressor"]["extrapolated"]  # its TOWT model has no temperature driver
    summary = consumption_document(cons, [], "USD", "dairy").summary
    assert "EXTRAPOLATED expectation" in summary and "every meter at or below" not in summary
    month = next(v for v in r.verifications if v.window.kind == "month")
    assert month.extrapolated and r.rows[-1].extrapolated and r.rows[-1].cum_extrapolated
    (d,) = month.meters[0].driver_range
    assert d["data"]["driver"] == "temperature" and d["data"]["share_outside"] == 1.0
    assert d["data"]["enpi_lite_valid"] is False
    results = {(c.type, c.threshold): c.result for c in r.covenants}
    assert "met" not in results.values() and "not met" not in results.values()
    assert results[("reduction_threshold", 0.15)] == "not determinable"
    doc = loan_document(r, [], "USD")
    assert "EXTRAPOLATED" in doc.summary and "temperature" in doc.summary
    assert doc.data["verifications"][0]["extrapolated"] is True


def test_loan_chart_units_verdicts_and_annualising(dairy: Dairy, tmp_path: Path) -> None:
    """Item 11 and 5c on the clean history, November 2025."""
    with plan_context(dairy.load(), date(2025, 11, 30)) as ctx:
        r = loan_report(ctx, "green-line-1", date(2025, 11, 1))
    doc = loan_document(r, [], "USD")
    chart = next(c for s in doc.sections for c in s.charts if c.title.startswith("Cumulative"))
    # running totals at each month's end: Aug's end (1 Sep) is still zero, Sep's at 1 Oct
    assert [x.strftime("%Y-%m-%d") for x in chart.x] == [
        "2025-08-01",
        "2025-09-01",
        "2025-10-01",
        "2025-11-01",
        "2025-12-01",
    ]
    verified = chart.series[0].values
    assert verified[:2] == [0.0, 0.0] and verified[2] == r.rows[1].cum_verified
    commissioned = pd.Timestamp(r.implemented["vsd-refrigeration"])
    assert all(v == 0.0 for x, v in zip(chart.x, verified, strict=True) if x <= commissioned)
    # a finished month whose interval straddles the threshold: inconclusive, not "not yet"
    cov = next(c for c in r.covenants if c.type == "min_coverage")
    assert cov.low is not None and cov.high is not None and cov.low < cov.threshold <= cov.high
    assert cov.result == "inconclusive"
    # units, not raw plan keys
    opts = doc.sections[0].tables[0]
    assert opts.rows[0][-1] == "95,000 kWh, 11,500 USD"
    assert all(
        c.ylabel and any(u in c.ylabel for u in ("kWh", "m3", "USD"))
        for s in doc.sections
        for c in s.charts
    )
    # annualised from three months (1 Sep to 1 Dec), and it says so
    assert r.financials["annualised_from_days"] == 91
    assert "annualised from 3 months (91 days)" in " ".join(
        p for s in doc.sections for p in s.paragraphs
    )


def test_pdf_table_cells_do_not_overlap(tmp_path: Path) -> None:
    """Item 11: capitals ('NOT YET DETERMINABLE') and long evidence stay in their column."""
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    from reports.document import Table
    from reports.render import RC, _Pages

    evidence = "savings / debt service in 2025-11 0.789 (90 % interval 0.777 to 0.801) against 0.8"
    t = Table(
        ["covenant", "basis", "result", "evidence"],
        [
            [
                "savings cover at least 80 % of the month's repayment",
                "month",
                "NOT YET DETERMINABLE",
                evidence,
            ],
            [
                "rebate tier 2: 25 % of the investment refunded",
                "cumulative",
                "NOT MET",
                evidence * 2,
            ],
        ],
    )
    with plt.rc_context(RC), PdfPages(tmp_path / "t.pdf") as pdf:  # type: ignore[arg-type]
        pages = _Pages(pdf, "t")
        pages.table(t)
        fig = pages.fig
        assert fig is not None
        fig.set_dpi(600)  # measure glyphs finely (hinting at 100 dpi widens small text)
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        renderer = FigureCanvasAgg(fig).get_renderer()  # pages are pyplot-free Figures
        boxes = [(x.get_window_extent(renderer), x.get_text()) for x in fig.texts if x.get_text()]
        page_right = fig.bbox.x1
        for b, text in boxes:
            assert b.x1 <= page_right, text
            for c, other in boxes:
                if text != other and abs(b.y0 - c.y0) < 1 and b.x0 < c.x0:
                    assert b.x1 <= c.x0, (text, other)
        pages.close_page()


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (("loan", "green-line-1", "--period", "2025-W45"), "calendar month, not an ISO week"),
        (("loan", "green-line-1", "--period", "2025-07"), "outside the term of loan green-line-1"),
        (("loan", "green-line-1", "--period", "2030-01"), "after the plan's reporting period"),
        (("consumption", "--period", "2024-02"), "before the plan's baseline (2024-04-01)"),
        (("audit", "dairy", "--period", "2023-12"), "before the plan's baseline"),
    ],
)
def test_periods_outside_the_plan_or_loan_are_refused(
    dairy: Dairy,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: tuple[str, ...],
    needle: str,
) -> None:
    out = tmp_path / "x.pdf"
    assert (
        _run(
            dairy, dairy.env, monkeypatch, *argv, "--plan", str(dairy.plan_path), "--out", str(out)
        )
        == 2
    )
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err
    assert not out.exists()


def test_unsupported_output_is_refused_before_anything_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--out x.docx with a plan that does not even exist: the output type is checked first."""
    missing = str(tmp_path / "no-plan.yaml")
    for argv in (
        ["loan", "green-line-1", "--period", "2025-11"],
        ["audit", "dairy"],
        ["consumption", "--period", "2025-10"],
    ):
        assert main(["report", *argv, "--plan", missing, "--out", str(tmp_path / "x.docx")]) == 2
        err = capsys.readouterr().err
        assert "--out" in err and ".docx" in err and ".pdf, .html" in err and "no-plan" not in err
