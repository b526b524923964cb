"""A simulated leak (the simulator's fault model, tests/analytics' injection) over a real
SqliteStore, evaluated incrementally as a cron'd ``--once`` would: exactly one opening e-mail
arrives at a real SMTP server, a second evaluation sends nothing twice, and an SMTP outage
delays the alert without losing it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest

from alerts import EmailChannel, Ledger, dispatch, evaluate
from plantmeter.config import SiteConfig, load_site
from plantmeter.store import SeriesStore
from tests.alerts.history import END, LEAK_AT, SITE, load
from tests.smtp_server import SmtpServer


def site_for(tmp: Path, smtp_url: str) -> SiteConfig:
    path = tmp / "site.yaml"
    path.write_text(SITE.format(smtp=smtp_url))
    return load_site(path, environ={})


def test_a_leak_sends_one_opening_email_and_a_rerun_sends_nothing_twice(
    plant: tuple[Path, SeriesStore], leaky: pd.DataFrame
) -> None:
    tmp, store = plant
    with SmtpServer(tmp) as smtp, Ledger(tmp / "alerts.db") as ledger:
        site = site_for(tmp, smtp.url)
        channels = [EmailChannel(site.alerts.email)]  # type: ignore[union-attr, arg-type]
        load(store, leaky, tmp, LEAK_AT)  # clean history: the first evaluation
        first = evaluate(store, site, ledger, now=LEAK_AT)
        assert first.since_ms is None and not [n for _, n in first.notices], first.changes
        assert dispatch(ledger, channels, now=LEAK_AT).sent == []
        load(store, leaky, tmp, END)  # four days more, with the leak
        second = evaluate(store, site, ledger, now=END)
        assert second.since_ms == int(LEAK_AT.timestamp() * 1000)
        dispatch(ledger, channels, now=END)
        mails = smtp.messages()
        leaks = [m for m in mails if ": leak" in m.message["Subject"]]
        # one fault, one e-mail: the excess the leak raises is the same incident (test_incidents)
        assert len(leaks) == len(mails) == 1, [m.message["Subject"] for m in mails]
        text = leaks[0].message.get_content()
        assert leaks[0].recipients == ("manager@dairy.example",)
        assert "Meter cip-water on site dairy: leak (critical)." in text
        # the simulator's leak: 0.3 m³/h from 02:00 local on 4 Nov; the detector dates it from
        # the first night window it saw whole (01:00 local on 5 Nov, tests/analytics)
        assert "Since 01:00 on 5 Nov 2025 (America/Guatemala)" in text, text
        per_day = float(text.split("; ")[1].split(" m³ a day")[0].replace(",", ""))
        assert per_day == pytest.approx(0.3 * 24, rel=0.2), text
        # so far: from the detector's start (5 Nov 07:00 UTC) to the newest reading
        assert "(3.3 days so far)" in text, text
        so_far = float(text.split("So far: ")[1].split(" m³")[0].replace(",", ""))
        # 78 h 45 min at the daily excess (the newest reading is 13:45 UTC: the history ends before END)
        assert so_far == pytest.approx(per_day * 78.75 / 24, abs=0.06), text
        assert "https://plantmeter.dairy.example/sites/dairy/meters/cip-water" in text
        # the cron runs again a few minutes later, and after a restart: nothing is sent twice
        again = evaluate(store, site, ledger, now=END + timedelta(minutes=5))
        assert [c.action for c in again.changes if c.action != "extend"] == []
        dispatch(ledger, channels, now=END + timedelta(minutes=5))
    with Ledger(tmp / "alerts.db") as ledger:
        evaluate(store, site, ledger, now=END + timedelta(minutes=10))
        dispatch(ledger, channels, now=END + timedelta(minutes=10))
    assert len(smtp.messages()) == len(mails)


def test_an_smtp_outage_delays_the_alert_and_loses_none(
    plant: tuple[Path, SeriesStore], leaky: pd.DataFrame
) -> None:
    tmp, store = plant
    server = SmtpServer(tmp)
    site = site_for(tmp, server.url)  # the server is not started yet: SMTP is down
    channels = [EmailChannel(site.alerts.email.model_copy(update={"timeout": 2.0}))]  # type: ignore[union-attr]
    with Ledger(tmp / "alerts.db") as ledger:
        load(store, leaky, tmp, LEAK_AT)
        evaluate(store, site, ledger, now=LEAK_AT)
        load(store, leaky, tmp, END)
        recorded = evaluate(store, site, ledger, now=END)
        assert any(n.channel == "email" for _, n in recorded.notices)
        down = dispatch(ledger, channels, now=END)
        assert down.sent == [] and down.failed
        assert all(i.sent_ms is None and i.attempts <= 1 for i in ledger.outbox())
    with (
        server,
        Ledger(tmp / "alerts.db") as ledger,
    ):  # the mail server is back; the service restarted
        too_soon = dispatch(ledger, channels, now=END + timedelta(seconds=30))
        # the notice that failed waits its backoff (a minute); the ones not tried yet go now
        assert not set(too_soon.sent) & {i for i, _ in down.failed}
        later = dispatch(ledger, channels, now=END + timedelta(minutes=2))
        assert later.sent and not later.failed
        assert all(i.sent_ms is not None for i in ledger.outbox())
        assert len(server.messages()) == len(ledger.outbox()) == len(recorded.notices)


def test_the_reference_is_fixed_at_the_first_evaluation_on_the_wall_clock(
    plant: tuple[Path, SeriesStore], leaky: pd.DataFrame
) -> None:
    """The wall clock has microseconds; the detectors' reference (the first four weeks of data)
    must still be recorded, or later rounds would learn 'normal' from the last few minutes."""
    tmp, store = plant
    with Ledger(tmp / "alerts.db") as ledger:
        load(store, leaky, tmp, LEAK_AT)
        evaluate(
            store,
            site_for(tmp, "smtp://127.0.0.1:25"),
            ledger,
            now=LEAK_AT + timedelta(microseconds=123_456),
        )
        until, reference = ledger.evaluated("dairy")
    assert until == int(LEAK_AT.timestamp() * 1000)
    assert reference == int(leaky.index[0].timestamp() * 1000)
