"""``--log-level DEBUG`` shows PlantMeter's own steps, not numba's compiler or matplotlib's fonts."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import logging
from plantmeter_app.runtime import configure_logging
configure_logging("DEBUG")
logging.getLogger("plantmeter.test").debug("own step")
import numba
@numba.njit
def f(x):
    return x + 1
f(1)
logging.getLogger("matplotlib.font_manager").debug("font search")
logging.getLogger("fontTools.subset").info("glyf subsetted")
"""


def test_debug_shows_our_lines_and_keeps_numba_and_matplotlib_quiet() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120, check=True
    )
    lines = done.stderr.splitlines()
    assert any("plantmeter.test: own step" in line for line in lines), done.stderr
    assert not [line for line in lines if " DEBUG " in line and "plantmeter" not in line], (
        done.stderr[:2000]
    )
    assert "subsetted" not in done.stderr  # fontTools' per-table INFO lines, one set per PDF
