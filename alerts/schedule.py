"""Scheduled reports (``alerts.reports``): the monthly loan report to each loan's financiers,
the weekly consumption report to the site's plant managers.

``loan_report_deliveries(loans, users, today, day)`` (pure): from ``day`` of a month on, the
previous month's loan monitoring report of each loan goes to each financier user who funds it
(role ``financier``, the loan in their ``loans``, an e-mail address). ``record_loan_reports``
renders each due report once (``services.report_document("loan", ...)``, PDF in
``DATA_DIR/reports``) and records one e-mail per recipient in the ledger's outbox, keyed on
``loan:ID:YYYY-MM`` + recipient: idempotent across rounds and restarts, retried like alerts.
``consumption_deliveries(site, users, today, weekday)``: from ``weekday`` of a week on, last ISO
week's consumption report to the site's plant managers. ``audit_deliveries(site, users, today,
day)``: from ``day`` of each quarter's first month, the option audit to the end of the previous
quarter, to the site's auditors.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from plantmeter.alertconfig import AlertsConfig
from plantmeter.errors import PlantMeterError
from plantmeter.i18n import _, use_locale
from plantmeter.store import SeriesStore
from reports.load import LoadedPlan
from reports.plan import LoanSpec
from services.accounts import AccountStore, Role, User
from services.documents import report_document, write

from .ledger import Ledger, Notice

__all__ = [
    "Delivery",
    "delivery_ref",
    "WEEKDAYS",
    "audit_deliveries",
    "consumption_deliveries",
    "loan_report_deliveries",
    "previous_month",
    "previous_quarter_end",
    "previous_week",
    "record_reports",
]

logger = logging.getLogger(__name__)


def _report_mail(d: Delivery, site: str) -> tuple[str, str]:
    """The report e-mail's subject and text, in the current locale."""
    if d.kind == "loan":
        subject = _("[PlantMeter {site}] loan {loan}: monitoring report {period}")
        text = _(
            "The monitoring report of loan {loan} for {period} is attached: verified savings "
            "against the promise, debt service and covenants (PDF)."
        )
    elif d.kind == "audit":
        subject = _("[PlantMeter {site}] option audit to {period}")
        text = _("The option audit of site {site} to the end of {period} is attached (PDF).")
    else:
        subject = _("[PlantMeter {site}] consumption {period}")
        text = _("The consumption report of site {site} for week {period} is attached (PDF).")
    facts = {"site": site, "loan": d.loan, "period": d.period}
    return subject.format(**facts), text.format(**facts) + "\n"


@dataclass(frozen=True, slots=True)
class Delivery:
    kind: str  # loan | consumption | audit
    loan: str
    period: str  # YYYY-MM
    recipient: str  # e-mail address
    username: str


def previous_month(today: date) -> str:
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{year:04d}-{month:02d}"


def loan_report_deliveries(
    loans: Iterable[LoanSpec], users: Iterable[User], today: date, day: int
) -> list[Delivery]:
    """The loan reports due on ``today`` (site-local date) when they go out on ``day`` of the month."""
    if not 1 <= day <= 28:
        raise ValueError(f"day {day}: give 1 to 28 (every month has it)")
    if today.day < day:
        return []
    period = previous_month(today)
    funders = [u for u in users if u.role is Role.financier and u.email]
    out = []
    for loan in loans:
        if loan.disbursement.strftime("%Y-%m") > period:
            continue  # nothing to monitor before the money went out
        for u in funders:
            if loan.id in u.loans:
                out.append(Delivery("loan", loan.id, period, u.email or "", u.username))
    return out


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def previous_week(today: date) -> str:
    """The ISO week before ``today``'s, ``YYYY-Www``."""
    year, week, _ = (today - timedelta(days=7)).isocalendar()
    return f"{year:04d}-W{week:02d}"


def consumption_deliveries(
    site: str, users: Iterable[User], today: date, weekday: str
) -> list[Delivery]:
    """From ``weekday`` of a week on, last ISO week's consumption report to the site's plant managers."""
    if WEEKDAYS.index(weekday) > today.weekday():
        return []
    return _to_role("consumption", previous_week(today), site, users, Role.plant_manager)


def _to_role(
    kind: str, period: str, site: str, users: Iterable[User], role: Role
) -> list[Delivery]:
    """One delivery of a site's report to each user of ``role`` on the site with an e-mail."""
    return [
        Delivery(kind, "", period, u.email, u.username)
        for u in users
        if u.role is role and site in u.sites and u.email
    ]


def previous_quarter_end(today: date) -> str:
    """The last month (``YYYY-MM``) of the quarter before ``today``'s."""
    first = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    return previous_month(first)


def audit_deliveries(site: str, users: Iterable[User], today: date, day: int) -> list[Delivery]:
    """From ``day`` of a quarter's first month on, the option audit to the month that ended the
    previous quarter, to the site's auditors."""
    if not 1 <= day <= 28:
        raise ValueError(f"day {day}: give 1 to 28 (every month has it)")
    if (today.month - 1) % 3 or today.day < day:
        return []
    return _to_role("audit", previous_quarter_end(today), site, users, Role.auditor)


def delivery_ref(d: Delivery) -> str:
    return f"{d.kind}:{d.loan}:{d.period}" if d.kind == "loan" else f"{d.kind}:{d.period}"


def record_reports(
    ledger: Ledger,
    loaded: LoadedPlan,
    store: SeriesStore,
    accounts: AccountStore,
    alerts: AlertsConfig,
    now: datetime,
    out_dir: Path,
    *,
    record: bool = True,
) -> list[tuple[Delivery, Notice]]:
    """Render the due reports not yet in the outbox (one PDF per report and period, in
    ``out_dir``) and record one e-mail per recipient with the PDF attached: the loan report to
    each loan's financiers (``reports.loan_day``), the weekly consumption report to the site's
    plant managers (``reports.consumption_weekday``)."""
    if alerts.email is None:
        return []
    site = loaded.site.site
    today = now.astimezone(ZoneInfo(site.timezone)).date()
    plan = loaded.as_of(today)[0]
    users = accounts.users()
    due: list[Delivery] = []
    if alerts.reports.loan_day is not None:
        due += loan_report_deliveries(plan.loans, users, today, alerts.reports.loan_day)
    if alerts.reports.consumption_weekday is not None:
        due += consumption_deliveries(site.id, users, today, alerts.reports.consumption_weekday)
    if alerts.reports.audit_day is not None:
        due += audit_deliveries(site.id, users, today, alerts.reports.audit_day)
    todo = [d for d in due if not ledger.recorded(delivery_ref(d), d.recipient)]
    now_ms = int(now.timestamp() * 1000)
    rendered: dict[tuple[str, str, str, str], Path] = {}
    out: list[tuple[Delivery, Notice]] = []
    locales = {u.username: u.locale for u in users if u.locale}
    for d in todo:
        lang = locales.get(d.username) or site.locale  # the recipient's language, else the site's
        key = (d.kind, d.loan, d.period, lang)
        name = (
            (f"loan-{d.loan}-{d.period}" if d.kind == "loan" else f"{d.kind}-{site.id}-{d.period}")
            + ("" if lang == site.locale else f"-{lang}")
            + ".pdf"
        )
        if key not in rendered:
            try:
                if d.kind == "loan":
                    doc = report_document(
                        "loan", loaded, store, d.period, loan_id=d.loan, locale=lang
                    )
                else:
                    doc = report_document(d.kind, loaded, store, d.period, locale=lang)  # type: ignore[arg-type]
            except PlantMeterError as exc:  # e.g. the period is outside the plan's data window
                logger.error("%s report %s %s not made: %s", d.kind, d.loan, d.period, exc)
                continue
            out_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            rendered[key] = write(doc.document, out_dir / name)
        with use_locale(lang):
            subject, text = _report_mail(d, site.id)
        payload = {
            "event": "report",
            "kind": d.kind,
            "loan": d.loan,
            "period": d.period,
            "site": site.id,
            "subject": subject,
            "text": text,
            "attachments": [str(rendered[key])],
        }
        notice = Notice("email", d.recipient, payload, now_ms)
        if record:
            with ledger.transaction() as db:
                ledger.record(db, 0, "report", 0, [notice], now_ms, ref=delivery_ref(d))
        out.append((d, notice))
    return out
