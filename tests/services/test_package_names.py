"""``from services import series`` is the function even after a module of the package imported
the module that defines it (a submodule named like one of the package's names is bound on the
package by the import system and hid the function: the dashboard's series API called a module
once the overview had imported it first; main now names the module ``timeseries``)."""

from __future__ import annotations

import subprocess
import sys


def test_series_is_the_function_after_the_submodule_was_imported() -> None:
    code = (
        "import services.enpi\n"  # imports the series module inside the package
        "from services import series, bucket_width\n"
        "assert callable(series), series\n"
        "import services\n"
        "assert services.series.__name__ == 'series', services.series\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
