"""``plantmeter ingest``, ``plantmeter export`` and ``plantmeter import-csv``."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

from plantmeter.errors import IngestError, InputError
from plantmeter.i18n import _, format_number
from plantmeter.times import TIME_HELP

__all__ = ["register"]

logger = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser(
        "ingest",
        help=_("store the readings published over MQTT"),
        description=_(
            "Subscribe to every site's reading messages (shared subscription), validate them, "
            "write them in batches to the store and acknowledge only after the write. Stop with Ctrl-C. "
            "Exits with status 2 if it cannot go on (an unexpected error, a group member died): run it under "
            "a supervisor that restarts it; the broker keeps what was not acknowledged."
        ),
    )
    p.add_argument("site", type=Path, help=_("site configuration file (broker, store, meters)"))
    p.add_argument(
        "--status-interval",
        type=float,
        default=10.0,
        metavar="S",
        help=_(
            "seconds between status messages on plantmeter/_ingest/<client_id>/status (default 10)"
        ),
    )
    p.add_argument(
        "--processes",
        type=int,
        default=1,
        metavar="N",
        help=_(
            "run N ingest processes in the shared-subscription group, client ids "
            "<client_id>-1..N (default 1: one process, client id as configured); keep N stable"
        ),
    )
    p.set_defaults(func=_ingest)

    p = subparsers.add_parser(
        "export",
        help=_("print stored readings as CSV or JSON"),
        description=_(
            "Print a meter's stored readings: CSV with a timestamp column (ISO 8601, UTC) "
            "and one column per quantity, or JSON records. Times: {time_help}."
        ).format(time_help=_(TIME_HELP)),
    )
    p.add_argument("site", type=Path, help=_("site configuration file (its store is read)"))
    p.add_argument("--meter", required=True, help=_("meter id"))
    p.add_argument(
        "--quantity", action="append", help=_("quantity to print (repeatable; default: all)")
    )
    p.add_argument(
        "--start",
        help=_("first timestamp (default: the beginning); {time_help}").format(
            time_help=_(TIME_HELP)
        ),
    )
    p.add_argument(
        "--end",
        help=_("end timestamp, exclusive (default: now); {time_help}").format(
            time_help=_(TIME_HELP)
        ),
    )
    p.add_argument("--format", choices=["csv", "json"], default="csv")
    p.set_defaults(func=_export)

    p = subparsers.add_parser(
        "import-csv",
        help=_("load a meter's readings (or its use per interval) from a CSV file into the store"),
        description=_(
            "Import a CSV (timestamp + one column per quantity) for one meter; idempotent, "
            "so running it twice stores each row once. Timestamps are ISO 8601; without an offset they are "
            "the site's local time (site.timezone). A header may carry the unit (energy_import_total [kWh]), "
            "which must be the profile's. Rows that cannot be read are listed and skipped, the rest is stored "
            "(exit status 1). The whole file is refused, nothing stored (exit status 2), when its values are "
            "implausible for their quantity and unit, when a counter column looks like use per interval (or "
            "the reverse with --interval-use), or when it differs from readings already stored (--replace)."
        ),
    )
    p.add_argument(
        "site",
        type=Path,
        help=_("site configuration file (its store, time zone and the meter's profile)"),
    )
    p.add_argument(
        "csv",
        type=Path,
        help=_("the meter's readings: a utility export or `plantmeter sim --history` output"),
    )
    p.add_argument(
        "--meter", required=True, help=_("the meter id in the site file the data belongs to")
    )
    p.add_argument(
        "--interval-use",
        choices=["start", "end"],
        help=_(
            "the counter columns (energy_import_total, volume_total, ...) hold use per interval, not "
            "cumulative readings: accumulate them into the counter the store keeps, continuing from the "
            "stored counter. The value says what a timestamp marks: the start of its interval or its end"
        ),
    )
    p.add_argument(
        "--interval",
        metavar="DURATION",
        help=_(
            "with --interval-use: the interval length (15m, 1h; default: the most common spacing)"
        ),
    )
    p.add_argument(
        "--ambiguous",
        choices=["refuse", "earliest", "latest", "infer"],
        default="refuse",
        help=_(
            "local times in the hour that happens twice when clocks fall back: refuse the file (default), "
            "take the first pass (earliest, daylight time), the second (latest), or infer from the row order"
        ),
    )
    p.add_argument("--delimiter", help=_("cell separator (default: the header's , ; or tab)"))
    p.add_argument(
        "--dates",
        choices=["iso", "day-first", "month-first"],
        default="iso",
        help=_(
            "timestamps that are not ISO 8601: day-first reads 31/03/2025 14:05 (Latin America, "
            "Europe), month-first 03/31/2025 (default: ISO 8601 only)"
        ),
    )
    p.add_argument(
        "--decimal",
        choices=[".", ","],
        metavar="'.'|','",
        help=_("decimal mark (default: ',' when the numbers carry commas and no points)"),
    )
    p.add_argument(
        "--replace",
        action="store_true",
        help=_("overwrite stored readings that differ from the file's"),
    )
    p.add_argument(
        "--force",
        action="store_true",
        help=_(
            "import values that look implausible for their quantity and unit (README 'Units and ranges'), "
            "or a counter column that looks like use per interval, as they are"
        ),
    )
    p.add_argument("--no-progress", action="store_true", help=_("hide the progress bar"))
    p.set_defaults(func=_import_csv)


def _ingest(args: argparse.Namespace) -> int:
    if args.processes < 1:
        print(_("plantmeter ingest: --processes must be 1 or more"), file=sys.stderr)
        return 2
    if args.processes == 1:
        _run_member(args.site, None, args.status_interval, args.log_level)
        return 0
    # One Python process is CPU-bound well below what Mosquitto and InfluxDB can take; the
    # shared subscription splits the stream, so N members use N cores.
    context = multiprocessing.get_context("spawn")
    members = [
        context.Process(
            target=_run_member,
            args=(args.site, i, args.status_interval, args.log_level),
            name=f"ingest-{i}",
        )
        for i in range(2, args.processes + 1)
    ]
    for member in members:
        member.start()
    stop = threading.Event()
    lost: list[str] = []
    wake_r, wake_w = context.Pipe(duplex=False)  # lets the parent wake the watcher at shutdown

    def watch() -> None:  # a member that dies takes its in-flight share with it: stop them all
        from multiprocessing.connection import wait

        ready = wait([m.sentinel for m in members] + [wake_r])
        dead = next((m for m in members if m.sentinel in ready), None)
        if dead is not None and not stop.is_set():
            dead.join(5)  # the sentinel closes a moment before the exit status can be read
            if dead.exitcode == 0:  # stopped cleanly (SIGTERM to the whole group, as systemd does)
                logger.info(
                    _("ingest member {name} stopped; stopping the others").format(name=dead.name)
                )
            else:
                lost.append(
                    _("{name} exited with status {status}").format(
                        name=dead.name, status=dead.exitcode
                    )
                )
                logger.error(
                    _(
                        "ingest member {name} exited (status {status}); stopping all members so "
                        "that they restart together"
                    ).format(name=dead.name, status=dead.exitcode)
                )
            stop.set()

    watcher = threading.Thread(target=watch, name="ingest-members", daemon=True)
    watcher.start()
    try:
        _run_member(args.site, 1, args.status_interval, args.log_level, stop)
    finally:
        stop.set()
        wake_w.send(None)
        for member in members:
            if member.is_alive() and member.pid is not None:
                os.kill(member.pid, signal.SIGTERM)
        for member in members:
            member.join(30)
        watcher.join(5)
    if lost:
        raise IngestError(
            _(
                "{reason}; all members stopped (unacknowledged messages wait in their broker sessions)"
            ).format(reason=lost[0])
        )
    return 0


def _run_member(
    site: Path,
    index: int | None,
    status_interval: float,
    log_level: str = "INFO",
    stop: threading.Event | None = None,
) -> None:
    """One ingest process until SIGINT/SIGTERM (or ``stop``); ``index`` suffixes the client id."""
    from ingest.service import IngestService
    from ingest.stores import open_store
    from plantmeter.config import load_site
    from plantmeter_app.runtime import configure_logging

    if index is not None and index > 1:  # a spawned child: set up its own logging
        configure_logging(log_level)
    config = load_site(site)
    if index is not None:
        ingest = config.ingest.model_copy(
            update={"client_id": f"{config.ingest.client_id}-{index}"}
        )
        config = config.model_copy(update={"ingest": ingest})
    store = open_store(config.store.url)
    service = IngestService(config, store, status_interval=status_interval)
    stop = stop or threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        service.run_forever(stop)
    finally:
        store.close()


def _export(args: argparse.Namespace) -> int:
    """``services.stored_readings`` over the site's store (read-only), printed as CSV or JSON."""
    from plantmeter.config import load_site
    from plantmeter.times import parse_time
    from plantmeter_app.runtime import reading_store
    from services import stored_readings

    config = load_site(args.site)
    tz = config.site.timezone
    start = parse_time(args.start, tz, "--start") if args.start else None
    end = parse_time(args.end, tz, "--end") if args.end else None
    with reading_store(config.store.url) as store:
        frame = stored_readings(
            store, config, args.meter, args.quantity, start, end, base_dir=args.site.parent
        )
    if frame.empty:
        print(
            _("no readings stored for meter {meter} of site {site} in that range").format(
                meter=repr(args.meter), site=repr(config.site.id)
            ),
            file=sys.stderr,
        )
        return 1
    out = frame.copy()
    out.index = out.index.strftime("%Y-%m-%dT%H:%M:%S.%f").str[:-3] + "Z"
    with _stdout_closed_ok():
        if args.format == "csv":
            out.to_csv(sys.stdout, index_label="timestamp", float_format="%.10g")
        else:
            records = [
                {"timestamp": ts} | {k: v for k, v in row.items() if v == v}
                for ts, row in zip(out.index, out.to_dict("records"), strict=True)
            ]
            json.dump(records, sys.stdout, indent=1)
            print()
        sys.stdout.flush()
    return 0


@contextlib.contextmanager
def _stdout_closed_ok() -> Iterator[None]:
    """`plantmeter export ... | head`: the reader leaving is not an error (no BrokenPipe traceback)."""
    try:
        yield
    except BrokenPipeError:
        # Python flushes stdout again at exit; point it at devnull so that flush cannot fail
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def _import_csv(args: argparse.Namespace) -> int:
    import pandas as pd

    from ingest.csv_import import ImportOptions, import_csv
    from ingest.csv_read import CsvDialect
    from ingest.stores import open_store
    from plantmeter.config import load_site
    from plantmeter.durations import parse_duration

    config = load_site(args.site)
    try:
        meter = config.meter(args.meter)
    except KeyError:
        known = ", ".join(m.id for m in config.meters)
        print(
            _("meter {meter} is not in {site}; known: {known}").format(
                meter=repr(args.meter), site=args.site, known=known
            ),
            file=sys.stderr,
        )
        return 2
    profile = config.profile_for(
        meter, args.site.parent
    )  # a profile file is relative to the site file
    # derived quantities (a TUF-2000's volume_total) are columns of the simulator's history too
    units = {p.name: p.unit for p in profile.points} | {d.name: d.unit for d in profile.derived}
    counters = {p.name for p in profile.points if p.kind == "counter"} | {
        d.name for d in profile.derived if d.kind == "counter"
    }
    if args.interval and not args.interval_use:
        raise InputError(
            _("--interval goes with --interval-use (the length of each interval of use)")
        )
    try:
        interval = pd.Timedelta(seconds=parse_duration(args.interval)) if args.interval else None
    except ValueError as exc:
        raise InputError(
            _("--interval {value}: {error}; write e.g. 15m or 1h").format(
                value=repr(args.interval), error=exc
            )
        ) from exc
    options = ImportOptions(
        dialect=CsvDialect(
            args.delimiter.replace("\\t", "\t") if args.delimiter else None,
            args.decimal,
            args.dates,
        ),
        ambiguous=args.ambiguous,
        interval_use=args.interval_use,
        interval=interval,
        replace=args.replace,
        force=args.force,
    )
    store = open_store(config.store.url)
    try:
        report = import_csv(
            store,
            config.site.id,
            meter.id,
            args.csv,
            config.site.timezone,
            units,
            progress=not args.no_progress,
            counters=counters,
            options=options,
        )
    finally:
        store.close()
    for problem in report.skipped_rows:
        print(
            _("{file}: skipped {problem}").format(file=args.csv, problem=problem), file=sys.stderr
        )
    done = _("imported {values} values in {rows} rows for meter {meter}").format(
        values=format_number(report.values), rows=format_number(report.rows), meter=meter.id
    )
    if report.replaced:
        done += " " + _("({n} stored readings replaced)").format(n=format_number(report.replaced))
    print(done)
    return 1 if report.skipped_rows else 0
