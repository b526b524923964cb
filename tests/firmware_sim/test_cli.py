"""``plantmeter sim``: the subcommand is registered and writes history CSVs."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from plantmeter.errors import SimulatorError
from plantmeter_app.commands import sim as cli

from .conftest import DAIRY


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers(dest="command"))
    return parser.parse_args(["sim", *argv])


def test_history_from_the_command_line(tmp_path: Path) -> None:
    args = _parse(
        str(DAIRY),
        "--history",
        "2025-03-01..2025-03-02",
        "--out",
        str(tmp_path),
        "--interval",
        "1h",
    )
    assert args.func(args) == 0
    lines = (tmp_path / "main-elec.csv").read_text().splitlines()
    assert len(lines) == 1 + 24
    assert lines[1].startswith("2025-03-01T06:00:00+00:00,")  # local midnight, written in UTC


def test_bad_port_argument_is_a_clear_error() -> None:
    with pytest.raises(SimulatorError, match="BUS=PORT"):
        cli._ports(["board-1:5020"])
