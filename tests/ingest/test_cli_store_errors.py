"""Commands that read a store never create one: a mistyped path is an error naming the file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from plantmeter_app.cli import main

SITE = Path(__file__).parents[2] / "examples" / "dairy" / "site.yaml"


@pytest.mark.parametrize(
    "argv",
    [
        ["export", str(SITE), "--meter", "main-elec"],
        ["flags", str(SITE)],
        [
            "savings",
            "--site",
            str(SITE),
            "--meter",
            "main-elec",
            "--baseline",
            "2025-01-01..2025-07-01",
            "--reporting",
            "2025-07-01..2026-01-01",
        ],
    ],
    ids=["export", "flags", "savings"],
)
def test_a_missing_store_file_is_named_and_not_created(
    argv: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    typo = tmp_path / "var" / "plantmeter-typo.db"
    monkeypatch.setenv("PLANTMETER_STORE_URL", f"sqlite:///{typo}")
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"no SQLite store at {typo}: check the store URL" in err and "Traceback" not in err
    assert not typo.exists() and not typo.parent.exists()


@pytest.mark.parametrize(
    "argv",
    [
        [
            "report",
            "loan",
            "green-line-1",
            "--plan",
            "{plan}",
            "--period",
            "2025-10",
            "--out",
            "{out}",
        ],
        ["report", "audit", "dairy", "--plan", "{plan}", "--out", "{out}"],
        ["report", "consumption", "--plan", "{plan}", "--period", "2025-10", "--out", "{out}"],
        ["savings", "--plan", "{plan}", "--period", "2025-10"],
        ["plan", "approve", "{plan}", "--by", "auditor"],
        ["flags", "--plan", "{plan}"],
    ],
    ids=[
        "report-loan",
        "report-audit",
        "report-consumption",
        "savings-plan",
        "plan-approve",
        "flags-plan",
    ],
)
def test_plan_commands_open_the_plans_store_read_only_and_name_a_missing_file(
    argv: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # the application opens the plan's store (reports take the object): never created, named
    for name in ("site.yaml", "mv-plan.yaml"):
        shutil.copy(SITE.parent / name, tmp_path / name)
    plan = tmp_path / "mv-plan.yaml"
    typo = tmp_path / "var" / "plantmeter-typo.db"
    monkeypatch.setenv("PLANTMETER_STORE_URL", f"sqlite:///{typo}")
    argv = [
        a.replace("{plan}", str(plan)).replace("{out}", str(tmp_path / "out.json")) for a in argv
    ]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"no SQLite store at {typo}: check the store URL" in err and "Traceback" not in err, err
    assert not typo.exists() and not typo.parent.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "mv-plan.yaml",
        "site.yaml",
    ]  # nothing written
