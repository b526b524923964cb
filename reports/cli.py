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
    from .common import parse_period, report_context
    from .load import load_plan
    from .loan import loan_report
    from .loan_doc import loan_document
    from .render import write

    loaded = load_plan(args.plan)
    w = parse_period(args.period)
    with report_context(loaded, w.end - timedelta(days=1)) as ctx:
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
    from .audit import audit_document, audit_report
    from .common import parse_period, report_context
    from .load import load_plan
    from .render import write

    loaded = load_plan(args.plan)
    if loaded.site.site.id != args.site:
        from plantmeter.errors import ConfigError

        raise ConfigError(
            f"plan {args.plan} is for site {loaded.site.site.id!r}, not {args.site!r}"
        )
    as_of = parse_period(args.period).end if args.period else None
    with report_context(loaded, as_of or date.max) as ctx:
        if as_of is None:  # up to the last complete day of data on the options' meters
            meters = {m for o in ctx.plan.options for m in o.meters if o.implemented}
            as_of = min(ctx.data.data_end(m).tz_convert(ctx.data.tz).date() for m in meters)
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
    from .common import parse_period, report_context
    from .consumption import consumption_document, consumption_report
    from .load import load_plan
    from .render import write

    loaded = load_plan(args.plan)
    w = parse_period(args.period)
    with report_context(loaded, w.end - timedelta(days=1)) as ctx:
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
    out_help = "output file: .pdf, .html or .json"
    loan = sub.add_parser("loan", help="loan monitoring report for one month")
    loan.add_argument("loan_id")
    loan.add_argument("--plan", required=True, help="the site's M&V plan (mv-plan.yaml)")
    loan.add_argument("--period", required=True, help="YYYY-MM")
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
