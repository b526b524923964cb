"""The monthly loan report (PDF) reaches the loan's financier once per month, from the set day
on, over a real SMTP server; other users get nothing; a rerun or a restart sends nothing twice.
On the simulated dairy with its approved plan (tests/dairy.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

from pypdf import PdfReader

from alerts import EmailChannel, Ledger, dispatch
from alerts.schedule import record_reports
from dashboard.users import UserStore
from plantmeter.alertconfig import AlertsConfig
from plantmeter_app.runtime import plan_store
from services.accounts import AccountStore
from tests.dairy import Dairy
from tests.smtp_server import SmtpServer


def at(day: str) -> datetime:  # noon in Guatemala (UTC-6)
    return datetime.fromisoformat(f"{day}T18:00:00").replace(tzinfo=UTC)


def test_the_loan_report_arrives_once_a_month(tmp_path: Path, dairy: Dairy) -> None:
    loaded = dairy.load()
    loan = next(
        x for x in loaded.as_of(None)[0].loans if x.id == "green-line-1"
    )  # two loans; fin funds one
    with UserStore(tmp_path / "users.db") as users:
        users.add_user("fin", "pw-fin", "financier", loans=[loan.id], email="fin@bank.example")
        users.add_user(
            "other", "pw-other", "financier", loans=["another-loan"], email="other@bank.example"
        )
        users.add_user("ana", "pw-ana", "plant_manager", sites=["dairy"], email="ana@dairy.example")
    with SmtpServer(tmp_path) as smtp:
        alerts = AlertsConfig.model_validate(
            {
                "email": {"smtp_url": smtp.url, "from": "plantmeter@dairy.example"},
                "reports": {"loan_day": 5},
            }
        )
        assert alerts.email is not None
        channels = [EmailChannel(alerts.email)]
        out = tmp_path / "reports"

        def round_at(day: str) -> int:
            with (
                plan_store(loaded) as store,
                AccountStore(tmp_path / "users.db") as accounts,
                Ledger(tmp_path / "alerts.db") as ledger,
            ):
                made = record_reports(ledger, loaded, store, accounts, alerts, at(day), out)
                dispatch(ledger, channels, now=at(day))
            return len(made)

        assert round_at("2025-12-04") == 0  # before the day
        assert round_at("2025-12-05") == 1
        assert round_at("2025-12-05") == 0 and round_at("2025-12-20") == 0  # once a month
        assert round_at("2026-01-05") == 1
        mails = smtp.messages()
    assert [m.recipients for m in mails] == [("fin@bank.example",), ("fin@bank.example",)]
    assert [m.message["Subject"] for m in mails] == [
        f"[PlantMeter dairy] loan {loan.id}: monitoring report 2025-11",
        f"[PlantMeter dairy] loan {loan.id}: monitoring report 2025-12",
    ]
    [pdf] = list(mails[0].message.iter_attachments())
    assert (
        pdf.get_content_type() == "application/pdf"
        and pdf.get_filename() == f"loan-{loan.id}-2025-11.pdf"
    )
    text = PdfReader(BytesIO(pdf.get_content())).pages[0].extract_text()
    assert loan.id in text, text[:300]


def test_the_weekly_consumption_report_reaches_the_plant_managers(
    tmp_path: Path, dairy: Dairy
) -> None:
    loaded = dairy.load()
    with UserStore(tmp_path / "users.db") as users:
        users.add_user("ana", "pw-ana", "plant_manager", sites=["dairy"], email="ana@dairy.example")
        users.add_user(
            "bob", "pw-bob", "plant_manager", sites=["another-site"], email="bob@other.example"
        )
        users.add_user(
            "fin", "pw-fin", "financier", loans=["green-line-1"], email="fin@bank.example"
        )
    with SmtpServer(tmp_path) as smtp:
        alerts = AlertsConfig.model_validate(
            {
                "email": {"smtp_url": smtp.url, "from": "plantmeter@dairy.example"},
                "reports": {"consumption_weekday": "monday"},
            }
        )
        assert alerts.email is not None
        channels = [EmailChannel(alerts.email)]

        def round_at(day: str) -> int:
            with (
                plan_store(loaded) as store,
                AccountStore(tmp_path / "users.db") as accounts,
                Ledger(tmp_path / "alerts.db") as ledger,
            ):
                made = record_reports(
                    ledger, loaded, store, accounts, alerts, at(day), tmp_path / "reports"
                )
                dispatch(ledger, channels, now=at(day))
            return len(made)

        assert [round_at(d) for d in ("2025-12-01", "2025-12-03", "2025-12-08")] == [
            1,
            0,
            1,
        ]  # Mondays
        mails = smtp.messages()
    assert [(m.recipients, m.message["Subject"]) for m in mails] == [
        (("ana@dairy.example",), "[PlantMeter dairy] consumption 2025-W48"),
        (("ana@dairy.example",), "[PlantMeter dairy] consumption 2025-W49"),
    ]
    [pdf] = list(mails[1].message.iter_attachments())
    assert pdf.get_filename() == "consumption-dairy-2025-W49.pdf" and pdf.get_content().startswith(
        b"%PDF"
    )


def test_the_quarterly_option_audit_reaches_the_auditors(tmp_path: Path, dairy: Dairy) -> None:
    loaded = dairy.load()
    with UserStore(tmp_path / "users.db") as users:
        users.add_user("cpc", "pw-cpc", "auditor", sites=["dairy"], email="audit@cpc.example")
        users.add_user("ana", "pw-ana", "plant_manager", sites=["dairy"], email="ana@dairy.example")
    with SmtpServer(tmp_path) as smtp:
        alerts = AlertsConfig.model_validate(
            {
                "email": {"smtp_url": smtp.url, "from": "plantmeter@dairy.example"},
                "reports": {"audit_day": 5},
            }
        )
        assert alerts.email is not None
        channels = [EmailChannel(alerts.email)]

        def round_at(day: str) -> int:
            with (
                plan_store(loaded) as store,
                AccountStore(tmp_path / "users.db") as accounts,
                Ledger(tmp_path / "alerts.db") as ledger,
            ):
                made = record_reports(
                    ledger, loaded, store, accounts, alerts, at(day), tmp_path / "reports"
                )
                dispatch(ledger, channels, now=at(day))
            return len(made)

        # December is no quarter's first month; 4 Jan is before the day; then once
        assert [round_at(d) for d in ("2025-12-05", "2026-01-04", "2026-01-05", "2026-01-20")] == [
            0,
            0,
            1,
            0,
        ]
        mails = smtp.messages()
    assert [(m.recipients, m.message["Subject"]) for m in mails] == [
        (("audit@cpc.example",), "[PlantMeter dairy] option audit to 2025-12")
    ]
    [pdf] = list(mails[0].message.iter_attachments())
    assert pdf.get_filename() == "audit-dairy-2025-12.pdf"
    assert "audit" in PdfReader(BytesIO(pdf.get_content())).pages[0].extract_text().lower()
