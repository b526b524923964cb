"""The base install (``pip install plantmeter``, a gateway on a small box) runs without the extras.

Each check runs in a fresh interpreter whose import system refuses the extras' modules (numba,
scipy, matplotlib, fastapi, uvicorn, amqtt) and the test-only ones, as if they were not
installed: every module of the contracts, gateway, ingest and the simulator imports, the base
commands run, and a command that needs an extra says which one to install.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from plantmeter_app.extras import EXTRAS

ROOT = Path(__file__).parents[1]
BLOCKED = sorted(set(EXTRAS) | {"statsmodels", "pypdf", "httpx", "pytest"})
BASE_PACKAGES = ["plantmeter", "gateway", "ingest", "firmware_sim"]

BLOCKER = f"""
import sys

class _NotInstalled:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {BLOCKED!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None

sys.meta_path.insert(0, _NotInstalled())
"""


def _run(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLANTMETER_")}
    return subprocess.run(
        [sys.executable, "-c", BLOCKER + code],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env=env,
    )


def _cli(*argv: str) -> str:
    return f"from plantmeter_app.cli import main\nsys.exit(main({list(argv)!r}))\n"


def test_the_blocker_blocks(tmp_path: Path) -> None:
    """The check can fail: importing an extra's module under the blocker raises."""
    result = _run("import numba\n", tmp_path)
    assert result.returncode != 0 and "No module named 'numba'" in result.stderr


def test_base_packages_import_without_extras(tmp_path: Path) -> None:
    code = f"""
import importlib, pkgutil
count = 0
for name in {BASE_PACKAGES!r}:
    package = importlib.import_module(name)
    count += 1
    for info in pkgutil.walk_packages(package.__path__, name + "."):
        importlib.import_module(info.name)
        count += 1
leaked = sorted(m for m in sys.modules if m.split(".")[0] in {BLOCKED!r})
assert not leaked, leaked
print("imported", count)
"""
    result = _run(code, tmp_path)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.split()[-1]) > 30  # every module, not just the packages


def test_base_commands_run_without_extras(tmp_path: Path) -> None:
    for command in (
        ["--help"],
        ["gateway", "--help"],
        ["ingest", "--help"],
        ["export", "--help"],
        ["import-csv", "--help"],
        ["sim", "--help"],
        ["demo", "--help"],
    ):
        result = _run(_cli(*command), tmp_path)
        assert result.returncode == 0, (command, result.stderr)
        assert "usage: plantmeter" in result.stdout, command


def test_store_and_export_work_without_extras(tmp_path: Path) -> None:
    """Ingest's store and `plantmeter export` (the base's data path) run on the base install."""
    site = tmp_path / "site.yaml"
    site.write_text(
        (ROOT / "examples/dairy/site.yaml")
        .read_text()
        .replace("sqlite:///var/dairy.db", "sqlite:///t.db")
    )
    code = """
from ingest.stores import open_store
from plantmeter.store import SeriesPoint
store = open_store("sqlite:///t.db")
store.write_points([SeriesPoint("dairy", "main-elec", "energy_import_total", 1_700_000_000_000 + i * 60_000,
                                1000.0 + i) for i in range(5)])
store.close()
""" + _cli("export", str(site), "--meter", "main-elec")
    result = _run(code, tmp_path)
    assert result.returncode == 0, result.stderr
    rows = result.stdout.strip().splitlines()
    assert len(rows) == 6 and rows[-1].endswith(",1004"), result.stdout


def test_a_command_needing_an_extra_names_it(tmp_path: Path) -> None:
    usage = tmp_path / "use.csv"
    usage.write_text("timestamp,use\n2024-01-01T00:00:00Z,1.0\n")
    cases = {
        (
            "savings",
            "--usage",
            str(usage),
            "--baseline",
            "2024-01-01..2024-02-01",
            "--reporting",
            "2024-02-01..2024-03-01",
        ): "plantmeter[analytics]",
        ("demo", "--duration", "1"): "plantmeter[demo]",
        (
            "sim",
            str(ROOT / "examples/dairy/scenario.yaml"),
            "--plot-week",
            "2025-01-06",
            "--out",
            str(tmp_path),
        ): "plantmeter[analytics]",
    }
    for argv, wanted in cases.items():
        result = _run(_cli(*argv), tmp_path)
        assert result.returncode == 2, (argv, result.stderr)
        assert wanted in result.stderr, (argv, result.stderr)
        assert "Traceback" not in result.stderr, (argv, result.stderr)


def test_gateway_polls_the_simulator_without_extras(tmp_path: Path) -> None:
    """`plantmeter gateway --dry-run` against the simulated dairy, on the base install."""
    code = f"""
from pathlib import Path
import firmware_sim
scenario = firmware_sim.load_scenario({str(ROOT / "examples/dairy/scenario.yaml")!r})
text = Path({str(ROOT / "examples/dairy/site.yaml")!r}).read_text()
with firmware_sim.running_bus(scenario, port_overrides={{b.id: 0 for b in scenario.buses}}) as bus:
    text = text.replace("port: 5020", f"port: {{bus.ports['board-1']}}")
    text = text.replace("port: 5021", f"port: {{bus.ports['utility-485']}}")
    Path("site.yaml").write_text(text)
    from plantmeter_app.cli import main
    code = main(["gateway", "site.yaml", "--dry-run"])
leaked = sorted(m for m in sys.modules if m.split(".")[0] in {BLOCKED!r})
assert not leaked, leaked
sys.exit(code)
"""
    result = _run(code, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert any(line.split()[:2] == ["main-elec", "power_total"] for line in lines), result.stdout
    assert any(line.split()[:1] == ["cip-water"] for line in lines), result.stdout
    assert "ERROR" not in result.stdout, result.stdout
