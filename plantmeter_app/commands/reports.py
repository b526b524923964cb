"""``plantmeter report loan|audit|consumption|plan``: build a report and write PDF/HTML/JSON.

``plantmeter plan approve|show``: pin a plan's baselines and record who approved what.
"""

from __future__ import annotations

import argparse
import logging
from datetime import date
from typing import TYPE_CHECKING, Any

from plantmeter.i18n import _, format_number, format_percent

from ..language import lang_option

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
    locale = lang_option(getattr(args, "lang", None))  # callers building a Namespace may omit it
    loaded = load_plan(args.plan)
    site = getattr(args, "site", None)
    if site is not None and loaded.site.site.id != site:
        from plantmeter.errors import ConfigError

        raise ConfigError(
            _("plan {plan} is for site {site}, not {given}").format(
                plan=args.plan, site=repr(loaded.site.site.id), given=repr(site)
            )
        )
    with plan_store(loaded) as store:
        built = report_document(kind, loaded, store, period, loan_id=loan_id, locale=locale)
    print(built.summary)
    write(built.document, args.out)
    return 0


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
    print(_("digest of the plan body: {digest}").format(digest=loaded.digest))
    if loaded.record is not None:
        print(
            _("approval record {path}: head {head}").format(
                path=loaded.record.path, head=loaded.record.head
            )
        )
        for i, e in enumerate(loaded.record.entries, 1):
            what = (
                _("version {version} approved {date}").format(version=e["version"], date=e["date"])
                if e["kind"] == "approval"
                else _("{kind} {item} of {date} approved").format(
                    kind=e["kind"], item=e["item"], date=e["item_date"]
                )
            )
            fits = ", ".join(sorted(e.get("fits") or {}))
            line = _("{n}. {what} by {by} (recorded {recorded})").format(
                n=i, what=what, by=e["by"], recorded=e["recorded_at"]
            )
            if fits:
                line += "; " + _("pinned baselines: {meters}").format(meters=fits)
            print("  " + line)
    for p in loaded.pending:
        print(_("pending: {item}").format(item=p))
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
        raise ConfigError(
            _("--date {value}: write the agreed date as YYYY-MM-DD").format(value=repr(args.date))
        ) from None
    with plan_store(loaded) as store:
        new = approve(loaded, store, args.by, day)
    for e in new:
        fits = e.get("fits") or {}
        what = (
            _("version {version} of plan {plan} approved {date}").format(
                version=e["version"], plan=loaded.base.id, date=e["date"]
            )
            if e["kind"] == "approval"
            else _("{kind} {item} ({date}: {reason}) approved").format(
                kind=e["kind"], item=e["item"], date=e["item_date"], reason=e["reason"]
            )
        )
        print(_("{what} by {by}").format(what=what, by=e["by"]))
        for m, f in fits.items():
            st = f["statistics"]
            print(
                "  "
                + _(
                    "pinned {meter}: {model}, CV(RMSE) {cvrmse}, NMBE {nmbe}, R² {r2}, n {n}; "
                    "{count} readings {digest}"
                ).format(
                    meter=m,
                    model=f["model"]["summary"]["type"],
                    cvrmse=format_percent(st["cvrmse"], 1),
                    nmbe=format_percent(st["nmbe"], 2),
                    r2=format_number(st["r2"], 3),
                    n=format_number(st["n"]),
                    count=format_number(f["readings"]["count"]),
                    digest=f["readings"]["digest"],
                )
            )
    from reports.record import approval_path

    print(
        _("approval record head {digest} written to {path}").format(
            digest=new[-1]["digest"], path=approval_path(loaded.path)
        )
    )
    return 0


def register(subparsers: Any) -> None:
    """Add ``report`` with its sub-commands to the ``plantmeter`` parser."""
    p = subparsers.add_parser(
        "report", help=_("M&V reports: loan monitoring, option audit, consumption")
    )
    sub = p.add_subparsers(dest="report", metavar="REPORT", required=True)
    lang_help = _(
        "language and number format: es_GT, es_MX, es_CO, pt_BR, en (default: the site's "
        "site.locale)"
    )
    out_help = _("output file: .pdf, .html (.htm) or .json, chosen by the extension")
    loan = sub.add_parser("loan", help=_("loan monitoring report for one month"))
    loan.add_argument("loan_id", help=_("the loan's id in the plan (loans[].id)"))
    loan.add_argument("--plan", required=True, help=_("the site's M&V plan (mv-plan.yaml)"))
    loan.add_argument(
        "--period", required=True, help=_("YYYY-MM, a month within the loan term and the plan")
    )
    loan.add_argument("--out", required=True, help=out_help)
    loan.add_argument("--lang", help=lang_help)
    loan.set_defaults(func=_loan)
    audit = sub.add_parser("audit", help=_("cleaner-production option audit"))
    audit.add_argument("site", help=_("site id (checked against the plan's site config)"))
    audit.add_argument("--plan", required=True)
    audit.add_argument(
        "--period", help=_("audit up to the end of YYYY-MM (default: the data's end)")
    )
    audit.add_argument("--out", required=True, help=out_help)
    audit.add_argument("--lang", help=lang_help)
    audit.set_defaults(func=_audit)
    cons = sub.add_parser("consumption", help=_("consumption report for a week or a month"))
    cons.add_argument("--plan", required=True)
    cons.add_argument("--period", required=True, help=_("YYYY-MM or YYYY-Www (ISO week)"))
    cons.add_argument("--out", required=True, help=out_help)
    cons.add_argument("--lang", help=lang_help)
    cons.set_defaults(func=_consumption)
    plan = sub.add_parser("plan", help=_("validate a plan; print its version and digest"))
    plan.add_argument("plan", help=_("the M&V plan file (mv-plan.yaml)"))
    plan.set_defaults(func=_plan)
    _register_plan(subparsers)


def _register_plan(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "plan", help=_("M&V plan: approve (pin the baselines) and show the approval record")
    )
    sub = p.add_subparsers(dest="plan_command", metavar="ACTION", required=True)
    ap = sub.add_parser(
        "approve",
        help=_(
            "fit and pin every baseline, record who approved the plan (or its new amendments "
            "and adjustments) in PLAN.approved.json"
        ),
    )
    ap.add_argument("plan", help=_("the site's M&V plan (mv-plan.yaml)"))
    ap.add_argument(
        "--by", required=True, help=_("who approves: names and roles of the signatories")
    )
    ap.add_argument(
        "--date", help=_("the agreed date, YYYY-MM-DD (default: today; only for the plan itself)")
    )
    ap.set_defaults(func=_approve)
    show = sub.add_parser(
        "show", help=_("validate a plan; print its version, digest and approvals")
    )
    show.add_argument("plan", help=_("the M&V plan file (mv-plan.yaml)"))
    show.set_defaults(func=_plan)
