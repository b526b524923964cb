"""The webhook channel against a real local HTTP server (http.server): JSON POSTs, resends
after failures, and through the ledger one call per opening that an outage delays, never loses."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest

from alerts import ChannelError, Ledger, WebhookChannel, dispatch, evaluate
from ingest.stores import open_store
from plantmeter.alertconfig import WebhookConfig
from plantmeter.config import load_site
from tests.alerts.history import END, LEAK_AT, SITE, load
from tests.alerts.sinks import Hook


@pytest.fixture
def hook() -> Iterator[Hook]:
    h = Hook()
    try:
        yield h
    finally:
        h.close()


def test_a_notice_is_posted_as_json(hook: Hook) -> None:
    WebhookChannel(WebhookConfig(url=hook.url)).send(
        hook.url, {"event": "open", "meter": "cip-water"}
    )
    assert hook.calls == [("application/json", {"event": "open", "meter": "cip-water"})]


def test_failed_posts_are_resent_with_backoff(hook: Hook) -> None:
    waits: list[float] = []
    hook.fail = 2
    WebhookChannel(WebhookConfig(url=hook.url, retries=3), sleep=waits.append).send(
        hook.url, {"n": 1}
    )
    assert len(hook.calls) == 3 and waits == [0.5, 1.0]
    hook.fail = 10
    with pytest.raises(ChannelError, match="HTTP 500.*after 3 tries"):
        WebhookChannel(WebhookConfig(url=hook.url, retries=2), sleep=waits.append).send(
            hook.url, {"n": 2}
        )


def test_one_call_per_opening_and_an_outage_loses_none(
    tmp_path: Path, hook: Hook, leaky: pd.DataFrame
) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'dairy.db'}")
    site_file = tmp_path / "site.yaml"
    site_file.write_text(
        SITE.format(smtp="smtp://127.0.0.1:25") + f'  webhook: {{url: "{hook.url}", retries: 1}}\n'
    )
    site = load_site(site_file, environ={})
    assert site.alerts is not None and site.alerts.webhook is not None
    channels = [WebhookChannel(site.alerts.webhook, sleep=lambda s: None)]
    try:
        with Ledger(tmp_path / "alerts.db") as ledger:
            load(store, leaky, tmp_path, LEAK_AT)
            evaluate(store, site, ledger, now=LEAK_AT)
            load(store, leaky, tmp_path, END)
            evaluate(store, site, ledger, now=END)
            hook.fail = 2  # the receiver is down for this round (the first notice and its resend)
            first = dispatch(ledger, channels, now=END)
            assert first.failed and not first.sent
            later = dispatch(ledger, channels, now=END + timedelta(minutes=2))
            assert later.sent and not later.failed
            evaluate(store, site, ledger, now=END + timedelta(minutes=5))
            dispatch(ledger, channels, now=END + timedelta(minutes=5))
    finally:
        store.close()
    delivered = [body for _, body in hook.calls[2:]]  # after the two refused POSTs
    leaks = [b for b in delivered if b["type"] == "leak"]
    assert len(leaks) == 1 and leaks[0]["event"] == "open" and leaks[0]["meter"] == "cip-water"
    assert leaks[0]["excess_per_day"] == pytest.approx(0.3 * 24, rel=0.2)
    assert leaks[0]["link"] == "https://plantmeter.dairy.example/sites/dairy/meters/cip-water"
    assert len({(b["type"], b["event"]) for b in delivered}) == len(delivered)  # nothing twice
