"""The layers of DESIGN.md, held by reading every import (module-level, function-local, string).

    application (plantmeter_app)  imports anything
        |
    dashboard, alerts, portfolio  ->  services  ->  analytics, reports   (a SeriesStore object, never a URL)
        |
    gateway, ingest, firmware_sim               (each imports only the contracts)
        |
    plantmeter (contracts)                      (imports nothing of ours)

bench may import the product packages but not the tests' helpers. A forbidden arrow or a
cycle between packages fails with the file and line of the import.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).parents[1]
APP = "plantmeter_app"
FOLDERS = {  # folder -> import name
    "plantmeter": "plantmeter",
    "gateway": "gateway",
    "ingest": "ingest",
    "firmware-sim": "firmware_sim",
    "analytics": "analytics",
    "reports": "reports",
    "services": "services",
    "portfolio": "portfolio",
    "dashboard": "dashboard",
    "alerts": "alerts",
    APP: APP,
    "bench": "bench",
}
OURS = set(FOLDERS.values()) | {"tests"}
PRODUCT = OURS - {"tests", "bench"}
ALLOWED: dict[str, set[str]] = {
    "plantmeter": set(),
    "gateway": {"plantmeter"},
    "ingest": {"plantmeter"},
    "firmware_sim": {"plantmeter"},
    "analytics": {"plantmeter"},
    "reports": {"plantmeter", "analytics"},
    "services": {"plantmeter", "analytics", "reports"},
    "dashboard": {"plantmeter", "analytics", "reports", "services"},
    "alerts": {"plantmeter", "analytics", "reports", "services"},
    "portfolio": {"plantmeter", "analytics", "reports", "services"},
    APP: PRODUCT - {APP},
    "bench": PRODUCT,
}
# Arrows that exist today and are scheduled to go. Empty: reports and services take the store
# object the application opened (issue #12). The list may only shrink; an arrow not listed fails.
KNOWN: set[tuple[str, str, str]] = set()
_IMPORTERS = {"import_module", "__import__"}


def imports(tree: ast.AST) -> Iterator[tuple[str, int]]:
    """(absolute module name, line) of every import in ``tree``, including string imports."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module, node.lineno
        elif (
            isinstance(node, ast.Call)
            and (getattr(node.func, "attr", None) or getattr(node.func, "id", None)) in _IMPORTERS
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.args[0].value, node.lineno
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and _names_a_module(node.value)
        ):
            yield node.value, getattr(node, "lineno", 0)  # e.g. a registry of "package.cli" names


def _names_a_module(text: str) -> bool:
    head, _, tail = text.partition(".")
    return head in OURS and tail.isidentifier() and " " not in text


def arrows() -> Iterator[tuple[str, str, str, int]]:
    """(from package, to package, file, line) for every import of another package of ours."""
    for folder, package in FOLDERS.items():
        for path in sorted((ROOT / folder).rglob("*.py")) if (ROOT / folder).is_dir() else []:
            if ".venv" in path.parts:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for module, line in imports(tree):
                target = module.split(".")[0]
                if target in OURS and target != package:
                    yield package, target, path.relative_to(ROOT).as_posix(), line


def test_no_forbidden_arrow() -> None:
    wrong = [
        f"{file}:{line}: {source} must not import {target}"
        for source, target, file, line in arrows()
        if target not in ALLOWED[source] and (source, target, file) not in KNOWN
    ]
    assert not wrong, "layer violations (see DESIGN.md, Layers):\n" + "\n".join(wrong)


def test_known_violations_still_exist() -> None:
    # a fixed arrow must leave KNOWN, so that it cannot come back unnoticed
    present = {(s, t, f) for s, t, f, _ in arrows()}
    gone = sorted(KNOWN - present)
    assert not gone, f"remove from KNOWN, they are fixed: {gone}"


def test_no_cycle_between_packages() -> None:
    graph: dict[str, set[str]] = {}
    for source, target, file, _ in arrows():
        if (source, target, file) not in KNOWN:  # those are listed, and scheduled to go
            graph.setdefault(source, set()).add(target)

    def reach(start: str) -> set[str]:
        seen: set[str] = set()
        todo = [start]
        while todo:
            for nxt in graph.get(todo.pop(), set()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    cycles = sorted(p for p in graph if p in reach(p))
    assert not cycles, f"packages in an import cycle: {cycles}"


def test_the_checker_sees_local_and_string_imports() -> None:
    tree = ast.parse(
        "def f():\n    import ingest.stores\n"
        "importlib.import_module('gateway.cli')\n"
        "REGISTRY = ('reports.cli',)\n"
    )
    assert {m for m, _ in imports(tree)} == {"ingest.stores", "gateway.cli", "reports.cli"}
