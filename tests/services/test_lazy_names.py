"""services loads its names on first use; every name is the object its module defines."""

from __future__ import annotations

import subprocess
import sys

import services


def test_every_exported_name_is_the_modules_object_whatever_was_imported_first() -> None:
    # a fresh interpreter: submodules imported first (as use.py imports timeseries) must not
    # leave a module where a function of the same name is exported
    code = (
        "import services.use, services\n"
        "from services import WIDTHS\n"
        "from services import series, meter_use\n"
        "import types\n"
        "bad = [n for n in services.__all__ if isinstance(getattr(services, n), types.ModuleType)]\n"
        "assert not bad, bad\n"
        "assert callable(series) and callable(meter_use)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_no_submodule_is_named_like_an_exported_name() -> None:
    import pkgutil

    modules = {m.name for m in pkgutil.iter_modules(services.__path__)}
    assert not modules & set(services.__all__)
