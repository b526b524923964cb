"""``plantmeter sim``: serve a scenario's meters live, or write their history as CSV files."""

from __future__ import annotations

import argparse
import logging
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any

from plantmeter.durations import parse_duration
from plantmeter.errors import SimulatorError
from plantmeter.i18n import _, format_number
from plantmeter.times import TIME_HELP

__all__ = ["register", "run_sim"]

logger = logging.getLogger(__name__)


def register(subparsers: Any) -> None:
    """Add the ``sim`` subcommand to the ``plantmeter`` parser."""
    p = subparsers.add_parser(
        "sim",
        help=_("run the simulated meter bus, or generate a history of its readings"),
        description=_(
            "Serve the scenario's meters over Modbus TCP / RTU-over-TCP until Ctrl-C, or with "
            "--history write one CSV per meter (<meter-id>.csv) and exit."
        ),
    )
    p.add_argument("scenario", type=Path, help=_("scenario YAML (see firmware-sim/README.md)"))
    p.add_argument(
        "--speed", type=float, default=1.0, help=_("simulated seconds per real second (default 1)")
    )
    p.add_argument(
        "--port",
        action="append",
        default=[],
        metavar="BUS=PORT",
        help=_("listen for bus BUS on PORT (0 = any free port); repeatable"),
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument(
        "--start",
        help=_("simulated start time for live mode (default now); {time_help}").format(
            time_help=_(TIME_HELP)
        ),
    )
    p.add_argument(
        "--history",
        metavar="START..END",
        help=_("write readings from START to END; {time_help}").format(time_help=_(TIME_HELP)),
    )
    p.add_argument("--out", type=Path, help=_("directory for the history CSV files"))
    p.add_argument("--interval", default="15m", help=_("history interval (default 15m)"))
    p.add_argument("--seed", type=int, help=_("override the scenario's seed"))
    p.add_argument(
        "--plot-week",
        metavar="START",
        help=_("write docs-style PNG of the week from START to --out"),
    )
    p.set_defaults(func=run_sim)


def _when(text: str, zone: tzinfo = UTC, option: str = "time") -> datetime:
    """A time by the one command-line rule (``plantmeter.times``): naive = local time in ``zone``."""
    from plantmeter.times import parse_time

    result: datetime = parse_time(text, getattr(zone, "key", "UTC"), option).to_pydatetime()
    return result


def _ports(items: list[str]) -> dict[str, int]:
    ports: dict[str, int] = {}
    for item in items:
        bus, sep, port = item.partition("=")
        if not sep or not port.isdigit():
            raise SimulatorError(
                _("--port {item}: write BUS=PORT, e.g. --port board-1=5020").format(item=repr(item))
            )
        ports[bus] = int(port)
    return ports


def run_sim(args: argparse.Namespace) -> int:
    """Entry point of ``plantmeter sim``; returns the exit code."""
    from firmware_sim.scenario import load_scenario

    scenario = load_scenario(args.scenario)
    if args.seed is not None:
        scenario = scenario.model_copy(update={"seed": args.seed})
    if args.plot_week:
        from firmware_sim.plot import plot_week

        out = args.out or Path("docs")
        path = plot_week(
            scenario,
            _when(args.plot_week, scenario.zone, "--plot-week"),
            out / "simulated-week.png",
        )
        print(_("wrote {path}").format(path=path))
        return 0
    if args.history:
        start_text, sep, end_text = args.history.partition("..")
        if not sep:
            raise SimulatorError(_("--history: write START..END, e.g. 2025-01-01..2026-01-01"))
        if args.out is None:
            raise SimulatorError(_("--history needs --out DIR for the CSV files"))
        from firmware_sim.history import generate_history

        paths = generate_history(
            scenario,
            _when(start_text, scenario.zone, "--history"),
            _when(end_text, scenario.zone, "--history"),
            args.out,
            interval=parse_duration(args.interval),
            progress=True,
        )
        for meter, path in paths.items():
            print(f"{meter}: {path}")
        return 0
    return _serve(scenario, args)


def _serve(scenario: Any, args: argparse.Namespace) -> int:
    import asyncio

    from firmware_sim.server import MeterBus

    async def main() -> None:
        bus = MeterBus(
            scenario,
            host=args.host,
            port_overrides=_ports(args.port),
            speed=args.speed,
            start_time=_when(args.start, scenario.zone, "--start") if args.start else None,
        )
        await bus.start()
        logger.info(
            _("simulating {site} from {start} at x{speed}; Ctrl-C to stop").format(
                site=scenario.site.id,
                start=bus.clock.now_datetime().isoformat(),
                speed=format_number(args.speed, 0 if args.speed == int(args.speed) else 2),
            )
        )
        try:
            await asyncio.Event().wait()
        finally:
            await bus.stop()
            logger.info(_("simulator stopped"))

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
    return 0
