"""``plantmeter user ...`` and ``plantmeter serve`` (a real uvicorn process, stopped with Ctrl-C)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from dashboard.users import UserStore
from plantmeter_app.cli import main
from tests.servers import free_port

from .conftest import Served


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_user_add_list_passwd_remove(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    d = str(tmp_path / "data")
    monkeypatch.setenv("PLANTMETER_PASSWORD", "s3cret-enough")
    code, out, _ = _run(
        capsys,
        "user",
        "add",
        "maria",
        "--role",
        "plant_manager",
        "--site",
        "dairy",
        "--email",
        "maria@example.org",
        "--data-dir",
        d,
    )
    assert code == 0 and "maria added: plant_manager; sites dairy" in out
    code, out, _ = _run(
        capsys,
        "user",
        "add",
        "lena",
        "--role",
        "financier",
        "--loan",
        "green-line-1",
        "--data-dir",
        d,
    )
    assert code == 0
    code, out, _ = _run(capsys, "user", "list", "--data-dir", d)
    assert code == 0
    assert "maria" in out and "plant_manager" in out and "maria@example.org" in out
    assert "lena" in out and "green-line-1" in out
    with UserStore(Path(d) / "users.db") as users:
        old = users.password_hash("maria")
        assert users.authenticate("maria", "s3cret-enough") is not None
    monkeypatch.setenv("PLANTMETER_PASSWORD", "another-one")
    code, out, _ = _run(capsys, "user", "passwd", "maria", "--data-dir", d)
    assert code == 0
    with UserStore(Path(d) / "users.db") as users:
        assert users.password_hash("maria") != old
        assert users.authenticate("maria", "s3cret-enough") is None
        assert users.authenticate("maria", "another-one") is not None
    code, out, _ = _run(capsys, "user", "remove", "maria", "--data-dir", d)
    assert code == 0
    code, out, _ = _run(capsys, "user", "list", "--data-dir", d)
    assert "maria" not in out and "lena" in out


def test_bad_role_unknown_user_empty_password_and_duplicates_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    d = str(tmp_path / "data")
    with pytest.raises(SystemExit) as exc:  # argparse: the choices are listed
        main(["user", "add", "x", "--role", "boss", "--data-dir", d])
    assert exc.value.code == 2
    assert "invalid choice: 'boss'" in capsys.readouterr().err
    monkeypatch.setenv("PLANTMETER_PASSWORD", "")
    code, _, err = _run(capsys, "user", "add", "x", "--role", "admin", "--data-dir", d)
    assert code == 2 and "password is empty" in err
    monkeypatch.delenv("PLANTMETER_PASSWORD")
    monkeypatch.setattr(sys, "stdin", open(os.devnull))  # not a terminal: no prompt possible
    code, _, err = _run(capsys, "user", "add", "x", "--role", "admin", "--data-dir", d)
    assert code == 2 and "PLANTMETER_PASSWORD" in err
    monkeypatch.setenv("PLANTMETER_PASSWORD", "pw-pw-pw")
    code, _, err = _run(capsys, "user", "add", "p", "--role", "plant_manager", "--data-dir", d)
    assert code == 2 and "--site" in err
    code, _, err = _run(capsys, "user", "add", "f", "--role", "financier", "--data-dir", d)
    assert code == 2 and "--loan" in err
    code, _, err = _run(capsys, "user", "add", "bad name", "--role", "admin", "--data-dir", d)
    assert code == 2 and "without spaces" in err
    assert _run(capsys, "user", "add", "x", "--role", "admin", "--data-dir", d)[0] == 0
    code, _, err = _run(capsys, "user", "add", "x", "--role", "admin", "--data-dir", d)
    assert code == 2 and "exists already" in err
    for action in ("remove", "passwd"):
        code, _, err = _run(capsys, "user", action, "nobody", "--data-dir", d)
        assert code == 2 and "no user 'nobody'" in err
    assert "Traceback" not in err


def test_serve_runs_uvicorn_read_only_says_its_url_and_stops_on_ctrl_c(
    served: Served, tmp_path: Path
) -> None:
    port = free_port()
    db = served.root / "dairy.db"
    env = os.environ | {
        "PLANTMETER_STORE_URL": f"sqlite:///{db}",
        "PLANTMETER_DATA_DIR": str(tmp_path),
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "plantmeter_app",
            "serve",
            str(served.site_yaml),
            "--plan",
            str(served.plan_yaml),
            "--port",
            str(port),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        body = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/api/v1/health", timeout=2
                ) as r:
                    body = json.loads(r.read())
                    break
            except OSError:
                time.sleep(0.2)
        assert body is not None and body["status"] == "ok" and body["sites"] == 1
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, out
    assert f"dashboard at http://127.0.0.1:{port}/" in out
    assert "dashboard stopped" in out
    assert "Traceback" not in out


def test_serve_refuses_sites_of_different_stores(
    served: Served,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PLANTMETER_STORE_URL", raising=False)
    other = tmp_path / "other.yaml"
    other.write_text((served.root / "brewery.yaml").read_text())
    code, _, err = _run(
        capsys, "serve", str(served.site_yaml), str(other), "--data-dir", str(tmp_path)
    )
    assert code == 2 and "different stores" in err
