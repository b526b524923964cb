"""Declared dependencies match what the product packages import.

Every third-party module imported anywhere in a product package (module-level or
function-local) must come from a distribution that pyproject.toml declares, and every
declared runtime dependency must be imported somewhere (or be listed with the reason it is
needed without an import).
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from functools import cache
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).parents[1]
FOLDERS = [
    "plantmeter", "gateway", "ingest", "firmware-sim", "analytics", "reports", "services", "dashboard",
    "plantmeter_app",
]
OURS = {
    "plantmeter", "gateway", "ingest", "firmware_sim", "analytics", "reports", "services", "dashboard",
    "plantmeter_app", "tests", "bench",
}
NOT_IMPORTED = {  # declared on purpose though no module imports them by name
    "uvicorn": "runs the dashboard's ASGI app (issue #13)",
    "fastapi": "the dashboard (issue #13)",
}


def _name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return {_name(r) for r in project["dependencies"]}


def imported() -> dict[str, str]:
    """Top-level third-party module -> first file importing it."""
    found: dict[str, str] = {}
    std = set(sys.stdlib_module_names) | {"__future__"}
    for folder in FOLDERS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                for name in names:
                    top = name.split(".")[0]
                    if top not in std and top not in OURS:
                        found.setdefault(top, path.relative_to(ROOT).as_posix())
    return found


@cache
def _distributions() -> dict[str, list[str]]:
    return dict(packages_distributions())


def distribution(module: str) -> str:
    dists = _distributions().get(module, [module])
    return dists[0].lower().replace("_", "-")


def test_every_imported_module_is_declared() -> None:
    wanted = declared()
    missing = sorted(
        f"{file}: imports {module} (distribution {distribution(module)})"
        for module, file in imported().items()
        if distribution(module) not in wanted
    )
    assert not missing, "declare in pyproject.toml [project] dependencies:\n" + "\n".join(missing)


def test_every_declared_dependency_is_used() -> None:
    used = {distribution(m) for m in imported()}
    unused = sorted(declared() - used - set(NOT_IMPORTED))
    assert not unused, f"declared but never imported (remove, or say why in NOT_IMPORTED): {unused}"
