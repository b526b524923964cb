"""Declared dependencies match what the product packages import.

Every third-party module imported anywhere in a product package (module-level or
function-local) must come from a distribution that pyproject.toml declares (the base or an
extra), and every declared runtime dependency must be imported somewhere (or be listed with the
reason it is needed without an import).

Each package imports only the base plus the extras it is meant to need (PACKAGE_EXTRAS): a
gateway box installs ``plantmeter`` without extras, so gateway, ingest, the contracts and the
simulator import only base distributions, except the few optional paths in OPTIONAL, which must
import their extra inside a function. The composition root imports extras only inside functions
too, so ``plantmeter --help`` and the base commands run on the base install
(tests/test_base_install.py runs them with the extras blocked).
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
    "plantmeter",
    "gateway",
    "ingest",
    "firmware-sim",
    "analytics",
    "reports",
    "services",
    "dashboard",
    "alerts",
    "portfolio",
    "plantmeter_app",
]
OURS = {
    "plantmeter",
    "gateway",
    "ingest",
    "firmware_sim",
    "analytics",
    "reports",
    "services",
    "dashboard",
    "alerts",
    "portfolio",
    "plantmeter_app",
    "tests",
    "bench",
}
NOT_IMPORTED = {  # declared on purpose though no module imports them by name
    "dask": "distributed runs on it; its [distributed] extra gives the `dask scheduler`/`dask worker` commands",
    "uvicorn": "runs the dashboard's ASGI app (issue #13)",
    "fastapi": "the dashboard (issue #13)",
    "python-multipart": "parses the dashboard's login and OAuth2 password forms (starlette imports it)",
}


def _name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


PACKAGE_EXTRAS: dict[str, set[str] | None] = {  # folder -> extras it may import (None: any, lazily)
    "plantmeter": set(),
    "gateway": set(),
    "ingest": set(),
    "firmware-sim": set(),
    "analytics": {"analytics"},
    "reports": {"analytics"},
    "services": {"analytics"},
    "dashboard": {"dashboard"},
    "alerts": {"analytics"},
    "portfolio": {"analytics", "portfolio"},
    "plantmeter_app": None,
}
OPTIONAL = {  # (file, distribution) of a base package: an optional path, imported in a function
    ("firmware-sim/plot.py", "matplotlib"): "analytics",  # `plantmeter sim --plot-week`
}
SELF = "plantmeter"


def _project() -> dict[str, object]:
    project: dict[str, object] = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return project


def base() -> set[str]:
    return {_name(r) for r in _project()["dependencies"]}  # type: ignore[attr-defined]


def extra(name: str) -> set[str]:
    """Distributions the extra ``name`` installs beyond the base, self-references expanded."""
    optional: dict[str, list[str]] = _project()["optional-dependencies"]  # type: ignore[assignment]
    found: set[str] = set()
    for requirement in optional[name]:
        if _name(requirement) == SELF:
            inner = re.search(r"\[(.*?)\]", requirement)
            assert inner, f"{requirement!r}: a self-reference names its extras"
            for other in inner.group(1).split(","):
                found |= extra(other.strip())
        else:
            found.add(_name(requirement))
    return found


def declared() -> set[str]:
    """What a full install (``plantmeter[all]``) has: the base and every runtime extra."""
    return base() | extra("all")


def _imports(path: Path) -> list[tuple[str, bool]]:
    """(top-level module, imported inside a function) of every absolute import in ``path``.

    Imports under ``if TYPE_CHECKING:`` are left out: they never run.
    """
    found: list[tuple[str, bool]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            for child in node.orelse:
                visit(child, in_function)
            return
        if isinstance(node, ast.Import):
            found.extend((a.name.split(".")[0], in_function) for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.module.split(".")[0], in_function))
        inner = in_function or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
        for child in ast.iter_child_nodes(node):
            visit(child, inner)

    visit(ast.parse(path.read_text(encoding="utf-8")), False)
    return found


def imports_by_file() -> dict[str, list[tuple[str, bool]]]:
    """File -> its third-party imports (top-level module, inside a function)."""
    std = set(sys.stdlib_module_names) | {"__future__"}
    return {
        path.relative_to(ROOT).as_posix(): [
            (m, lazy) for m, lazy in _imports(path) if m not in std and m not in OURS
        ]
        for folder in FOLDERS
        for path in sorted((ROOT / folder).rglob("*.py"))
    }


def imported() -> dict[str, str]:
    """Top-level third-party module -> first file importing it."""
    found: dict[str, str] = {}
    for file, modules in imports_by_file().items():
        for module, _lazy in modules:
            found.setdefault(module, file)
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


def test_extras_are_declared_as_the_cli_names_them() -> None:
    """plantmeter_app.extras tells a user which extra to install; it agrees with pyproject.toml."""
    from plantmeter_app.extras import EXTRAS

    optional = _project()["optional-dependencies"]
    runtime = [name for name in optional if name not in {"all", "test"}]  # type: ignore[attr-defined]
    own = {
        _name(r): name
        for name in runtime
        for r in optional[name]  # type: ignore[index]
        if _name(r) != SELF
    }
    # every extra's module is installed from that extra's distribution (argon2 from argon2-cffi)
    assert {distribution(module): name for module, name in EXTRAS.items()} == own
    assert extra("all") == set().union(*(extra(name) for name in runtime))
    assert extra("all") <= extra("test"), "`.[test]` (make test, CI) must install every extra"


def test_each_package_imports_only_its_extras() -> None:
    """A gateway box installs the base only: gateway, ingest, contracts and simulator need no extra."""
    all_extras = _project()["optional-dependencies"]
    allowed_all = declared()
    problems = []
    for file, modules in imports_by_file().items():
        folder = file.split("/")[0]
        extras = PACKAGE_EXTRAS[folder]
        allowed = allowed_all if extras is None else base().union(*(extra(x) for x in extras))
        for module, lazy in modules:
            dist = distribution(module)
            if dist in base():
                continue
            if (file, dist) in OPTIONAL:
                if not lazy:
                    problems.append(f"{file}: import {module} inside the function that needs it")
                continue
            if dist not in allowed:
                wanted = sorted(
                    x for x in all_extras if x not in {"all", "test"} and dist in extra(x)
                )
                problems.append(
                    f"{file}: imports {module} ({dist}, extra {wanted}); {folder} may use the base"
                    f"{' + ' + ', '.join(sorted(extras)) if extras else ''} only"
                )
            elif extras is None and not lazy:
                problems.append(
                    f"{file}: imports {module} (an extra) at module level; import it in the command, "
                    "so the base install's commands and `plantmeter --help` still run"
                )
    assert not problems, "\n".join(problems)
