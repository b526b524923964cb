"""Alert e-mails in the site's language (issue #15): a site whose file says ``locale: es_GT`` gets
its offline alarm in Spanish, numbers and dates as Guatemala writes them; the webhook's fields
(the payload's keys and values such as ``type``) stay English."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pandas as pd

from alerts import EmailChannel, Ledger, dispatch, evaluate
from ingest.stores import open_store
from plantmeter.config import load_site
from tests.alerts.history import SITE, load
from tests.alerts.test_offline import STOP
from tests.smtp_server import SmtpServer


def test_an_es_gt_site_gets_its_alarm_in_spanish(tmp_path: Path, leaky: pd.DataFrame) -> None:
    text = SITE.replace(
        "timezone: America/Guatemala}}", "timezone: America/Guatemala, locale: es_GT}}"
    )
    assert "locale: es_GT" in text
    store = open_store(f"sqlite:///{tmp_path / 'dairy.db'}")
    try:
        with SmtpServer(tmp_path) as smtp, Ledger(tmp_path / "alerts.db") as ledger:
            (tmp_path / "site.yaml").write_text(text.format(smtp=smtp.url))
            site = load_site(tmp_path / "site.yaml", environ={})
            channels = [EmailChannel(site.alerts.email)]  # type: ignore[union-attr, arg-type]
            load(store, leaky, tmp_path, STOP)
            now = (pd.Timestamp(STOP) + timedelta(minutes=50)).to_pydatetime()
            result = evaluate(store, site, ledger, now=now)
            dispatch(ledger, channels, now=now)
            mails = smtp.messages()
    finally:
        store.close()
    opened = [c for c in result.changes if c.episode.type == "offline"]
    assert [c.action for c in opened] == ["open"]
    assert [m.message["Subject"] for m in mails] == [
        "[PlantMeter dairy] cip-water: medidor fuera de línea"
    ]
    body = mails[0].message.get_content()
    assert "Medidor cip-water en el sitio dairy: medidor fuera de línea (" in body
    assert "Desde las " in body and "(America/Guatemala)" in body
    assert "Reconózcala en el tablero para detener los recordatorios." in body
    assert "Acknowledge it" not in body and "Since " not in body


def test_each_recipient_reads_the_alarm_in_their_own_language(
    tmp_path: Path, leaky: pd.DataFrame
) -> None:
    """A Brazilian consultant on a Guatemalan site's alarm list: their user account says pt_BR,
    so their e-mail is Portuguese while the plant manager's follows the site (es_GT), and both
    say what to do."""
    from dashboard.users import UserStore
    from services.accounts import AccountStore

    text = SITE.replace(
        "timezone: America/Guatemala}}", "timezone: America/Guatemala, locale: es_GT}}"
    ).replace(
        '{{to: ["manager@dairy.example"], severity: warning}}',
        '{{to: ["manager@dairy.example", "consultor@cp.example.br"], severity: warning}}',
    )
    with UserStore(tmp_path / "users.db") as users:
        users.add_user("joana", "s3cret-pass", "auditor", sites=["dairy"],
                       email="consultor@cp.example.br", locale="pt_BR")  # fmt: skip
    store = open_store(f"sqlite:///{tmp_path / 'dairy.db'}")
    try:
        with (
            SmtpServer(tmp_path) as smtp,
            Ledger(tmp_path / "alerts.db") as ledger,
            AccountStore(tmp_path / "users.db") as accounts,
        ):
            (tmp_path / "site.yaml").write_text(text.format(smtp=smtp.url))
            site = load_site(tmp_path / "site.yaml", environ={})
            load(store, leaky, tmp_path, STOP)
            now = (pd.Timestamp(STOP) + timedelta(minutes=50)).to_pydatetime()
            evaluate(store, site, ledger, now=now, accounts=accounts)
            dispatch(ledger, [EmailChannel(site.alerts.email)], now=now)  # type: ignore[union-attr, arg-type]
            mails = {m.recipients[0]: m.message for m in smtp.messages()}
    finally:
        store.close()
    assert mails["manager@dairy.example"]["Subject"].endswith("medidor fuera de línea")
    assert mails["consultor@cp.example.br"]["Subject"].endswith("medidor offline"), mails
    assert "Qué hacer: Revise la alimentación" in mails["manager@dairy.example"].get_content()
    assert "O que fazer: Verifique a alimentação" in mails["consultor@cp.example.br"].get_content()
