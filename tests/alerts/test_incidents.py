"""One fault, one incident: the simulator's leak raises the daily total (``excess``) a day
before the night-flow detector calls it a ``leak``. Evaluated as a cron would over the real
store, the plant manager gets one opening e-mail for the fault, and the leak's diagnosis in the
incident's next notice; a recipient who only takes critical alarms hears of it once, when it
becomes one."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from alerts import EmailChannel, Ledger, dispatch, evaluate
from plantmeter.config import load_site
from plantmeter.store import SeriesStore
from tests.alerts.history import LEAK_AT, SITE, load
from tests.smtp_server import SmtpServer

EXCESS_SEEN = datetime(2025, 11, 5, 8, tzinfo=UTC)  # 4 Nov (local) is complete: excess found
LEAK_SEEN = datetime(2025, 11, 7, 8, tzinfo=UTC)  # the night-flow detector's nights are in


def test_a_leak_seen_first_as_excess_is_one_incident_and_one_opening_email(
    plant: tuple[Path, SeriesStore], leaky: pd.DataFrame
) -> None:
    tmp, store = plant
    with SmtpServer(tmp) as smtp, Ledger(tmp / "alerts.db") as ledger:
        path = tmp / "site.yaml"
        text = (
            SITE.format(smtp=smtp.url) + '    - {to: ["owner@dairy.example"], severity: critical}\n'
        )
        path.write_text(text)
        site = load_site(path, environ={})
        channels = [EmailChannel(site.alerts.email)]  # type: ignore[union-attr, arg-type]
        for t in (LEAK_AT, EXCESS_SEEN, LEAK_SEEN):
            load(store, leaky, tmp, t)
            evaluate(store, site, ledger, now=t)
            dispatch(ledger, channels, now=t)
        episodes = {e.type: e for e in ledger.episodes("dairy")}
        assert set(episodes) == {"excess", "leak"}, episodes
        assert episodes["leak"].incident == episodes["excess"].id
        mails = [
            (m.recipients, m.message["Subject"], m.message.get_content()) for m in smtp.messages()
        ]
        manager = [(s, b) for r, s, b in mails if r == ("manager@dairy.example",)]
        owner = [s for r, s, _ in mails if r == ("owner@dairy.example",)]
        openings = [s for s, _ in manager if "still open" not in s]
        assert openings == ["[PlantMeter dairy] cip-water: excess use"], manager
        # the incident's reminder a day later carries the diagnosis
        assert any("Seen with it: leak (critical)" in b for s, b in manager if "still open" in s)
        assert owner == ["[PlantMeter dairy] cip-water: leak"]  # critical only: told once


def test_a_leak_and_its_excess_found_together_give_one_email_about_the_leak(
    plant: tuple[Path, SeriesStore], leaky: pd.DataFrame
) -> None:
    tmp, store = plant
    with SmtpServer(tmp) as smtp, Ledger(tmp / "alerts.db") as ledger:
        path = tmp / "site.yaml"
        path.write_text(SITE.format(smtp=smtp.url))
        site = load_site(path, environ={})
        load(store, leaky, tmp, LEAK_AT)
        evaluate(store, site, ledger, now=LEAK_AT)
        load(store, leaky, tmp, LEAK_SEEN)
        evaluate(store, site, ledger, now=LEAK_SEEN)
        dispatch(ledger, [EmailChannel(site.alerts.email)], now=LEAK_SEEN)  # type: ignore[union-attr, arg-type]
        [mail] = smtp.messages()
        assert mail.message["Subject"] == "[PlantMeter dairy] cip-water: leak"
        assert "Seen with it: excess use (warning)" in mail.message.get_content()


def test_a_ledger_from_before_incidents_opens_and_gains_the_column(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "alerts.db"
    with Ledger(path):
        pass
    db = sqlite3.connect(path)
    db.executescript(
        "ALTER TABLE episodes DROP COLUMN incident;"
        "INSERT INTO episodes (site, meter, type, quantity, detector, severity, reason, start_ms,"
        " end_ms, opened_ms) VALUES ('dairy', 'cip-water', 'leak', 'volume_total', 'water_leak',"
        " 'critical', 'night flow', 0, 1, 1)"
    )
    db.close()
    with Ledger(path) as ledger:
        [ep] = ledger.episodes("dairy")
    assert ep.incident is None and ep.root == ep.id
