"""The audit lists what plants of the site's sector also implemented (plantmeter/catalogue.yaml),
leaving out the options the plan already has."""

from __future__ import annotations

import shutil
from pathlib import Path

from plantmeter.catalogue import load_catalogue
from plantmeter_app.runtime import plan_store
from reports.load import load_plan
from services import report_document

from ..dairy import Dairy


def _with_sector(dairy: Dairy, tmp_path: Path, sector: str | None) -> Path:
    shutil.copy(dairy.plan_path, tmp_path / "mv-plan.yaml")
    record = dairy.plan_path.with_name("mv-plan.approved.json")
    if record.exists():
        shutil.copy(record, tmp_path / record.name)
    site = (dairy.plan_path.parent / "site.yaml").read_text()
    if sector is not None:
        site = site.replace(
            "timezone: America/Guatemala}", f"timezone: America/Guatemala, sector: {sector}}}", 1
        )
    (tmp_path / "site.yaml").write_text(site)
    return tmp_path / "mv-plan.yaml"


def test_a_dairy_is_told_what_other_dairies_implemented(dairy: Dairy, tmp_path: Path) -> None:
    loaded = load_plan(_with_sector(dairy, tmp_path, "dairy"), environ=dairy.env)
    with plan_store(loaded) as store:
        doc = report_document("audit", loaded, store, "2025-12").document
    section = next(s for s in doc.sections if s.heading == "Plants like yours also implemented")
    plan = loaded.as_of(None)[0]
    in_plan = {o.title for o in plan.options}
    expected = [
        o
        for o in load_catalogue().sectors["dairy"].options
        if o.id not in {p.id for p in plan.options}
    ]
    assert [row[0] for row in section.tables[0].rows] == [o.title for o in expected]
    assert expected and not in_plan & {row[0] for row in section.tables[0].rows}
    assert [p["id"] for p in doc.data["peers"]] == [o.id for o in expected]
    assert "assumption" in section.tables[0].rows[0][3]  # the source says when a figure is one


def test_no_sector_no_section(dairy: Dairy, tmp_path: Path) -> None:
    loaded = load_plan(_with_sector(dairy, tmp_path, None), environ=dairy.env)
    with plan_store(loaded) as store:
        doc = report_document("audit", loaded, store, "2025-12").document
    assert all(s.heading != "Plants like yours also implemented" for s in doc.sections)
    assert "peers" not in doc.data
