"""site_flags: costliest first, and "never computed" told from "none"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ingest.stores import open_store
from plantmeter.config import load_site
from plantmeter.errors import AnalyticsError
from plantmeter.store import Flag, FlagRun, SeriesRow
from reports.load import load_plan
from services import compute_flags, site_flags

SITE = Path(__file__).parents[2] / "examples" / "dairy" / "site.yaml"
T0 = datetime(2026, 3, 2, tzinfo=UTC)
DAY = 86_400_000


def _ms(t: datetime) -> int:
    return int(t.timestamp() * 1000)


def test_flags_ranked_by_cost_and_whether_they_were_computed(tmp_path: Path) -> None:
    site = load_site(SITE, environ={})
    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    s = _ms(T0)
    try:
        for meter, q in (
            ("main-elec", "energy_import_total"),
            ("compressor", "energy_import_total"),
        ):
            store.write_rows(
                [
                    SeriesRow("dairy", meter, s + i * 3_600_000, {q: float(i)})
                    for i in range(10 * 24)
                ]
            )
        store.write_flags(
            [
                Flag(
                    "dairy", "main-elec", "stuck", s + DAY, s + 2 * DAY, "critical", "stuck at 12.0"
                ),
                Flag(
                    "dairy",
                    "compressor",
                    "excess",
                    s + DAY,
                    s + 3 * DAY,
                    "warning",
                    "x",
                    "energy_import_total",
                    "cusum",
                    40.0,
                    6.0,
                ),
                Flag(
                    "dairy",
                    "main-elec",
                    "excess",
                    s + 2 * DAY,
                    s + 4 * DAY,
                    "warning",
                    "y",
                    "energy_import_total",
                    "cusum",
                    90.0,
                    13.5,
                ),
            ]
        )
        window = (T0, T0 + timedelta(days=5))
        never = site_flags(store, site, *window)
        store.write_flag_runs([FlagRun("dairy", "main-elec", s, s + 10 * DAY, s + 10 * DAY)])
        found = site_flags(store, site, *window)
        store.write_flag_runs([FlagRun("dairy", "compressor", s, s + 10 * DAY, s + 10 * DAY)])
        later = site_flags(
            store,
            site,
            T0 + timedelta(days=6),
            T0 + timedelta(days=8),
            meters=["main-elec", "compressor"],
        )
        silent = site_flags(
            store, site, T0 + timedelta(days=6), T0 + timedelta(days=8), meters=["cip-water"]
        )
    finally:
        store.close()
    # costliest a day first (13.5 before 6.0), then the flag without a cost
    assert [(f.meter, f.kind, f.cost_per_day) for f in found.flags] == [
        ("main-elec", "excess", 13.5),
        ("compressor", "excess", 6.0),
        ("main-elec", "stuck", None),
    ]
    assert found.flags[0].start == T0 + timedelta(days=2) and found.flags[0].excess_per_day == 90.0
    assert (
        never.computed["main-elec"] == "never computed" and never.flags
    )  # flags, but no run recorded
    assert (
        found.computed["main-elec"] == "computed"
        and found.computed["compressor"] == "never computed"
    )
    assert found.coverage["main-elec"] == 1.0
    assert later.flags == () and later.state == "none"  # a run covered it and found nothing
    # a meter that never stored a reading and was never run: "never computed", not "none"
    assert silent.flags == () and silent.state == "never computed"


def test_compute_flags_records_its_runs_and_refuses_two_normals(tmp_path: Path) -> None:
    """compute_flags (what ``plantmeter flags`` and a scheduled alert service call) stores the
    window it judged, so site_flags then tells "computed" from "never computed"."""
    site = load_site(SITE, environ={})
    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    s = _ms(T0)
    try:
        store.write_rows(
            [
                SeriesRow(
                    "dairy", "main-elec", s + i * 3_600_000, {"energy_import_total": float(i)}
                )
                for i in range(10 * 24)
            ]
        )
        before = site_flags(store, site, T0, T0 + timedelta(days=10))
        compute_flags(store, site, since=T0, base_dir=SITE.parent)
        after = site_flags(store, site, T0, T0 + timedelta(days=10))
        with pytest.raises(AnalyticsError, match="give no reference"):
            compute_flags(
                store,
                site,
                since=T0,
                reference=T0,
                plan=load_plan(SITE.parent / "mv-plan.yaml", environ={}),
            )
    finally:
        store.close()
    assert before.computed["main-elec"] == "never computed"
    assert after.computed["main-elec"] == "computed", after.computed
