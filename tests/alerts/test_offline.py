"""A meter whose readings stop (a bus dropout) is an ``offline`` alarm once its newest reading is
older than the stale rule (3 polls), announced once; it closes, with one closing e-mail, when the
readings come back."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pandas as pd

from alerts import EmailChannel, Ledger, dispatch, evaluate
from ingest.stores import open_store
from plantmeter.config import load_site
from tests.alerts.history import LEAK_AT, SITE, load
from tests.smtp_server import SmtpServer

STOP = LEAK_AT - timedelta(days=7)  # the bus drops out here (clean data before it)


def test_offline_opens_once_and_closes_when_readings_return(
    tmp_path: Path, leaky: pd.DataFrame
) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'dairy.db'}")
    try:
        with SmtpServer(tmp_path) as smtp, Ledger(tmp_path / "alerts.db") as ledger:
            (tmp_path / "site.yaml").write_text(SITE.format(smtp=smtp.url))
            site = load_site(tmp_path / "site.yaml", environ={})
            channels = [EmailChannel(site.alerts.email)]  # type: ignore[union-attr, arg-type]

            def round_at(t: pd.Timestamp) -> list[str]:
                result = evaluate(store, site, ledger, now=t.to_pydatetime())
                dispatch(ledger, channels, now=t.to_pydatetime())
                return [c.action for c in result.changes if c.episode.type == "offline"]

            load(store, leaky, tmp_path, STOP)
            t = pd.Timestamp(STOP)
            assert round_at(t + timedelta(minutes=30)) == []  # 2 polls (15 min) late: not yet
            assert round_at(t + timedelta(minutes=50)) == ["open"]  # past 3 polls
            assert round_at(t + timedelta(hours=2)) == ["extend"]  # still offline: no new e-mail
            load(store, leaky, tmp_path, STOP + timedelta(hours=3))  # the bus is back
            assert round_at(t + timedelta(hours=3, minutes=5)) == ["close"]
            subjects = [m.message["Subject"] for m in smtp.messages()]
            texts = [m.message.get_content() for m in smtp.messages()]
    finally:
        store.close()
    assert subjects == [
        "[PlantMeter dairy] cip-water: meter offline",
        "[PlantMeter dairy] over: cip-water: meter offline",
    ]
    assert "no reading since" in texts[0] and "polled every 900 s" in texts[0]
