"""``plantmeter report loan|audit|consumption|plan``: build a report and write PDF/HTML/JSON.

``plantmeter plan approve|show``: pin a plan's baselines and record who approved what.
"""

from __future__ import annotations

import argparse
import logging
from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from services.documents import Kind

__all__ = ["register"]

logger = logging.getLogger(__name__)


def _quiet() -> None:
    logging.getLogger("fontTools").setLevel(logging.WARNING)  # PDF font subsetting chatter


def _report(
    args: argparse.Namespace, kind: Kind, period: str | None, loan_id: str | None = None
) -> int:
    """Build the ``kind`` report with the service layer (which holds every default: the plan
    version in force, the data window) over the plan's store, opened read-only here."""
    _quiet()
    from plantmeter_app.runtime import plan_store
    from reports.load import load_plan
    from services import check_output, report_document, write

    check_output(args.out)  # before anything is read
    locale = _lang(getattr(args, "lang", None))  # callers building a Namespace may omit it
    loaded = load_plan(args.plan)
    site = getattr(args, "site", None)
    if site is not None and loaded.site.site.id != site:
        from plantmeter.errors import ConfigError

        raise ConfigError(f"plan {args.plan} is for site {loaded.site.site.id!r}, not {site!r}")
    with plan_store(loaded) as store:
        built = report_document(kind, loaded, store, period, loan_id=loan_id, locale=locale)
    print(built.summary)
    write(built.document, args.out)
    return 0


def _lang(value: str | None) -> str | None:
    """``--lang`` as a full locale (es_GT, pt_BR, en), or a ConfigError naming the fix."""
    if value is None:
        return None
    from plantmeter.errors import ConfigError
    from plantmeter.i18n import check_locale

    try:
        return check_locale(value)
    except ValueError as exc:
        raise ConfigError(f"--lang {value}: {exc}") from None


def _loan(args: argparse.Namespace) -> int:
    return _report(args, "loan", args.period, args.loan_id)


def _audit(args: argparse.Namespace) -> int:
    return _report(args, "audit", args.period)


def _consumption(args: argparse.Namespace) -> int:
    return _report(args, "consumption", args.period)


def _plan(args: argparse.Namespace) -> int:
    from reports.load import load_plan

    loaded = load_plan(args.plan)
    print(loaded.as_of(None)[1].describe())
    print(f"digest of the plan body: {loaded.digest}")
    if loaded.record is not None:
        print(f"approval record {loaded.record.path}: head {loaded.record.head}")
        for i, e in enumerate(loaded.record.entries, 1):
            what = (
                f"version {e['version']} approved {e['date']}"
                if e["kind"] == "approval"
                else f"{e['kind']} {e['item']} of {e['item_date']} approved"
            )
            fits = ", ".join(sorted(e.get("fits") or {}))
            print(
                f"  {i}. {what} by {e['by']} (recorded {e['recorded_at']})"
                + (f"; pinned baselines: {fits}" if fits else "")
            )
    for p in loaded.pending:
        print(f"pending: {p}")
    return 0


def _approve(args: argparse.Namespace) -> int:
    from plantmeter.errors import ConfigError
    from plantmeter_app.runtime import plan_store
    from reports.approval import approve
    from reports.load import load_plan

    loaded = load_plan(args.plan)
    try:
        day = date.fromisoformat(args.date) if args.date else None
    except ValueError:
        raise ConfigError(f"--date {args.date!r}: write the agreed date as YYYY-MM-DD") from None
    with plan_store(loaded) as store:
        new = approve(loaded, store, args.by, day)
    for e in new:
        fits = e.get("fits") or {}
        what = (
            f"version {e['version']} of plan {loaded.base.id} approved {e['date']}"
            if e["kind"] == "approval"
            else f"{e['kind']} {e['item']} ({e['item_date']}: {e['reason']}) approved"
        )
        print(f"{what} by {e['by']}")
        for m, f in fits.items():
            st = f["statistics"]
            print(
                f"  pinned {m}: {f['model']['summary']['type']}, CV(RMSE) {st['cvrmse']:.1%}, "
                f"NMBE {st['nmbe']:.2%}, R² {st['r2']:.3f}, n {st['n']}; "
                f"{f['readings']['count']:,} readings {f['readings']['digest']}"
            )
    from reports.record import approval_path

    print(f"approval record head {new[-1]['digest']} written to {approval_path(loaded.path)}")
    return 0


def register(subparsers: Any) -> None:
    """Add ``report`` with its sub-commands to the ``plantmeter`` parser."""
    p = subparsers.add_parser(
        "report", help="M&V reports: loan monitoring, option audit, consumption"
    )
    sub = p.add_subparsers(dest="report", metavar="REPORT", required=True)
    lang_help = (
        "language and number format: es_GT, es_MX, es_CO, pt_BR, en (default: the site's "
        "site.locale)"
    )
    out_help = "output file: .pdf, .html (.htm) or .json, chosen by the extension"
    loan = sub.add_parser("loan", help="loan monitoring report for one month")
    loan.add_argument("loan_id")
    loan.add_argument("--plan", required=True, help="the site's M&V plan (mv-plan.yaml)")
    loan.add_argument(
        "--period", required=True, help="YYYY-MM, a month within the loan term and the plan"
    )
    loan.add_argument("--out", required=True, help=out_help)
    loan.add_argument("--lang", help=lang_help)
    loan.set_defaults(func=_loan)
    audit = sub.add_parser("audit", help="cleaner-production option audit")
    audit.add_argument("site", help="site id (checked against the plan's site config)")
    audit.add_argument("--plan", required=True)
    audit.add_argument("--period", help="audit up to the end of YYYY-MM (default: the data's end)")
    audit.add_argument("--out", required=True, help=out_help)
    audit.add_argument("--lang", help=lang_help)
    audit.set_defaults(func=_audit)
    cons = sub.add_parser("consumption", help="consumption report for a week or a month")
    cons.add_argument("--plan", required=True)
    cons.add_argument("--period", required=True, help="YYYY-MM or YYYY-Www (ISO week)")
    cons.add_argument("--out", required=True, help=out_help)
    cons.add_argument("--lang", help=lang_help)
    cons.set_defaults(func=_consumption)
    plan = sub.add_parser("plan", help="validate a plan; print its version and digest")
    plan.add_argument("plan")
    plan.set_defaults(func=_plan)
    _register_plan(subparsers)


def _register_plan(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "plan", help="M&V plan: approve (pin the baselines) and show the approval record"
    )
    sub = p.add_subparsers(dest="plan_command", metavar="ACTION", required=True)
    ap = sub.add_parser(
        "approve",
        help="fit and pin every baseline, record who approved the plan (or its new amendments "
        "and adjustments) in PLAN.approved.json",
    )
    ap.add_argument("plan", help="the site's M&V plan (mv-plan.yaml)")
    ap.add_argument("--by", required=True, help="who approves: names and roles of the signatories")
    ap.add_argument(
        "--date", help="the agreed date, YYYY-MM-DD (default: today; only for the plan itself)"
    )
    ap.set_defaults(func=_approve)
    show = sub.add_parser("show", help="validate a plan; print its version, digest and approvals")
    show.add_argument("plan")
    show.set_defaults(func=_plan)
