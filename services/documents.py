"""Report documents (loan monitoring, option audit, consumption) for any front end.

``report_document(kind, loaded, store, period)`` decides what the ``plantmeter report``
command decides today, in one place:

* **loan** (``loan_id`` required): ``period`` a calendar month; plan version in force on the
  month's last day; data window baseline start to the month's end.
* **audit**: ``period`` optional; with a month, audited up to its end (exclusive) with the
  plan version in force then; without, up to the data's end (``reports.audit.audit_data_end``)
  with every amendment and adjustment.
* **consumption**: ``period`` a month or an ISO week (``YYYY-Www``); plan version in force on
  its last day.

Every period must lie in the plan's data window. The document carries the approval block in
its JSON and, for an unapproved plan, the "UNAPPROVED baseline" banner. ``render`` gives its
JSON or HTML text, ``write`` a PDF/HTML/JSON file.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Literal

from plantmeter.errors import ConfigError
from plantmeter.i18n import _, use_locale
from plantmeter.store import SeriesStore
from reports.audit import audit_data_end, audit_document, audit_report
from reports.common import check_in_plan, check_output, parse_period, stamp_approval
from reports.consumption import consumption_report
from reports.consumption_doc import consumption_document
from reports.document import Document
from reports.load import LoadedPlan
from reports.loan import loan_report
from reports.loan_doc import loan_document
from reports.render import to_html, to_json
from reports.render import write as write_file
from reports.verify import Window, month_window

from .mv import context, month_of

__all__ = [
    "KINDS",
    "ReportDocument",
    "check_output",
    "render",
    "report_document",
    "stamp_approval",
    "write",
]

logger = logging.getLogger(__name__)

Kind = Literal["loan", "audit", "consumption"]
KINDS: tuple[Kind, ...] = ("loan", "audit", "consumption")


@dataclass(frozen=True, slots=True)
class ReportDocument:
    """A built report: the document, its kind, period label and the plan date it used."""

    kind: Kind
    period: str  # the month / week label, or "to the data's end" for an audit without one
    as_of: date | None  # the plan version in force on this day was used (None: the latest)
    document: Document

    @property
    def summary(self) -> str:
        return self.document.summary


def _period(period: str | date | Window) -> Window:
    if isinstance(period, Window):
        return period
    return month_window(period) if isinstance(period, date) else parse_period(period)


def _window(start: date, end: date) -> str:
    return _("{start} to {end} (exclusive)").format(start=start, end=end)


def report_document(
    kind: Kind,
    loaded: LoadedPlan,
    store: SeriesStore,
    period: str | date | Window | None = None,
    *,
    loan_id: str | None = None,
    locale: str | None = None,
) -> ReportDocument:
    """Build the ``kind`` report of the plan over ``store`` (see the module for the defaults),
    its texts and figures in ``locale`` (default: the site's ``site.locale``; JSON keys and the
    unformatted figures stay as they are)."""
    with use_locale(locale or loaded.site.site.locale):
        return _build(kind, loaded, store, period, loan_id)


def _build(
    kind: Kind,
    loaded: LoadedPlan,
    store: SeriesStore,
    period: str | date | Window | None,
    loan_id: str | None,
) -> ReportDocument:
    if kind == "loan":
        if loan_id is None or period is None:
            raise ConfigError("a loan report needs the loan id and a month (YYYY-MM)")
        w = month_of(period) if not isinstance(period, Window) else period
        if w.kind != "month":
            raise ConfigError(f"period {w.label}: a loan report covers a calendar month (YYYY-MM)")
        as_of = w.end - timedelta(days=1)
        with context(loaded, store, as_of) as ctx:
            check_in_plan(w, ctx.plan)
            doc = loan_document(
                loan_report(ctx, loan_id, w.start),
                ctx.meta(_window(ctx.plan.baseline.start, w.end)),
                ctx.plan.loan(loan_id).currency,
            )
            stamp_approval(doc, ctx)
        return ReportDocument(kind, w.label, as_of, doc)
    if kind == "audit":
        month = (
            None
            if period is None
            else (month_of(period) if not isinstance(period, Window) else period)
        )
        if month is not None and month.kind != "month":
            raise ConfigError(
                f"period {month.label}: an audit runs to the end of a calendar month (YYYY-MM)"
            )
        with context(loaded, store, month.end if month else date.max) as ctx:
            if month is not None:
                check_in_plan(month, ctx.plan)
            end = month.end if month is not None else audit_data_end(ctx)
            doc = audit_document(
                audit_report(ctx, end),
                ctx.meta(_window(ctx.plan.baseline.start, end)),
                ctx.plan.currency,
                loaded.site.site.id,
            )
            stamp_approval(doc, ctx)
        return ReportDocument(
            kind, month.label if month else f"to {end}", month.end if month else None, doc
        )
    if kind == "consumption":
        if period is None:
            raise ConfigError("a consumption report needs a period: YYYY-MM or YYYY-Www")
        w = _period(period)
        as_of = w.end - timedelta(days=1)
        with context(loaded, store, as_of) as ctx:
            check_in_plan(w, ctx.plan)
            doc = consumption_document(
                consumption_report(ctx, w),
                ctx.meta(_window(w.start, w.end)),
                ctx.plan.currency,
                loaded.site.site.id,
            )
            stamp_approval(doc, ctx)
        return ReportDocument(kind, w.label, as_of, doc)
    raise ConfigError(f"report kind {kind!r}: choose one of {', '.join(KINDS)}")


def render(doc: Document, fmt: Literal["json", "html"]) -> str:
    """The document as JSON (every number) or self-contained HTML text."""
    if fmt == "json":
        return to_json(doc)
    if fmt == "html":
        return to_html(doc)
    raise ConfigError(f"format {fmt!r}: render gives 'json' or 'html' (write() also makes PDF)")


def write(doc: Document, path: str | Path) -> Path:
    """Write the document as .pdf, .html or .json (by the suffix)."""
    return write_file(doc, path)
