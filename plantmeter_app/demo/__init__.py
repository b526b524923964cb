"""``plantmeter demo``: the whole product on one machine, on the example dairy.

One module per job: ``prepare`` (the demo's scenario, the history generated and imported, the
plan approved), ``history`` (the windows and their import), ``sitefile`` (the demo's own site
and plan files), ``accounts`` (the demo users), ``chain`` (simulator, broker, gateway, ingest),
``children`` (the dashboard and alert service processes), ``web`` (the dashboard with the mail
page), ``mail`` (the SMTP sink), ``paths`` (the data directory and its state), ``run`` (all of
it in order). Like ``plantmeter_app.cli`` this package is a composition root.
"""

from __future__ import annotations

import argparse
import importlib.resources
from pathlib import Path

from plantmeter.i18n import _

__all__ = ["EXAMPLE", "example_dir", "register"]


def example_dir(name: str = "dairy") -> Path:
    """The folder of the example site ``name`` (its site, scenario and M&V plan files).

    One real location, ``examples/`` at the top of the repository, which the wheel ships as
    ``plantmeter_app/examples`` (pyproject.toml ``package-dir``): found there with
    importlib.resources when installed, else in the clone this module runs from.
    """
    packaged = importlib.resources.files("plantmeter_app") / "examples" / name
    if isinstance(packaged, Path) and packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "examples" / name


EXAMPLE = example_dir()


def _seconds(text: str) -> float:
    from plantmeter.durations import parse_duration

    try:
        return float(text)  # plain seconds
    except ValueError:
        pass
    try:
        return float(parse_duration(text))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            _("{value}: {error}; write e.g. 30s, 3m or 1h").format(value=repr(text), error=exc)
        ) from None


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser(
        "demo",
        help=_("the whole product on the example dairy: history, live meters, dashboard, alerts"),
        description=_(
            "Generate the example dairy's history with the simulator (the M&V baseline year, "
            "then the months with its cleaner-production options) and import it, approve its M&V plan, "
            "then run the plant live: the simulated meters over Modbus TCP, the gateway, an embedded "
            "MQTT broker, ingest into SQLite, the alert service (its e-mails kept by a local mail sink) "
            "and the dashboard, with the users admin, manager, lender and auditor (password: "
            "$PLANTMETER_PASSWORD, else a random one, printed). Ctrl-C stops everything; a second run "
            "with the same --data-dir resumes. Needs the 'demo' extra: pip install 'plantmeter[demo]'."
        ),
    )
    p.add_argument("--port", type=int, default=8000, help=_("the dashboard's port (default 8000); "
                   "everything else takes free ports"))  # fmt: skip
    p.add_argument(
        "--data-dir", type=Path, default=Path("var"),
        help=_("where the store, users, alert ledger, plan approval and the demo's state are kept "
        "(default var/ under the current directory); a second run resumes from it"),
    )  # fmt: skip
    p.add_argument(
        "--store", default=None,
        help=_("store URL instead of SQLite in the data directory, e.g. influxdb://127.0.0.1:8086/plantmeter "
        "(default: PLANTMETER_STORE_URL, else DATA_DIR/dairy.db)"),
    )  # fmt: skip
    p.add_argument(
        "--broker",
        default=None,
        help=_("a real MQTT broker instead of the embedded one, e.g. mqtt://127.0.0.1:1883"),
    )
    p.add_argument(
        "--speed", type=float, default=1.0,
        help=_("simulated seconds per real second for the live meters (default 1: they keep the wall clock)"),
    )  # fmt: skip
    p.add_argument(
        "--poll", type=float, default=None,
        help=_("seconds between polls of every meter (default: the site file's, 10 s to 60 s; the "
        "simulated loads change once a minute, so polls much faster than 10 s look like a stuck meter)"),
    )  # fmt: skip
    p.add_argument(
        "--duration", type=_seconds, default=None,
        help=_("stop after this long live (e.g. 90s; default: Ctrl-C)"),
    )  # fmt: skip
    p.add_argument(
        "--history-months", type=float, default=None, metavar="N",
        help=_("only the baseline year and the last N months (default: everything from the baseline year on)"),
    )  # fmt: skip
    p.add_argument(
        "--history-interval", type=_seconds, default=3600.0, metavar="DURATION",
        help=_("readings of the history every DURATION (default 1h; the newest week every 15 min)"),
    )  # fmt: skip
    p.add_argument(
        "--alerts-every", type=_seconds, default=30.0, metavar="DURATION",
        help=_("how often the alert service evaluates (default 30s)"),
    )  # fmt: skip
    p.add_argument(
        "--anomaly-after", type=_seconds, default=180.0, metavar="DURATION",
        help=_("when the live anomaly starts (default 3m)"),
    )  # fmt: skip
    p.add_argument(
        "--lang",
        default=None,
        metavar="es|pt_BR|en",
        help=_(
            "the demo plant's language: its reports and e-mails (site.locale: es is es_GT, as the "
            "dairy is in Guatemala) and the demo users' pages (default: the example's English, and "
            "each browser's language on the dashboard)"
        ),
    )
    p.add_argument(
        "--chain-only", action="store_true",
        help=_("only the live data path: simulator, gateway, broker, ingest (no history, dashboard or "
        "alerts; needs only the 'demo' extra's broker)"),
    )  # fmt: skip
    p.add_argument("--no-progress", action="store_true", help=_("no progress bars"))
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from .run import DemoOptions, run

    return run(
        DemoOptions(
            example=EXAMPLE,
            data_dir=args.data_dir,
            port=args.port,
            store=args.store,
            broker=args.broker,
            speed=args.speed,
            poll=args.poll,
            duration=args.duration,
            history_interval=args.history_interval,
            history_months=args.history_months,
            alerts_every=args.alerts_every,
            anomaly_after=args.anomaly_after,
            lang=args.lang,
            chain_only=args.chain_only,
            log_level=args.log_level,
            progress=not args.no_progress,
        )
    )
