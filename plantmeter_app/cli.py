"""The ``plantmeter`` command: one entry point, a subcommand per job.

Each job's subcommands live in ``plantmeter_app.commands.<job>`` (``register(subparsers)``);
heavy imports happen inside the commands, so ``plantmeter --help`` is instant. This package is
the composition root: the only one that imports every other package.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence

from plantmeter.errors import PlantMeterError
from plantmeter.i18n import _, use_locale

from .extras import missing_extra_message
from .language import cli_locale, install_argparse_translations

__all__ = ["build_parser", "main"]

logger = logging.getLogger("plantmeter")

# Packages whose cli module adds subcommands, in the order of the data flow.
COMMAND_MODULES = [
    "plantmeter_app.commands.sim",
    "plantmeter_app.commands.gateway",
    "plantmeter_app.commands.ingest",
    "plantmeter_app.commands.analytics",
    "plantmeter_app.commands.reports",
    "plantmeter_app.commands.dashboard",
    "plantmeter_app.commands.alerts",
    "plantmeter_app.commands.portfolio",
    "plantmeter_app.demo",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="plantmeter",
        description=_(
            "Meter a plant's energy and water over Modbus, store every reading, and verify "
            "cleaner-production savings. Start with `plantmeter demo`."
        ),
    )
    parser.add_argument(
        "--log-level",
        default="INFO",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help=_("how much the command logs (default INFO)"),
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue  # a package that has no commands yet
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command in the language of the environment (``language.cli_locale``): its help,
    argparse's words, progress lines and errors; reports keep their own ``--lang``."""
    install_argparse_translations()
    with use_locale(cli_locale(os.environ)):
        return _main(argv)


def _main(argv: Sequence[str] | None) -> int:
    from .runtime import configure_logging

    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    configure_logging(args.log_level)
    try:
        return int(args.func(args) or 0)
    except PlantMeterError as exc:
        print(
            _("plantmeter {command}: {message}").format(command=args.command, message=exc),
            file=sys.stderr,
        )
        return 2
    except ModuleNotFoundError as exc:  # an optional part that this install left out
        message = missing_extra_message(exc)
        if message is None:
            raise
        print(
            _("plantmeter {command}: {message}").format(command=args.command, message=message),
            file=sys.stderr,
        )
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
