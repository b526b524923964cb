"""The `plantmeter` entry point: every command listed, and --help quick to answer."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_help_lists_every_command_without_loading_pandas_or_numba() -> None:
    code = (
        "import sys, contextlib, io\n"
        "from plantmeter_app.cli import main\n"
        "out = io.StringIO()\n"
        "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(out):\n"
        "    main(['--help'])\n"
        "print(out.getvalue())\n"
        "print('heavy:', sorted(m for m in ('pandas', 'numba', 'matplotlib') if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert done.returncode == 0, done.stderr
    for command in (
        "sim",
        "gateway",
        "ingest",
        "import-csv",
        "export",
        "savings",
        "flags",
        "report",
        "demo",
    ):
        assert command in done.stdout
    assert "heavy: []" in done.stdout  # they cost ~0.3 s each to import; --help needs none
