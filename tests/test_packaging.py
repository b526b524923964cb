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
    # a folder of data mapped to a package name (examples/ -> plantmeter_app.examples) ships
    # through package-data alone
    data_only = {
        name
        for name, folder in config.get("package-dir", {}).items()
        if not (ROOT / folder / "__init__.py").exists()
    }
    assert data_only <= set(config.get("package-data", {})), f"give {data_only} package-data"
    found |= data_only
    assert found == listed, (
        f"add to pyproject [tool.setuptools] packages: {sorted(found - listed)}; "
        f"remove: {sorted(listed - found)}"
    )
