"""Every test in tests/fuzz carries the ``fuzz`` marker (``-m fuzz`` runs only them, ``-m 'not fuzz'``
leaves them out); the inputs-tried summary is ``budget.pytest_terminal_summary``."""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.parent == HERE:
            item.add_marker(pytest.mark.fuzz)
