"""The distribution ships every package in the tree (an editable install would hide a missing one)."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).parents[1]


def test_every_package_folder_is_listed_in_pyproject() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    mapping = {v: k for k, v in config.get("package-dir", {}).items()}
    found = set()
    for folder in ROOT.iterdir():
        if (
            folder.name.startswith(".")
            or folder.name in {"tests", "bench"}
            or not (folder / "__init__.py").exists()
        ):
            continue
        for init in folder.glob("**/__init__.py"):
            rel = init.parent.relative_to(ROOT)
            found.add(".".join((mapping.get(rel.parts[0], rel.parts[0]), *rel.parts[1:])))
    assert found == listed, (
        f"add to pyproject [tool.setuptools] packages: {sorted(found - listed)}; "
        f"remove: {sorted(listed - found)}"
    )
