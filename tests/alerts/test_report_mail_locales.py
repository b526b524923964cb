"""Scheduled report e-mails in each recipient's language (issue #15): the weekly consumption
report reaches a plant manager whose account says pt_BR in Portuguese (subject, text and PDF)
and one without a locale in the site's (English), over a real SMTP server."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

from pypdf import PdfReader

from alerts import EmailChannel, Ledger, dispatch
from alerts.schedule import record_reports
from dashboard.users import UserStore
from plantmeter.alertconfig import AlertsConfig
from plantmeter_app.runtime import plan_store
from services.accounts import AccountStore
from tests.alerts.test_loan_reports import at
from tests.dairy import Dairy
from tests.smtp_server import SmtpServer


def test_each_plant_manager_gets_the_report_in_their_language(tmp_path: Path, dairy: Dairy) -> None:
    loaded = dairy.load()
    with UserStore(tmp_path / "users.db") as users:
        users.add_user("ana", "pw-ana", "plant_manager", sites=["dairy"], email="ana@dairy.example")
        users.add_user(
            "rui",
            "pw-rui",
            "plant_manager",
            sites=["dairy"],
            email="rui@dairy.example",
            locale="pt-BR",
        )
    with SmtpServer(tmp_path) as smtp:
        alerts = AlertsConfig.model_validate(
            {
                "email": {"smtp_url": smtp.url, "from": "plantmeter@dairy.example"},
                "reports": {"consumption_weekday": "monday"},
            }
        )
        assert alerts.email is not None
        with (
            plan_store(loaded) as store,
            AccountStore(tmp_path / "users.db") as accounts,
            Ledger(tmp_path / "alerts.db") as ledger,
        ):
            made = record_reports(
                ledger, loaded, store, accounts, alerts, at("2025-12-08"), tmp_path / "reports"
            )
            dispatch(ledger, [EmailChannel(alerts.email)], now=at("2025-12-08"))
        assert len(made) == 2
        mails = {m.recipients[0]: m.message for m in smtp.messages()}
    assert mails["ana@dairy.example"]["Subject"] == "[PlantMeter dairy] consumption 2025-W49"
    rui = mails["rui@dairy.example"]
    assert rui["Subject"] == "[PlantMeter dairy] consumo 2025-W49"
    body = rui.get_body(preferencelist=("plain",))
    assert (
        body is not None
        and "Segue em anexo o relatório de consumo da unidade dairy" in body.get_content()
    )
    [pdf] = list(rui.iter_attachments())
    assert pdf.get_filename() == "consumption-dairy-2025-W49-pt_BR.pdf"
    text = PdfReader(BytesIO(pdf.get_content())).pages[0].extract_text()
    assert "Relatório de consumo — dairy — 2025-W49" in text
    [english] = list(mails["ana@dairy.example"].iter_attachments())
    assert (
        "Consumption report — dairy — 2025-W49"
        in PdfReader(BytesIO(english.get_content())).pages[0].extract_text()
    )
