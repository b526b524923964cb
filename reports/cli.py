"""``plantmeter report loan|audit|consumption|plan``: build a report and write PDF/HTML/JSON."""

from __future__ import annotations

import argparse
import logging
from datetime import date, timedelta
from typing import Any

__all__ = ["register"]

logger = logging.getLogger(__name__)


def _quiet() -> None:
    logging.getLogger("fontTools").setLevel(logging.WARNING)  # PDF font subsetting chatter


def _loan(args: argparse.Namespace) -> int:
    _quiet()
    from .common import check_in_plan, check_output, parse_month, report_context
    from .load import load_plan
    from .loan import loan_report
    from .loan_doc import loan_document
    from .render import write

    check_output(args.out)
    w = parse_month(args.period)
    loaded = load_plan(args.plan)
    with report_context(loaded, w.end - timedelta(days=1)) as ctx:
        check_in_plan(w, ctx.plan)
        report = loan_report(ctx, args.loan_id, w.start)
        doc = loan_document(
            report,
            ctx.meta(f"{ctx.plan.baseline.start} to {w.end} (exclusive)"),
            ctx.plan.loan(args.loan_id).currency,
        )
    print(doc.summary)
    write(doc, args.out)
    return 0


def _audit(args: argparse.Namespace) -> int:
    _quiet()
    from .audit import audit_data_end, audit_document, audit_report
    from .common import check_in_plan, check_output, parse_month, report_context
    from .load import load_plan
    from .render import write

    check_output(args.out)
    month = parse_month(args.period) if args.period else None
    loaded = load_plan(args.plan)
    if loaded.site.site.id != args.site:
        from plantmeter.errors import ConfigError

        raise ConfigError(
            f"plan {args.plan} is for site {loaded.site.site.id!r}, not {args.site!r}"
        )
    as_of = month.end if month else None
    with report_context(loaded, as_of or date.max) as ctx:
        if month is not None:
            check_in_plan(month, ctx.plan)
        if as_of is None:
            as_of = audit_data_end(ctx)
        r = audit_report(ctx, as_of)
        doc = audit_document(
            r,
            ctx.meta(f"{ctx.plan.baseline.start} to {as_of} (exclusive)"),
            ctx.plan.currency,
            args.site,
        )
    print(doc.summary)
    write(doc, args.out)
    return 0


def _consumption(args: argparse.Namespace) -> int:
    _quiet()
    from .common import check_in_plan, check_output, parse_period, report_context
    from .consumption import consumption_report
    from .consumption_doc import consumption_document
    from .load import load_plan
    from .render import write

    check_output(args.out)
    w = parse_period(args.period)
    loaded = load_plan(args.plan)
    with report_context(loaded, w.end - timedelta(days=1)) as ctx:
        check_in_plan(w, ctx.plan)
        r = consumption_report(ctx, w)
        doc = consumption_document(
            r, ctx.meta(f"{w.start} to {w.end} (exclusive)"), ctx.plan.currency, loaded.site.site.id
        )
    print(doc.summary)
    write(doc, args.out)
    return 0


def _plan(args: argparse.Namespace) -> int:
    from plantmeter.yamlconf import read_yaml

    from .load import load_plan, plan_digest

    loaded = load_plan(args.plan)
    raw, _ = read_yaml(loaded.path)
    print(loaded.as_of(None)[1].describe())
    print(f"digest of the plan body: {plan_digest(raw)}")
    return 0


def register(subparsers: Any) -> None:
    """Add ``report`` with its sub-commands to the ``plantmeter`` parser."""
    p = subparsers.add_parser(
        "report", help="M&V reports: loan monitoring, option audit, consumption"
    )
    sub = p.add_subparsers(dest="report", metavar="REPORT", required=True)
    out_help = "output file: .pdf, .html (.htm) or .json, chosen by the extension"
    loan = sub.add_parser("loan", help="loan monitoring report for one month")
    loan.add_argument("loan_id")
    loan.add_argument("--plan", required=True, help="the site's M&V plan (mv-plan.yaml)")
    loan.add_argument(
        "--period", required=True, help="YYYY-MM, a month within the loan term and the plan"
    )
    loan.add_argument("--out", required=True, help=out_help)
    loan.set_defaults(func=_loan)
    audit = sub.add_parser("audit", help="cleaner-production option audit")
    audit.add_argument("site", help="site id (checked against the plan's site config)")
    audit.add_argument("--plan", required=True)
    audit.add_argument("--period", help="audit up to the end of YYYY-MM (default: the data's end)")
    audit.add_argument("--out", required=True, help=out_help)
    audit.set_defaults(func=_audit)
    cons = sub.add_parser("consumption", help="consumption report for a week or a month")
    cons.add_argument("--plan", required=True)
    cons.add_argument("--period", required=True, help="YYYY-MM or YYYY-Www (ISO week)")
    cons.add_argument("--out", required=True, help=out_help)
    cons.set_defaults(func=_consumption)
    plan = sub.add_parser("plan", help="validate a plan; print its version and digest")
    plan.add_argument("plan")
    plan.set_defaults(func=_plan)
