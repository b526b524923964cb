"""``plantmeter alerts SITE.yaml --once / --dry-run`` as cron runs it: the simulated leak gives
its e-mails once, a dry run shows them and sends nothing, a rerun sends nothing twice; user
errors are one line and exit 2."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ingest.stores import open_store
from plantmeter_app.cli import main
from tests.alerts.history import END, LEAK_AT, SITE, load
from tests.smtp_server import SmtpServer


def run(site: Path, data: Path, now: str, *more: str) -> int:
    return main(["alerts", str(site), "--data-dir", str(data), "--now", now, *more])


def test_once_and_dry_run(
    tmp_path: Path, leaky: pd.DataFrame, capsys: pytest.CaptureFixture[str]
) -> None:
    store_path = tmp_path / "dairy.db"
    with SmtpServer(tmp_path) as smtp:
        site = tmp_path / "site.yaml"
        site.write_text(SITE.format(smtp=smtp.url) + f"store: {{url: 'sqlite:///{store_path}'}}\n")
        data = tmp_path / "data"
        store = open_store(f"sqlite:///{store_path}")
        try:
            load(store, leaky, tmp_path, LEAK_AT)
        finally:
            store.close()
        assert run(site, data, LEAK_AT.isoformat(), "--once") == 0
        assert smtp.messages() == [] and (data / "alerts.db").exists()
        store = open_store(f"sqlite:///{store_path}")
        try:
            load(store, leaky, tmp_path, END)
        finally:
            store.close()
        capsys.readouterr()
        assert run(site, data, END.isoformat(), "--dry-run") == 0
        shown = capsys.readouterr().out
        assert (
            "would send open email to manager@dairy.example: [PlantMeter dairy] cip-water: leak"
            in shown
        )
        assert "Meter page: https://plantmeter.dairy.example/sites/dairy/meters/cip-water" in shown
        assert smtp.messages() == []  # a dry run sends nothing ...
        assert run(site, data, END.isoformat(), "--once") == 0  # ... and records nothing
        subjects = sorted(m.message["Subject"] for m in smtp.messages())
        assert subjects == sorted(
            line.split(": ", 1)[1] for line in shown.splitlines() if line.startswith("would send")
        )
        assert run(site, data, (END + pd.Timedelta(minutes=5)).isoformat(), "--once") == 0
        assert len(smtp.messages()) == len(subjects)
        assert "0 opened, 0 closed; 0 notices sent, 0 waiting" in capsys.readouterr().err


def test_a_site_without_alerts_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = tmp_path / "site.yaml"
    site.write_text(SITE.split("alerts:")[0].format())
    assert main(["alerts", str(site), "--once", "--data-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert (
        err.startswith("plantmeter alerts: ")
        and "no alerts: section; add one" in err
        and "Traceback" not in err
    )
