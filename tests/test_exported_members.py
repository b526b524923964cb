"""Every module declares ``__all__``, and every name in it exists (httpx's discipline)."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
PACKAGES = {
    "plantmeter": "plantmeter",
    "gateway": "gateway",
    "ingest": "ingest",
    "analytics": "analytics",
    "firmware_sim": "firmware-sim",
    "dashboard": "dashboard",
    "reports": "reports",
    "services": "services",
    "alerts": "alerts",
    "portfolio": "portfolio",
    "plantmeter_app": "plantmeter_app",
}
MODULES = sorted(
    (name + "." + ".".join(p.relative_to(ROOT / folder).with_suffix("").parts)).removesuffix(
        ".__init__"
    )
    for name, folder in PACKAGES.items()
    for p in (ROOT / folder).rglob("*.py")
)


@pytest.mark.parametrize("module", MODULES)
def test_module_declares_all_and_its_names_exist(module: str) -> None:
    path = ROOT / PACKAGES[module.split(".")[0]] / Path(*module.split(".")[1:])
    source = path.with_suffix(".py") if path.with_suffix(".py").exists() else path / "__init__.py"
    tree = ast.parse(source.read_text())
    declared = any(
        isinstance(node, ast.Assign | ast.AnnAssign)
        and any(
            isinstance(t, ast.Name) and t.id == "__all__"
            for t in getattr(node, "targets", [getattr(node, "target", None)])
        )
        for node in tree.body
    )
    assert declared, f"{module} has no __all__"
    imported = importlib.import_module(module)
    missing = [name for name in imported.__all__ if not hasattr(imported, name)]
    assert not missing, f"{module}.__all__ names what it does not define: {missing}"
