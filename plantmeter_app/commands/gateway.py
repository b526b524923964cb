"""``plantmeter gateway SITE.yaml [--dry-run]``."""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from plantmeter.i18n import _

if TYPE_CHECKING:
    from gateway.poller import PollResult
    from gateway.service import Gateway
    from plantmeter.errors import MeterReadError

__all__ = ["register"]

logger = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser(
        "gateway",
        help=_("poll the site's Modbus meters and publish readings over MQTT"),
        description=_(
            "Poll every meter of SITE.yaml on its schedule and publish one reading message "
            "per poll (QoS 1) through an on-disk outbox, so a broker outage loses nothing. "
            "Stop with Ctrl-C. Start with --dry-run to check wiring and profiles."
        ),
    )
    p.add_argument(
        "site", type=Path, help=_("site configuration file (see examples/dairy/site.yaml)")
    )
    p.add_argument(
        "--dry-run",
        action="store_true",
        help=_("poll every meter once, print a table, publish nothing"),
    )
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from gateway.service import Gateway
    from plantmeter.config import load_site
    from plantmeter_app.runtime import run_until_signal

    config = load_site(args.site)
    gateway = Gateway(config, base_dir=Path.cwd())
    if args.dry_run:
        results = asyncio.run(gateway.poll_once())
        print(_table(gateway, results))
        return 0 if all(not isinstance(r, Exception) for r in results.values()) else 1
    run_until_signal(gateway.run)
    return 0


def _table(gateway: Gateway, results: Mapping[str, PollResult | MeterReadError]) -> str:
    """One line per decoded value (or error) per meter, in the profile's order."""
    lines = [f"{_('meter'):<16} {_('quantity'):<30} {_('value'):>16} {_('unit')}"]
    for poller in gateway.pollers:
        result = results[poller.meter.id]
        if isinstance(result, Exception):
            lines.append(f"{poller.meter.id:<16} " + _("ERROR: {error}").format(error=result))
            continue
        for point in poller.profile.points:
            if point.name in result.values:
                lines.append(
                    f"{poller.meter.id:<16} {point.name:<30} {result.values[point.name]:>16.4f} {point.unit}"
                )
        for bad in result.rejected:
            lines.append(
                f"{poller.meter.id:<16} {bad.quantity:<30} {_('rejected'):>16} {bad.reason}"
            )
        for err in result.errors:
            lines.append(f"{poller.meter.id:<16} " + _("ERROR: {error}").format(error=err))
    return "\n".join(lines)
