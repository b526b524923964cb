"""``plantmeter alerts SITE.yaml [--plan PLAN.yaml] [--once] [--dry-run]``: the alert service.

``--once`` evaluates the site once (``alerts.evaluate``: flags over the data since the last
evaluation in the ledger, offline meters), sends what is due (``alerts.dispatch``) and exits:
a cron job or a systemd timer. Without it the same runs every ``--every`` (5 min) until
SIGINT/SIGTERM. ``--dry-run`` prints what would be recorded and sent and changes nothing in
the ledger (the flags computed are stored beside the readings, as ``plantmeter flags`` does).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from plantmeter.durations import format_duration, parse_duration
from plantmeter.errors import ConfigError
from plantmeter.i18n import _, format_number

__all__ = ["cmd_alerts", "register"]

logger = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser(
        "alerts",
        help=_(
            "tell people when something is wrong: one e-mail per fault (alerts: in the site file)"
        ),
        description=_(
            "Evaluate the site's flags over the data since the last evaluation, the meters' "
            "freshness and the gateway's and ingest's status topics; group what one fault causes into one "
            "incident; record its opening, reminders and closing in the ledger (DATA_DIR/alerts.db) and "
            "send them through the channels of the site file's alerts: section (e-mail, webhook, MQTT). "
            "A notice is recorded before it is sent: a restart repeats nothing, a channel that is down is "
            "retried with backoff. See alerts/README.md."
        ),
    )
    p.add_argument("site", type=Path, help=_("site YAML with an alerts: section"))
    p.add_argument(
        "--plan",
        type=Path,
        help=_("M&V plan YAML: judge against its baseline, value excess at its tariff"),
    )
    p.add_argument(
        "--once", action="store_true", help=_("evaluate and send once, then exit (cron)")
    )
    p.add_argument(
        "--dry-run",
        action="store_true",
        help=_("print what would be sent; record and send nothing"),
    )
    p.add_argument(
        "--every", default="5m", help=_("how often the long-running service evaluates (5m)")
    )
    p.add_argument(
        "--data-dir", type=Path, default=None,
        help=_("where alerts.db is kept and users.db (acknowledgements) is read "
        "($PLANTMETER_DATA_DIR, else $XDG_DATA_HOME/plantmeter)"),
    )  # fmt: skip
    p.add_argument("--now", help=argparse.SUPPRESS)  # evaluate as of this instant (replays, tests)
    p.set_defaults(func=cmd_alerts)


def _data_dir(given: Path | None) -> Path:
    from dashboard.settings import default_data_dir  # the one rule for DATA_DIR (pydantic only)

    return given if given is not None else default_data_dir()


def cmd_alerts(args: argparse.Namespace) -> int:
    from plantmeter.config import ENV_SMTP_URL, load_site
    from reports.load import load_plan

    site = load_site(args.site)
    if site.alerts is None:
        raise ConfigError(
            _(
                "{site}: no alerts: section; add one with email and rules (see alerts/README.md)"
            ).format(site=args.site)
        )
    if site.alerts.email is None and os.environ.get(ENV_SMTP_URL):
        raise ConfigError(
            _(
                "{variable} is set but {site} has no alerts.email section; add "
                'email: {{from: "plantmeter@example.org"}} (the variable then gives the server)'
            ).format(variable=ENV_SMTP_URL, site=args.site)
        )
    loaded = load_plan(args.plan) if args.plan is not None else None
    if loaded is not None and loaded.site.site.id != site.site.id:
        raise ConfigError(
            _("--plan {plan} is for site {site}, not {given}; give that site's plan").format(
                plan=args.plan, site=repr(loaded.site.site.id), given=repr(site.site.id)
            )
        )
    every = parse_duration(args.every)
    if every < 10:
        raise ConfigError(
            _("--every {value}: evaluate at most every 10s (e.g. 5m)").format(value=args.every)
        )
    data_dir = _data_dir(args.data_dir)
    if args.once or args.dry_run:
        return _round(args, site, loaded, data_dir)
    from plantmeter_app.runtime import run_until_signal

    async def service(stop: asyncio.Event) -> None:
        logger.info(
            _("alerts for site {site} every {every} (Ctrl-C stops)").format(
                site=site.site.id, every=format_duration(every)
            )
        )
        while not stop.is_set():
            try:
                await asyncio.to_thread(_round, args, site, loaded, data_dir)
            except Exception:  # one bad round (store away, disk full) never stops the service
                logger.exception(
                    _("alert round failed; next in {every}").format(every=format_duration(every))
                )
            try:
                await asyncio.wait_for(stop.wait(), timeout=every)
            except TimeoutError:
                pass
        logger.info(_("alerts stopped"))

    run_until_signal(service)
    return 0


def _round(args: argparse.Namespace, site: Any, loaded: Any, data_dir: Path) -> int:
    from alerts import Ledger, dispatch, evaluate, site_channels
    from alerts.schedule import record_reports
    from plantmeter.times import parse_time
    from plantmeter_app.runtime import existing_store
    from services.accounts import AccountStore

    tz = site.site.timezone
    now = parse_time(args.now, tz, "--now").to_pydatetime() if args.now else datetime.now(UTC)
    users_db = data_dir / "users.db"
    accounts = AccountStore(users_db) if users_db.exists() else None
    channels = site_channels(site)
    try:
        with (
            existing_store(loaded.store_url if loaded is not None else site.store.url) as store,
            Ledger(data_dir / "alerts.db") as ledger,
        ):
            result = evaluate(
                store, site, ledger, accounts=accounts, plan=loaded, now=now,
                base_dir=None if loaded is not None else Path(args.site).parent,
                record=not args.dry_run,
            )  # fmt: skip
            reports = []
            if loaded is not None and accounts is not None:
                reports = record_reports(
                    ledger, loaded, store, accounts, site.alerts, now, data_dir / "reports",
                    record=not args.dry_run,
                )  # fmt: skip
            if args.dry_run:
                _print_plan(result, ledger, now)
                for d, notice in reports:
                    print(
                        _("would send report email to {recipient}: {subject}").format(
                            recipient=d.recipient, subject=notice.payload["subject"]
                        )
                    )
                return 0
            sent = dispatch(ledger, channels, now=now)
            waiting = len(ledger.due(2**62))
            if site.alerts.mqtt:
                _publish(ledger, site, now)
    finally:
        if accounts is not None:
            accounts.close()
    opened = sum(1 for c in result.changes if c.action == "open" and c.notify)
    closed = sum(1 for c in result.changes if c.action == "close")
    summary = _(
        "site {site}: {opened} opened, {closed} closed; {sent} notices sent, {waiting} waiting"
    ).format(
        site=site.site.id,
        opened=format_number(opened),
        closed=format_number(closed),
        sent=format_number(len(sent.sent)),
        waiting=format_number(waiting),
    )
    print(summary + (f" ({sent.failed[0][1]})" if sent.failed else ""), file=sys.stderr)
    return 0


def _publish(ledger: Any, site: Any, now: datetime) -> None:
    from alerts import ChannelError
    from alerts.topic import MqttPublisher, publish_state

    publisher = MqttPublisher(site.broker, f"plantmeter-alerts-{site.site.id}")
    try:
        publish_state(
            ledger, site.site.id, publisher, int(now.timestamp() * 1000),
            discovery=site.gateway.homeassistant_discovery,
        )  # fmt: skip
    except ChannelError as exc:  # the state is recomputed next round: nothing is lost
        logger.error(_("alert topic not published ({error}); next round retries").format(error=exc))


def _print_plan(result: Any, ledger: Any, now: datetime) -> None:
    planned = list(result.notices)
    for event, notice in planned:
        print(
            _("would send {event} {channel} to {recipient}: {subject}").format(
                event=event,
                channel=notice.channel,
                recipient=notice.recipient,
                subject=notice.payload["subject"],
            )
        )
        print("    " + str(notice.payload["text"]).rstrip().replace("\n", "\n    "))
    due = ledger.due(int(now.timestamp() * 1000))
    for item in due:
        print(
            _("would retry {event} {channel} to {recipient}: {subject}").format(
                event=item.event,
                channel=item.channel,
                recipient=item.recipient,
                subject=item.payload["subject"],
            )
        )
    if not planned and not due:
        print(_("nothing to send"), file=sys.stderr)
