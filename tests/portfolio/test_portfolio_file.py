"""Bad portfolio files fail before any cluster starts, naming file:line: key and the fix."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from plantmeter.errors import ConfigError
from plantmeter_app.cli import main
from portfolio import load_portfolio

EXAMPLE = Path(__file__).parents[2] / "examples" / "dairy"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    for name in ("site.yaml", "mv-plan.yaml"):
        shutil.copy(EXAMPLE / name, tmp_path / name)
    return tmp_path


def _write(folder: Path, text: str) -> Path:
    path = folder / "portfolio.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_file_loads_with_the_portfolio_store(folder: Path) -> None:
    path = _write(
        folder, "month: 2025-06\nstore: {url: 'sqlite:///x.db'}\nsites:\n  - plan: mv-plan.yaml\n"
    )
    loaded = load_portfolio(path)
    assert [s.site_id for s in loaded.sites] == ["dairy"]
    assert loaded.sites[0].store_url == "sqlite:///x.db"
    assert loaded.month == "2025-06"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("month: 2025-6\nsites: [{plan: mv-plan.yaml}]\n", ":1: month:"),
        (
            "month: 2025-06\nsite:\n  - plan: mv-plan.yaml\n",
            "site: Extra inputs are not permitted; remove it",
        ),
        (
            "month: 2025-06\nsites:\n  - plan: mv-plan.yaml\n  - plan: nowhere.yaml\n",
            ":4: sites[1].plan: ",
        ),
        (
            "month: 2025-06\nsites:\n  - plan: mv-plan.yaml\n  - plan: ./mv-plan.yaml\n",
            "already listed at sites[0]",
        ),
        (
            "month: 2025-06\nemission_factors:\n  electricity: {value: 0.4}\nsites: [{plan: mv-plan.yaml}]\n",
            ":3: emission_factors.electricity.source: Field required",
        ),
        ("month: 2025-06\nsites: []\n", ":2: sites:"),
        ("month: 2025-06\nsites: [{plan: mv-plan.yaml}\n", "invalid YAML"),
    ],
)
def test_bad_files_name_the_line_and_key(folder: Path, text: str, expected: str) -> None:
    with pytest.raises(ConfigError, match=None) as err:
        load_portfolio(_write(folder, text))
    assert expected in str(err.value), str(err.value)
    assert str(folder / "portfolio.yaml") in str(err.value)


def test_the_command_exits_2_with_the_message_and_no_traceback(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(folder, "month: 2025-06\nsites:\n  - plan: missing/mv-plan.yaml\n")
    assert main(["portfolio", str(path), "--in-process"]) == 2
    err = capsys.readouterr().err
    assert "sites[0].plan" in err and "does not exist" in err and "Traceback" not in err
