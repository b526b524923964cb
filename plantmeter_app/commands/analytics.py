"""``plantmeter savings`` and ``plantmeter flags``: analytics for files and for stored data.

Numba-heavy modules are imported inside the commands so ``plantmeter --help`` stays fast.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

from plantmeter.errors import AnalyticsError, InputError
from plantmeter.i18n import _, format_date, format_number, format_percent
from plantmeter.times import TIME_HELP

__all__ = ["cmd_flags", "cmd_savings", "read_series_csv", "register"]

logger = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the analytics subcommands to the ``plantmeter`` parser."""
    p = subparsers.add_parser(
        "savings",
        help=_(
            "verified savings per option of an M&V plan for a month, or of one meter from the "
            "store or CSV files (baseline model, uncertainty)"
        ),
        description=_(
            "With --plan PLAN.yaml --period YYYY-MM: the plan's verified savings per option "
            "for the month, its quarter and year to date and since implementation, with the 90 % band, "
            "the promise, cost, CO2 and data completeness (the figures the loan and audit reports use). "
            "Otherwise fit a baseline on the baseline period and report avoided energy use over the "
            "reporting period. From the store: --site SITE.yaml --meter M (drivers with --temperature-meter / "
            "--production-meter). "
            "From files: --usage U.csv (use per interval, not a counter) with optional --temperature and "
            "--production, each a `timestamp` column and one value column. "
            "Periods are START..END, end exclusive; times: {time_help}."
        ).format(time_help=_(TIME_HELP)),
    )
    p.add_argument(
        "--plan", type=Path, help=_("M&V plan YAML: verified savings per option (with --period)")
    )
    p.add_argument("--period", help=_("YYYY-MM: the month of --plan's figures"))
    p.add_argument(
        "--option",
        action="append",
        help=_("an option id of --plan (repeat for several; default: all)"),
    )
    p.add_argument(
        "--usage",
        type=Path,
        help=_("interval usage CSV (use per interval, not a cumulative counter)"),
    )
    p.add_argument("--site", type=Path, help=_("site YAML: read --meter's counter from its store"))
    p.add_argument("--meter", help=_("meter id (with --site)"))
    p.add_argument("--temperature-meter", help=_("temperature meter id in the store (with --site)"))
    p.add_argument(
        "--production-meter", help=_("production counter meter id in the store (with --site)")
    )
    p.add_argument("--temperature", type=Path, help=_("outdoor temperature CSV"))
    p.add_argument("--production", type=Path, help=_("production volume CSV (extra regressor)"))
    p.add_argument("--baseline", help=_("START..END (end exclusive)"))
    p.add_argument("--reporting", help=_("START..END (end exclusive)"))
    p.add_argument("--granularity", choices=["daily", "hourly"], default="daily")
    p.add_argument("--model", default="auto", help=_("auto | 1P | 2P | 3PH | 3PC | 4P | 5P | towt"))
    p.add_argument("--temperature-unit", choices=["C", "F"], default="C")
    p.add_argument(
        "--timezone",
        help=_(
            "time zone for CSV input: naive timestamps are read in it, days are counted in it "
            "(default: the site's with --site, else UTC)"
        ),
    )
    p.add_argument(
        "--allow-disqualified",
        action="store_true",
        help=_("compute even when data sufficiency checks disqualify the data (flagged)"),
    )
    p.add_argument(
        "--force",
        action="store_true",
        help=_(
            "compute on temperatures that look implausible in --temperature-unit (README 'units and ranges')"
        ),
    )
    p.add_argument("--json", action="store_true", help=_("print one JSON object"))
    p.set_defaults(func=cmd_savings)

    f = subparsers.add_parser(
        "flags",
        help=_("run the anomaly detectors over stored data and store the flags"),
        description=_(
            "Read every meter of the site from the store, run the detectors that fit its kind "
            "and print the flags that cost money or signal a fault, costliest first: excess use over the "
            "expectation (a CUSUM of excess against the meter's drivers; use below it is savings, never a "
            "flag), out-of-hours use and night-flow leaks, valued at the plan's tariff; communication gaps, "
            "counter resets, stuck meters, spikes and impossible values. Flags are stored (running it "
            "again overwrites the same flags), and so is the window they were computed over, so reports "
            "can tell 'no flags' from 'never computed'. With --plan each meter is judged against the "
            "plan's baseline period and its own drivers; else the first four weeks read (or the four "
            "weeks from --reference) are what is normal."
        ),
    )
    f.add_argument("site", type=Path, nargs="?", help=_("site YAML file (not needed with --plan)"))
    f.add_argument(
        "--plan",
        type=Path,
        help=_(
            "M&V plan YAML: its baseline period is each meter's reference, its baselines name "
            "the drivers, its tariffs value excess use (the plan's site config is used)"
        ),
    )
    f.add_argument(
        "--since",
        help=_(
            "report flags from this time on ({time_help}; default: everything stored); "
            "without --plan give at least five weeks for the out-of-hours and excess detectors"
        ).format(time_help=_(TIME_HELP)),
    )
    f.add_argument(
        "--reference",
        help=_(
            "the four weeks from this date are what is normal for every meter ({time_help}; at "
            "or before --since, in a period without faults; default: the plan's baseline period, "
            "else the first four weeks read)"
        ).format(time_help=_(TIME_HELP)),
    )
    f.set_defaults(func=cmd_flags)


def read_series_csv(path: Path, tz: str) -> Any:
    """A `timestamp` + one value column CSV as a tz-aware float Series in ``tz``."""
    import pandas as pd

    try:
        df = pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise AnalyticsError(
            _("{file}: cannot read CSV ({error})").format(file=path, error=exc)
        ) from exc
    if "timestamp" not in df.columns:
        raise AnalyticsError(
            _("{file}: no `timestamp` column (columns: {columns})").format(
                file=path, columns=list(df.columns)
            )
        )
    values = [c for c in df.columns if c != "timestamp"]
    if len(values) != 1:
        raise AnalyticsError(
            _("{file}: expected one value column besides `timestamp`, got {columns}").format(
                file=path, columns=values
            )
        )
    raw = df["timestamp"].astype(str)
    has_offset = raw.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$", regex=True)
    try:
        if has_offset.all():
            idx = pd.DatetimeIndex(pd.to_datetime(raw, utc=True, format="ISO8601")).tz_convert(tz)
        elif not has_offset.any():
            idx = pd.DatetimeIndex(pd.to_datetime(raw, format="ISO8601")).tz_localize(tz)
        else:
            raise AnalyticsError(
                _(
                    "{file}: some timestamps carry a UTC offset and some do not; use one convention"
                ).format(file=path)
            )
    except (ValueError, TypeError) as exc:
        raise AnalyticsError(
            _("{file}: unreadable timestamps ({error})").format(file=path, error=exc)
        ) from exc
    s = pd.Series(
        pd.to_numeric(df[values[0]], errors="coerce").to_numpy(), index=idx, name=values[0]
    )
    return s


def cmd_savings(args: argparse.Namespace) -> int:
    if args.plan is not None:
        return _plan_savings(args)
    if args.period or args.option:
        raise InputError(
            _("--period and --option go with --plan PLAN.yaml (verified savings per option)")
        )
    if (args.site is not None) == (args.usage is not None):
        raise InputError(
            _("give either --usage U.csv (files) or --site SITE.yaml with --meter (store)")
        )
    result = _store_savings(args) if args.site is not None else _file_savings(args)
    d = result.to_dict()
    if args.json:
        print(json.dumps(d, indent=2))
        return 0
    print("\n".join(_savings_lines(d)))
    return 0


def _savings_lines(d: dict[str, Any]) -> list[str]:
    """The savings result as labelled lines, numbers in the CLI's locale."""
    m = d["model"]

    def num(v: Any, digits: int = 1) -> str:
        return _("n/a") if v is None else format_number(v, digits)

    def pct(v: Any, digits: int = 1) -> str:
        return _("n/a") if v is None else format_percent(v, digits)

    rows = [
        (
            _("model"),
            _("{type}  (R² {r2}, CV(RMSE) {cvrmse}, NMBE {nmbe}, n {n})").format(
                type=m["type"],
                r2=num(m["r2"], 3),
                cvrmse=pct(m["cvrmse"]),
                nmbe=pct(m["nmbe"], 2),
                n=format_number(m["n"]),
            ),
        ),
        (_("selection"), m["selection_reason"]),
        (_("observed"), num(d["observed"])),
        (_("adjusted baseline"), num(d["adjusted_baseline"])),
        (
            _("savings"),
            _("{savings}  ({fraction} of baseline)").format(
                savings=num(d["savings"]), fraction=pct(d["savings_fraction"])
            ),
        ),
        (
            _("uncertainty"),
            _("±{fsu_68} of savings at 68 %, ±{fsu_90} at 90 % (ASHRAE G14)").format(
                fsu_68=pct(d["fsu_68"]), fsu_90=pct(d["fsu_90"])
            ),
        ),
    ]
    rows += [
        (_("check PASS") if c["passed"] else _("check FAIL"), c["reason"]) for c in d["checks"]
    ]
    rows += [
        (_("data DISQUAL") if w["disqualifying"] else _("data warning"), w["description"])
        for w in d["data_sufficiency"]
    ]
    width = max(18, *(len(label) + 1 for label, _text in rows))
    return [f"{label:<{width}}{text}" for label, text in rows]


_PLAN_ONLY = (
    "usage",
    "site",
    "meter",
    "temperature_meter",
    "production_meter",
    "temperature",
    "production",
    "baseline",
    "reporting",
)


def _plan_savings(args: argparse.Namespace) -> int:
    """``savings --plan PLAN.yaml --period YYYY-MM``: ``services.option_savings`` over the plan's
    store (read-only), one line per option and period, or JSON."""
    from plantmeter_app.runtime import plan_store
    from reports.load import load_plan
    from services import option_savings

    given = [f"--{name.replace('_', '-')}" for name in _PLAN_ONLY if getattr(args, name, None)]
    if given:
        raise InputError(
            _(
                "{options}: --plan takes its meters, drivers and periods from the plan; give "
                "--plan PLAN.yaml --period YYYY-MM [--option ID], or drop --plan"
            ).format(options=", ".join(given))
        )
    if not args.period:
        raise InputError(
            _("--plan needs --period YYYY-MM: the month whose verified savings to report")
        )
    loaded = load_plan(args.plan)
    with plan_store(loaded) as store:
        figures = option_savings(loaded, store, args.period, args.option)
    if args.json:
        print(json.dumps([f.to_dict() for f in figures], indent=2))
        return 0
    print(
        _("verified savings of plan {plan} ({site}) for {period}").format(
            plan=loaded.base.id, site=loaded.site.site.id, period=args.period
        )
    )
    width = max((len(f.option) for f in figures), default=0)
    for f in figures:
        print(_figure_line(f, width))
    return 0


def _figure_line(f: Any, width: int = 20) -> str:
    """One option and period: savings ± 90 % band per unit against the promise, cost, completeness;
    the option column ``width`` wide (the plan's longest option id), so columns line up."""
    head = f"{f.option:{width}s} {f.period:18s} {f.status:17s}"
    if not f.savings:
        return f"{head} {f.reason}"
    parts = []
    for u, v in f.savings.items():
        part = f"{format_number(v)} ± {format_number(f.band_90.get(u, 0.0))} {u}"
        if u in f.promised:
            part += " " + _("(promised {amount})").format(amount=format_number(f.promised[u]))
        parts.append(part)
    if f.cost is not None:
        parts.append(
            f"{format_number(f.cost, 2)} ± {format_number(f.cost_band_90 or 0.0, 2)} {f.currency}"
        )
    if f.completeness is not None:
        parts.append(_("completeness {percent}").format(percent=format_percent(f.completeness)))
    return f"{head} " + "; ".join(parts) + (" " + _("(extrapolated)") if f.extrapolated else "")


def _file_savings(args: argparse.Namespace) -> Any:
    """``savings --usage U.csv``: the files' series, the periods in ``--timezone``."""
    from analytics.api import compute_savings
    from analytics.savings_input import check_temperature, refuse_cumulative
    from plantmeter.times import parse_period

    if args.temperature_meter or args.production_meter or args.meter:
        raise InputError(
            _("--meter, --temperature-meter and --production-meter read the store: give --site")
        )
    tz = args.timezone or "UTC"
    usage = read_series_csv(args.usage, tz)
    refuse_cumulative(usage, f"--usage {args.usage}")
    temperature = read_series_csv(args.temperature, tz) if args.temperature else None
    production = read_series_csv(args.production, tz) if args.production else None
    if args.baseline is None or args.reporting is None:
        raise InputError(_("give --baseline START..END and --reporting START..END"))
    baseline = parse_period(args.baseline, tz, "--baseline")
    reporting = parse_period(args.reporting, tz, "--reporting")
    if temperature is not None and not args.force:
        check_temperature(temperature, args.temperature_unit, "temperature")
    return compute_savings(
        usage,
        baseline,
        reporting,
        temperature=temperature,
        production=production,
        granularity=args.granularity,
        model=args.model,
        temperature_unit=args.temperature_unit,
        allow_disqualified=args.allow_disqualified,
    )


def _store_savings(args: argparse.Namespace) -> Any:
    """``savings --site --meter``: ``services.meter_savings`` over the site's store (read-only)."""
    from plantmeter.config import load_site
    from plantmeter.times import parse_period
    from plantmeter_app.runtime import reading_store
    from services import meter_savings

    if not args.meter:
        raise InputError(_("--site needs --meter M: the meter whose savings to compute"))
    cfg = load_site(args.site)
    tz = cfg.site.timezone
    known = [m.id for m in cfg.meters]
    for option, meter_id in (
        ("--meter", args.meter),
        ("--temperature-meter", args.temperature_meter),
        ("--production-meter", args.production_meter),
    ):
        if meter_id is not None and meter_id not in known:
            raise InputError(
                _("{option} {meter} is not a meter of site {site}; known: {known}").format(
                    option=option, meter=repr(meter_id), site=cfg.site.id, known=", ".join(known)
                )
            )
    if args.baseline is None or args.reporting is None:
        raise InputError(_("give --baseline START..END and --reporting START..END"))
    baseline = parse_period(args.baseline, tz, "--baseline")
    reporting = parse_period(args.reporting, tz, "--reporting")
    with reading_store(cfg.store.url) as store:  # savings only reads; a mistyped path is named
        return meter_savings(
            store,
            cfg,
            args.meter,
            baseline,
            reporting,
            temperature_meter=args.temperature_meter,
            production_meter=args.production_meter,
            granularity=args.granularity,
            model=args.model,
            allow_disqualified=args.allow_disqualified,
            force=args.force,
            base_dir=args.site.parent,
        )


def _open_site(path: Path) -> tuple[Any, Any]:
    """Load the site config and open its store (kept apart so tests can substitute it)."""
    from ingest import open_store
    from plantmeter.config import load_site

    cfg = load_site(path)
    return cfg, open_store(cfg.store.url, create=False)  # a mistyped path is an error, not empty


def _utc(text: str | None, option: str, tz: str = "UTC") -> Any:
    """``--since``/``--reference`` as a UTC timestamp (plantmeter.times rule), None when not given."""
    from plantmeter.times import parse_time

    if not text:
        return None
    try:
        return parse_time(text, tz, f"--{option}")
    except InputError as exc:
        raise AnalyticsError(str(exc)) from exc


def cmd_flags(args: argparse.Namespace) -> int:
    """``services.compute_flags`` over the site's (or the plan's) store, printed costliest first."""
    from analytics.flagkinds import flag_title
    from analytics.flagref import local_when
    from plantmeter.config import load_site
    from plantmeter.text import stored
    from plantmeter_app.runtime import existing_store
    from reports.load import load_plan
    from services import compute_flags

    if (args.site is None) == (args.plan is None):
        raise AnalyticsError(
            _("give the site YAML or --plan PLAN.yaml (which names its site), one of them")
        )
    if args.plan is not None and args.reference:
        raise AnalyticsError(
            _(
                "--reference and --plan both say what is normal; the plan's baseline period is the "
                "reference with --plan (drop --reference)"
            )
        )
    loaded = load_plan(args.plan) if args.plan is not None else None
    cfg = loaded.site if loaded is not None else load_site(args.site)
    tz = cfg.site.timezone
    since, reference = _utc(args.since, "since", tz), _utc(args.reference, "reference", tz)
    # flags are stored beside the readings they judge; a mistyped path is named, never created
    with existing_store(loaded.store_url if loaded is not None else cfg.store.url) as store:
        flags = compute_flags(
            store,
            cfg,
            since=since,
            reference=reference,
            plan=loaded,
            base_dir=None if loaded is not None else Path(args.site).parent,
        )
    for fl in flags:
        when = local_when(fl.start_ms, tz)
        reason = stored(fl.message, fl.reason)  # in the CLI's language
        print(f"{_(fl.severity):8s} {when:>20s}  {fl.meter}: {flag_title(fl.kind)}: {reason}")
    if loaded is not None:
        judged = _("the plan's baseline period")
    elif reference is not None:
        judged = _("the four weeks from {date}").format(date=format_date(reference))
    else:
        judged = _("the first four weeks read")
    print(
        _("{n} flags written for site {site} (judged against {judged}; times in {zone})").format(
            n=format_number(len(flags)), site=cfg.site.id, judged=judged, zone=tz
        ),
        file=sys.stderr,
    )
    return 0
