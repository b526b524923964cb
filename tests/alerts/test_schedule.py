"""WIP: which monthly loan reports are due to whom (pure), and an e-mail carries a PDF."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from alerts.email import EmailChannel
from alerts.schedule import Delivery, loan_report_deliveries, previous_month
from plantmeter.alertconfig import EmailConfig
from reports.plan import LoanSpec
from services.accounts import Role, User
from tests.smtp_server import SmtpServer

LOAN = LoanSpec.model_validate({
    "id": "green-1", "lender": "Bank", "borrower": "dairy", "principal": 1000, "annual_rate": 0.08,
    "term_months": 24, "disbursement": "2025-05-15", "options": ["o1"], "promised_annual_savings": 100,
})  # fmt: skip


def user(name: str, role: Role, loans: tuple[str, ...], email: str | None) -> User:
    return User(
        name, role, ("dairy",) if role is not Role.financier else (), loans, email, None, 0.0
    )


USERS = [
    user("fin", Role.financier, ("green-1",), "fin@bank.example"),
    user("other", Role.financier, ("blue-2",), "other@bank.example"),
    user("nomail", Role.financier, ("green-1",), None),
    user("ana", Role.plant_manager, (), "ana@dairy.example"),
]


def test_the_previous_month_goes_to_the_loans_financiers_from_the_day_on() -> None:
    assert previous_month(date(2026, 1, 3)) == "2025-12"
    assert loan_report_deliveries([LOAN], USERS, date(2025, 12, 4), day=5) == []
    assert loan_report_deliveries([LOAN], USERS, date(2025, 12, 5), day=5) == [
        Delivery("loan", "green-1", "2025-11", "fin@bank.example", "fin")
    ]
    assert (
        loan_report_deliveries([LOAN], USERS, date(2025, 5, 20), day=5) == []
    )  # before the disbursement month


def test_an_email_carries_the_report_pdf(tmp_path: Path) -> None:
    pdf = tmp_path / "loan-green-1-2025-11.pdf"
    pdf.write_bytes(b"%PDF-1.4\n% test\n")
    with SmtpServer(tmp_path) as server:
        config = EmailConfig.model_validate(
            {"smtp_url": server.url, "from": "plantmeter@dairy.example"}
        )
        payload = {
            "subject": "Loan green-1: November 2025",
            "text": "Attached.\n",
            "attachments": [str(pdf)],
        }
        EmailChannel(config).send("fin@bank.example", payload)
        [got] = server.messages()
    [part] = list(got.message.iter_attachments())
    assert part.get_filename() == pdf.name and part.get_content() == pdf.read_bytes()


def test_last_iso_week_goes_to_the_sites_plant_managers_from_the_weekday_on() -> None:
    from alerts.schedule import consumption_deliveries, previous_week

    assert (
        previous_week(date(2026, 1, 5)) == "2026-W01"
        and previous_week(date(2026, 1, 4)) == "2025-W52"
    )
    assert consumption_deliveries("dairy", USERS, date(2025, 12, 2), "wednesday") == []  # a Tuesday
    assert consumption_deliveries("dairy", USERS, date(2025, 12, 3), "wednesday") == [
        Delivery("consumption", "", "2025-W48", "ana@dairy.example", "ana")
    ]


def test_the_audit_goes_out_in_each_quarters_first_month() -> None:
    from alerts.schedule import audit_deliveries, previous_quarter_end

    auditor = user("cpc", Role.auditor, (), "audit@cpc.example")
    assert [previous_quarter_end(date(2026, m, 10)) for m in (1, 2, 4, 7, 10, 12)] == [
        "2025-12", "2025-12", "2026-03", "2026-06", "2026-09", "2026-09",
    ]  # fmt: skip
    assert audit_deliveries("dairy", [auditor], date(2026, 4, 9), 10) == []
    assert audit_deliveries("dairy", [auditor], date(2026, 5, 10), 10) == []
    assert audit_deliveries("dairy", [auditor], date(2026, 4, 10), 10) == [
        Delivery("audit", "", "2026-03", "audit@cpc.example", "cpc")
    ]
