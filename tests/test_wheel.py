"""`plantmeter demo` works from an installed wheel, far from the source tree.

The wheel is built from the checkout and installed (without its dependencies, which the test's
environment already has) into a fresh virtual environment that sees the test environment's
site-packages through a .pth line; the demo then runs from a directory outside the repository,
so a file missing from the wheel (the example site, a profile) fails here.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).parents[1]


def _build_wheel(out: Path) -> Path:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--quiet",
            "--disable-pip-version-check",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=180,
        cwd=out,
    )
    (wheel,) = out.glob("plantmeter-*.whl")
    return wheel


def _venv(path: Path, wheel: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(path)], check=True, timeout=60
    )
    python = path / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # the dependencies come from the test environment (a plain path line: its .pth files,
    # among them the editable install of this checkout, are not run)
    Path(purelib, "test-env.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-deps",
            "--no-index",
            "--quiet",
            "--disable-pip-version-check",
            str(wheel),
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=180,
    )
    return path / "bin"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("wheel")
    wheel = _build_wheel(base)
    names = zipfile.ZipFile(wheel).namelist()
    assert "plantmeter_app/examples/dairy/site.yaml" in names
    for lang in ("es", "pt_BR"):  # the catalogues ship as package data (compiled at first use)
        assert f"plantmeter/locale/{lang}/LC_MESSAGES/plantmeter.po" in names
    return _venv(base / "venv", wheel)


def _env() -> dict[str, str]:
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PLANTMETER_") and k not in {"PYTHONPATH", "VIRTUAL_ENV"}
    }


def test_installed_code_is_the_wheel(installed: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [
            str(installed / "python"),
            "-c",
            "import plantmeter_app, gateway, plantmeter_app.demo as d; "
            "print(plantmeter_app.__file__); print(gateway.__file__); print(d.EXAMPLE)",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env=_env(),
    )
    assert result.returncode == 0, result.stderr
    for line in result.stdout.splitlines():
        assert line.startswith(str(installed.parent)), result.stdout  # not the checkout
        assert not line.startswith(str(ROOT)), result.stdout


def test_the_installed_catalogues_translate(installed: Path, tmp_path: Path) -> None:
    code = (
        "from plantmeter.i18n import _, use_locale, LOCALE_DIR\n"
        "with use_locale('pt_BR'): print(_('Covenants'))\n"
        "with use_locale('es_GT'): print(_('Covenants'))\n"
        "print(LOCALE_DIR)"
    )
    result = subprocess.run(
        [str(installed / "python"), "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env=_env(),
    )
    assert result.returncode == 0, result.stderr
    pt, es, where = result.stdout.splitlines()
    assert (pt, es) == ("Cláusulas", "Cláusulas") and where.startswith(str(installed.parent))


def test_demo_runs_from_the_wheel(installed: Path, tmp_path: Path) -> None:
    help_ = subprocess.run(
        [str(installed / "plantmeter"), "demo", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env=_env(),
    )
    assert help_.returncode == 0 and "--duration" in help_.stdout, help_.stderr
    demo = subprocess.run(
        [str(installed / "plantmeter"), "demo", "--chain-only", "--duration", "3", "--poll", "1"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env=_env(),
    )
    assert demo.returncode == 0, demo.stderr
    counts = re.findall(r"stored readings per meter: (.*)", demo.stderr)
    assert counts and "main-elec=0" not in counts[-1], demo.stderr
    assert (tmp_path / "var" / "dairy.db").is_file()  # the site's relative store, under the cwd
    site = re.search(r"See the data: plantmeter export (\S+)", demo.stderr)
    assert site and site.group(1).startswith(str(installed.parent)), demo.stderr
    export = subprocess.run(
        [str(installed / "plantmeter"), "export", site.group(1), "--meter", "main-elec"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env=_env(),
    )
    assert export.returncode == 0, export.stderr
    assert len(export.stdout.splitlines()) > 1 and "energy_import_total" in export.stdout
