"""The M&V plan: the example loads; bad input names file:line, field and fix; amendments."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
import yaml

from plantmeter.errors import ConfigError
from reports.load import apply_change, load_plan, plan_digest
from reports.record import ApprovalRecord, approval_path, write_record

EXAMPLE = Path(__file__).parents[2] / "examples" / "dairy"

PLAN = """\
id: test-plan
site_config: site.yaml
baseline: {start: 2024-04-01, end: 2025-04-01}
reporting: {start: 2025-04-01, end: 2026-04-01}
baselines:
  compressor: {production: production}
options:
  - id: air-leaks
    title: Leak repair
    level: housekeeping
    status: implemented
    meters: [compressor]
    implemented: 2025-04-01
loans:
  - id: loan-1
    lender: Bank
    borrower: dairy
    principal: 1000
    annual_rate: 0.05
    term_months: 12
    disbursement: 2025-04-01
    options: [air-leaks]
    promised_annual_savings: 100
"""


def _write(tmp_path: Path, text: str) -> Path:
    shutil.copy(EXAMPLE / "site.yaml", tmp_path / "site.yaml")
    path = tmp_path / "mv-plan.yaml"
    path.write_text(text)
    return path


def test_example_plan_loads_with_its_site_and_amendments() -> None:
    loaded = load_plan(EXAMPLE / "mv-plan.yaml", environ={})
    assert loaded.site.site.id == "dairy"
    assert loaded.store_url == "sqlite:///var/dairy.db"
    plan, version = loaded.as_of(date(2025, 3, 31))
    assert version.label == "1" and plan.option("air-leaks").status == "approved"
    plan, version = loaded.as_of(date(2025, 10, 31))
    assert version.label == "1.3"
    assert all(
        plan.option(o).status == "implemented"
        for o in ("air-leaks", "cip-recycling", "vsd-refrigeration")
    )
    # the example ships without an approval record: approval needs the baseline readings
    assert "version 1.3 (UNAPPROVED" in version.describe()


def test_store_url_from_the_environment() -> None:
    loaded = load_plan(
        EXAMPLE / "mv-plan.yaml", environ={"PLANTMETER_STORE_URL": "sqlite:////tmp/x.db"}
    )
    assert loaded.store_url == "sqlite:////tmp/x.db"


def test_minimal_plan_loads(tmp_path: Path) -> None:
    loaded = load_plan(_write(tmp_path, PLAN), environ={})
    assert loaded.base.loans[0].schedule == "annuity"


def test_option_with_unknown_meter(tmp_path: Path) -> None:
    path = _write(tmp_path, PLAN.replace("meters: [compressor]", "meters: [compresor]"))
    with pytest.raises(ConfigError) as exc:
        load_plan(path, environ={})
    msg = str(exc.value)
    assert f"{path}:12: options[0].meters[0]: 'compresor' is not a meter of site 'dairy'" in msg
    assert "use one of main-elec, compressor" in msg


def test_reporting_before_baseline_ends(tmp_path: Path) -> None:
    path = _write(
        tmp_path, PLAN.replace("reporting: {start: 2025-04-01", "reporting: {start: 2025-02-01")
    )
    with pytest.raises(ConfigError) as exc:
        load_plan(path, environ={})
    msg = str(exc.value)
    assert f"{path}:4: reporting.start:" in msg
    assert "before the baseline ends 2025-04-01; start reporting on or after 2025-04-01" in msg


def test_loan_linked_to_no_option(tmp_path: Path) -> None:
    path = _write(tmp_path, PLAN.replace("options: [air-leaks]", "options: []"))
    with pytest.raises(ConfigError) as exc:
        load_plan(path, environ={})
    msg = str(exc.value)
    assert f"{path}:22: loans[0].options: loan 'loan-1' is linked to no option" in msg
    assert "list the option ids it finances (one of air-leaks)" in msg


def test_currencies_are_iso_4217_and_a_loan_is_in_the_plans(tmp_path: Path) -> None:
    gtq = PLAN.replace("site_config: site.yaml", "site_config: site.yaml\ncurrency: GTQ")
    plan = load_plan(
        _write(
            tmp_path, gtq.replace("    principal: 1000", "    principal: 1000\n    currency: GTQ")
        ),
        environ={},
    )
    assert plan.as_of(date(2025, 5, 1))[0].loan("loan-1").currency == "GTQ"
    with pytest.raises(
        ConfigError,
        match=r"currency: unknown currency 'gtq' \(did you mean GTQ\?\); use an ISO 4217",
    ):
        load_plan(
            _write(
                tmp_path,
                PLAN.replace("site_config: site.yaml", "site_config: site.yaml\ncurrency: gtq"),
            ),
            environ={},
        )
    with pytest.raises(ConfigError, match=r"loans\[0\].currency: unknown currency 'QTZ'"):
        load_plan(
            _write(
                tmp_path,
                PLAN.replace("    principal: 1000", "    principal: 1000\n    currency: QTZ"),
            ),
            environ={},
        )
    # a loan in GTQ under a plan whose tariffs are in USD would print USD savings as quetzales
    with pytest.raises(ConfigError) as exc:
        load_plan(
            _write(
                tmp_path,
                PLAN.replace("    principal: 1000", "    principal: 1000\n    currency: GTQ"),
            ),
            environ={},
        )
    assert "loans[0].currency: loan 'loan-1' is in GTQ but the plan's tariffs" in str(exc.value)
    assert "set the plan's currency: GTQ" in str(exc.value)


def test_loan_linked_to_unknown_option(tmp_path: Path) -> None:
    path = _write(tmp_path, PLAN.replace("options: [air-leaks]", "options: [air-leak]"))
    with pytest.raises(ConfigError, match=r"loans\[0\].options\[0\]: 'air-leak' is not an option"):
        load_plan(path, environ={})


def test_typo_and_driver_kind(tmp_path: Path) -> None:
    path = _write(tmp_path, PLAN.replace("title: Leak repair", "titel: Leak repair"))
    with pytest.raises(ConfigError, match=r"mv-plan.yaml:9: options\[0\].titel: Extra inputs"):
        load_plan(path, environ={})
    path = _write(tmp_path, PLAN.replace("{production: production}", "{production: outdoor-temp}"))
    with pytest.raises(ConfigError, match="'outdoor-temp' is not a production meter"):
        load_plan(path, environ={})


def test_missing_site_config_names_the_plan_line(tmp_path: Path) -> None:
    path = _write(tmp_path, PLAN.replace("site_config: site.yaml", "site_config: nosuch.yaml"))
    with pytest.raises(ConfigError, match=r"mv-plan.yaml:2: site_config: .*nosuch.yaml"):
        load_plan(path, environ={})


def test_approval_block_in_the_plan_names_the_command(tmp_path: Path) -> None:
    path = _write(tmp_path, PLAN + 'approved: {date: 2025-03-01, digest: "sha256:00"}\n')
    with pytest.raises(ConfigError, match=r"mv-plan.yaml:\d+: approved: .*plantmeter plan approve"):
        load_plan(path, environ={})


def _record(path: Path, body_digest: str) -> None:
    rec = ApprovalRecord(approval_path(path), "test-plan")
    rec.append(
        {
            "kind": "approval",
            "version": 1,
            "plan_digest": body_digest,
            "date": "2025-03-01",
            "by": "lender",
            "recorded_at": "2025-03-01T10:00:00Z",
            "fits": {},
        }
    )
    write_record(rec)


def test_approved_plan_is_frozen(tmp_path: Path) -> None:
    path = _write(tmp_path, PLAN)
    _record(path, plan_digest(yaml.safe_load(PLAN)))
    assert load_plan(path, environ={}).approved
    changed = PLAN.replace("principal: 1000", "principal: 2000")
    with pytest.raises(ConfigError, match=r"the plan body changed after version 1 was approved"):
        load_plan(_write(tmp_path, changed), environ={})
    # the same change as an amendment is accepted and dated, and pending until approved
    amended = PLAN + (
        "amendments:\n  - {date: 2025-05-01, reason: top-up agreed, "
        'changes: {"loans[loan-1].principal": 2000}}\n'
    )
    loaded = load_plan(_write(tmp_path, amended), environ={})
    assert loaded.pending == ["amendments[0] is not approved"]
    assert loaded.as_of(date(2025, 4, 30))[0].loan("loan-1").principal == 1000
    plan, version = loaded.as_of(date(2025, 5, 31))
    assert plan.loan("loan-1").principal == 2000 and version.label == "1.1"


def test_bad_amendment(tmp_path: Path) -> None:
    text = PLAN + (
        "amendments:\n  - {date: 2025-05-01, reason: oops, "
        'changes: {"options[nope].status": verified}}\n'
    )
    with pytest.raises(ConfigError, match=r"amendments\[0\].changes: .*no item with id 'nope'"):
        load_plan(_write(tmp_path, text), environ={})
    text = text.replace("options[nope].status", "options[air-leaks].status").replace(
        "verified", "done"
    )
    with pytest.raises(ConfigError, match=r"amendments\[0\]: the plan as amended is invalid"):
        load_plan(_write(tmp_path, text), environ={})


def test_apply_change_paths() -> None:
    data = {"options": [{"id": "a", "x": 1}], "reporting": {"end": "2026-01-01"}}
    apply_change(data, "options[a].x", 2)
    apply_change(data, "reporting.end", "2027-01-01")
    assert data == {"options": [{"id": "a", "x": 2}], "reporting": {"end": "2027-01-01"}}
