"""The overview's figures: the sub-meter tree and its unmetered rest, EnPI per month, and the
baseline trace (expected use with its band, CUSUM of savings) the meter page draws.

References: hand numbers for the tree; the raw counters at local month boundaries
(``store.read``) for EnPI, the raw counter interpolated at local midnights for a daily
baseline's metered use (the reports' pro-rata rule); for the band, the share of
baseline days inside it (a 90 % band of one day's use must hold about 90 % of the days before the
option changed the meter's load).
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ingest.stores import open_store
from plantmeter.config import load_site
from plantmeter.errors import ConfigError
from plantmeter.store import SeriesPoint
from services.baseline import baseline_trace
from services.enpi import enpi_trend
from services.tree import submeter_tree
from tests.dairy import Dairy

from .test_series import TZ, _last_before

SITE = Path(__file__).parents[2] / "examples" / "dairy" / "site.yaml"


def test_tree_rest_is_the_parent_minus_its_submeters() -> None:
    site = load_site(SITE)
    roots = submeter_tree(
        site, {"main-elec": 100.0, "compressor": 30.0, "refrigeration": 50.0, "cip-water": 7.0}
    )
    assert [n.meter for n in roots] == ["main-elec", "cip-water"]  # kWh and m3 never add up
    main = roots[0]
    assert [c.meter for c in main.children] == ["compressor", "refrigeration"]
    assert main.rest == pytest.approx(20.0) and main.rest_share == pytest.approx(0.2)
    assert roots[1].children == () and roots[1].rest is None


def test_tree_rest_unknown_when_a_submeter_is_unknown_and_negative_rest_is_kept() -> None:
    site = load_site(SITE)
    unknown = submeter_tree(site, {"main-elec": 100.0, "compressor": None, "refrigeration": 50.0})
    assert unknown[0].rest is None
    wrong = submeter_tree(site, {"main-elec": 60.0, "compressor": 30.0, "refrigeration": 50.0})
    assert wrong[0].rest == pytest.approx(-20.0)  # a wiring error shows, it is not clipped


def test_enpi_is_month_use_over_month_production_from_the_raw_counters(dairy: Dairy) -> None:
    loaded = dairy.load()
    store = open_store(dairy.store_url, create=False)
    try:
        trend = enpi_trend(store, loaded.site, date(2025, 1, 1), date(2025, 5, 1))
        raw = {
            m: store.read(
                "dairy",
                m,
                [q],
                pd.Timestamp("2024-12-20", tz="UTC"),
                pd.Timestamp("2025-05-03", tz="UTC"),
            )[q].dropna()
            for m, q in (
                ("main-elec", "energy_import_total"),
                ("cip-water", "volume_total"),
                ("production", "production_total"),
            )
        }
    finally:
        store.close()
    edges = pd.date_range(pd.Timestamp("2025-01-01", tz=TZ), periods=5, freq="MS")
    use = {m: np.diff(_last_before(s, edges)) for m, s in raw.items()}
    assert [m.month for m in trend.months] == ["2025-01", "2025-02", "2025-03", "2025-04"]
    assert trend.meters == {"electricity": ("main-elec",), "water": ("cip-water",)}
    for i, m in enumerate(trend.months):
        assert m.production == pytest.approx(use["production"][i], rel=1e-9)
        assert m.enpi["electricity"] == pytest.approx(
            use["main-elec"][i] / use["production"][i], rel=1e-9
        )
        assert m.enpi["water"] == pytest.approx(
            use["cip-water"][i] / use["production"][i], rel=1e-9
        )


def test_enpi_refuses_ranges_that_are_not_months() -> None:
    site = load_site(SITE)
    with pytest.raises(ConfigError, match="first days of months"):
        enpi_trend(None, site, date(2025, 1, 2), date(2025, 3, 1))  # type: ignore[arg-type]


def test_baseline_trace_metered_use_is_the_raw_counter_and_cusum_sums_savings(dairy: Dairy) -> None:
    loaded = dairy.load()
    store = open_store(dairy.store_url, create=False)
    try:
        trace = baseline_trace(loaded, store, "main-elec", date(2025, 10, 1), date(2025, 11, 1))
        raw = store.read(
            "dairy",
            "main-elec",
            ["energy_import_total"],
            pd.Timestamp("2025-09-28", tz="UTC"),
            pd.Timestamp("2025-11-03", tz="UTC"),
        )["energy_import_total"].dropna()
    finally:
        store.close()
    assert trace.granularity == "daily" and trace.unit == "kWh" and trace.approved
    assert len(trace.points) == 31
    edges = pd.date_range(pd.Timestamp("2025-10-01", tz=TZ), periods=32, freq="D")
    # the reports spread each reading interval's energy pro rata over the hours it spans: the
    # counter linearly interpolated at local midnights
    at = np.interp(
        edges.tz_convert("UTC").asi8, raw.index.tz_convert("UTC").asi8, raw.to_numpy(dtype=float)
    )
    daily = np.diff(at)
    checked = 0
    running = 0.0
    for p, ref in zip(trace.points, daily, strict=True):
        if p.savings is None:
            continue
        assert p.observed == pytest.approx(ref, rel=1e-6)
        assert p.savings == pytest.approx(p.expected - p.observed)
        running += p.savings
        assert p.cumulative == pytest.approx(running)
        checked += 1
    assert checked >= 25


def test_baseline_band_holds_about_ninety_percent_of_the_days_before_the_change(
    dairy: Dairy,
) -> None:
    # refrigeration's VSD came on 2025-09-01: until then the plant is the baseline's plant
    loaded = dairy.load()
    store = open_store(dairy.store_url, create=False)
    try:
        trace = baseline_trace(loaded, store, "refrigeration", date(2025, 4, 1), date(2025, 9, 1))
    finally:
        store.close()
    assert trace.band_90 is not None and trace.band_90 > 0
    days = [p for p in trace.points if p.savings is not None]
    inside = sum(abs(p.savings) <= trace.band_90 for p in days) / len(days)  # type: ignore[arg-type]
    assert len(days) > 130
    assert 0.8 <= inside <= 0.97, inside


def test_baseline_trace_outside_the_plan_is_refused(dairy: Dairy) -> None:
    loaded = dairy.load()
    store = open_store(dairy.store_url, create=False)
    try:
        with pytest.raises(ConfigError, match="outside the plan's data window"):
            baseline_trace(loaded, store, "main-elec", date(2023, 1, 1), date(2023, 2, 1))
        with pytest.raises(ConfigError, match="no baseline"):
            baseline_trace(loaded, store, "production", date(2025, 1, 1), date(2025, 2, 1))
    finally:
        store.close()


def test_enpi_has_no_figure_for_months_whose_use_is_only_spread_over_a_gap(
    dairy: Dairy, tmp_path: Path
) -> None:
    # the history ends 2026-01-01; one reading of each counter on 2026-03-15 closes a gap of
    # ten weeks: series spreads that advance evenly over the empty days (estimated), which is
    # no measured month to divide
    db = tmp_path / "gap.db"
    shutil.copy(Path(dairy.store_url.removeprefix("sqlite:///")), db)
    store = open_store(f"sqlite:///{db}", create=False)
    try:
        t = int(pd.Timestamp("2026-03-15 12:00", tz=TZ).value // 1_000_000)
        points = [
            SeriesPoint("dairy", v.meter, v.quantity, t, v.value + 1000.0)
            for v in store.latest("dairy")
            if v.quantity in ("energy_import_total", "volume_total", "production_total")
        ]
        store.write_points(points)
        trend = enpi_trend(store, dairy.load().site, date(2025, 12, 1), date(2026, 4, 1))
    finally:
        store.close()
    by_month = {m.month: m for m in trend.months}
    assert by_month["2025-12"].enpi["electricity"] is not None
    for month in ("2026-01", "2026-02", "2026-03"):
        assert by_month[month].production is None and by_month[month].enpi["electricity"] is None
