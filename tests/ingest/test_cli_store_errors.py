"""Commands that read a store never create one: a mistyped path is an error naming the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from plantmeter_app.cli import main

SITE = Path(__file__).parents[2] / "examples" / "dairy" / "site.yaml"


@pytest.mark.parametrize(
    "argv",
    [
        ["export", str(SITE), "--meter", "main-elec"],
        ["flags", str(SITE)],
        ["savings", "--site", str(SITE), "--meter", "main-elec",
         "--baseline", "2025-01-01..2025-07-01", "--reporting", "2025-07-01..2026-01-01"],
    ],
    ids=["export", "flags", "savings"],
)
def test_a_missing_store_file_is_named_and_not_created(
    argv: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    typo = tmp_path / "var" / "plantmeter-typo.db"
    monkeypatch.setenv("PLANTMETER_STORE_URL", f"sqlite:///{typo}")
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"no SQLite store at {typo}: check the store URL" in err and "Traceback" not in err
    assert not typo.exists() and not typo.parent.exists()
