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

from plantmeter.errors import AnalyticsError

__all__ = ["cmd_flags", "cmd_savings", "read_series_csv", "register"]

logger = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the analytics subcommands to the ``plantmeter`` parser."""
    p = subparsers.add_parser(
        "savings",
        help="verified savings from CSV files (baseline model, adjusted baseline, uncertainty)",
        description="Fit a baseline on the baseline period and report avoided energy use over the "
        "reporting period. Each CSV has a `timestamp` column and one value column.",
    )
    p.add_argument("--usage", required=True, type=Path, help="interval usage CSV")
    p.add_argument("--temperature", type=Path, help="outdoor temperature CSV")
    p.add_argument("--production", type=Path, help="production volume CSV (extra regressor)")
    p.add_argument("--baseline", required=True, help="START..END (end exclusive)")
    p.add_argument("--reporting", required=True, help="START..END (end exclusive)")
    p.add_argument("--granularity", choices=["daily", "hourly"], default="daily")
    p.add_argument("--model", default="auto", help="auto | 1P | 2P | 3PH | 3PC | 4P | 5P | towt")
    p.add_argument("--temperature-unit", choices=["C", "F"], default="C")
    p.add_argument(
        "--timezone",
        default="UTC",
        help="site time zone: naive timestamps are read in it, days are counted in it",
    )
    p.add_argument(
        "--allow-disqualified",
        action="store_true",
        help="compute even when data sufficiency checks disqualify the data (flagged)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_savings)

    f = subparsers.add_parser(
        "flags",
        help="run the anomaly detectors over stored data and store the flags",
        description="Read every meter of the site from the store, run the detectors that fit its kind "
        "(communication gaps, counter resets and rollovers, stuck meters, spikes, impossible values; for "
        "consumption meters also baseload drift, out-of-hours use, CUSUM/EWMA of daily use against its "
        "drivers, and night-flow leaks for water), print the flags and store them (running it again "
        "overwrites the same flags, it does not add copies). The first four weeks read are the reference "
        "for what is normal (operating hours, night flow, base load, how long counters rest): give "
        "--reference to fix those weeks, so that runs over different windows judge by the same normal.",
    )
    f.add_argument("site", type=Path, help="site YAML file")
    f.add_argument(
        "--since",
        help="read data from this time on (ISO 8601; naive = UTC; default: everything stored); "
        "give at least five weeks for the drift and out-of-hours detectors",
    )
    f.add_argument(
        "--reference",
        help="the four weeks from this date are what is normal (ISO 8601; naive = UTC; at or before "
        "--since, in a period without faults; default: the first four weeks read)",
    )
    f.set_defaults(func=cmd_flags)


def read_series_csv(path: Path, tz: str) -> Any:
    """A `timestamp` + one value column CSV as a tz-aware float Series in ``tz``."""
    import pandas as pd

    try:
        df = pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise AnalyticsError(f"{path}: cannot read CSV ({exc})") from exc
    if "timestamp" not in df.columns:
        raise AnalyticsError(f"{path}: no `timestamp` column (columns: {list(df.columns)})")
    values = [c for c in df.columns if c != "timestamp"]
    if len(values) != 1:
        raise AnalyticsError(f"{path}: expected one value column besides `timestamp`, got {values}")
    raw = df["timestamp"].astype(str)
    has_offset = raw.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$", regex=True)
    try:
        if has_offset.all():
            idx = pd.DatetimeIndex(pd.to_datetime(raw, utc=True, format="ISO8601")).tz_convert(tz)
        elif not has_offset.any():
            idx = pd.DatetimeIndex(pd.to_datetime(raw, format="ISO8601")).tz_localize(tz)
        else:
            raise AnalyticsError(
                f"{path}: some timestamps carry a UTC offset and some do not; use one convention"
            )
    except (ValueError, TypeError) as exc:
        raise AnalyticsError(f"{path}: unreadable timestamps ({exc})") from exc
    s = pd.Series(
        pd.to_numeric(df[values[0]], errors="coerce").to_numpy(), index=idx, name=values[0]
    )
    return s


def _period(text: str, name: str) -> tuple[str, str]:
    parts = text.split("..")
    if len(parts) != 2 or not all(parts):
        raise AnalyticsError(f"--{name} {text!r}: write START..END, e.g. 2023-01-01..2024-01-01")
    return parts[0], parts[1]


def cmd_savings(args: argparse.Namespace) -> int:
    from .api import compute_savings

    tz = args.timezone
    usage = read_series_csv(args.usage, tz)
    temp = read_series_csv(args.temperature, tz) if args.temperature else None
    prod = read_series_csv(args.production, tz) if args.production else None
    result = compute_savings(
        usage,
        _period(args.baseline, "baseline"),
        _period(args.reporting, "reporting"),
        temperature=temp,
        production=prod,
        granularity=args.granularity,
        model=args.model,
        temperature_unit=args.temperature_unit,
        allow_disqualified=args.allow_disqualified,
    )
    d = result.to_dict()
    if args.json:
        print(json.dumps(d, indent=2))
        return 0
    m = d["model"]

    def fmt(v: Any, spec: str = ",.1f") -> str:
        return "n/a" if v is None else format(v, spec)

    lines = [
        f"model             {m['type']}  (R² {fmt(m['r2'], '.3f')}, "
        f"CV(RMSE) {fmt(m['cvrmse'], '.1%')}, "
        f"NMBE {fmt(m['nmbe'], '.2%')}, n {m['n']})",
        f"selection         {m['selection_reason']}",
        f"observed          {fmt(d['observed'])}",
        f"adjusted baseline {fmt(d['adjusted_baseline'])}",
        f"savings           {fmt(d['savings'])}  ({fmt(d['savings_fraction'], '.1%')} of baseline)",
        f"uncertainty       ±{fmt(d['fsu_68'], '.1%')} of savings at 68 %, "
        f"±{fmt(d['fsu_90'], '.1%')} at 90 % (ASHRAE G14)",
    ]
    for c in d["checks"]:
        lines.append(f"check {'PASS' if c['passed'] else 'FAIL'}        {c['reason']}")
    for w in d["data_sufficiency"]:
        lines.append(
            f"data  {'DISQUAL' if w['disqualifying'] else 'warning'}     {w['description']}"
        )
    print("\n".join(lines))
    return 0


def _open_site(path: Path) -> tuple[Any, Any]:
    """Load the site config and open its store (kept apart so tests can substitute it)."""
    from ingest import open_store
    from plantmeter.config import load_site

    cfg = load_site(path)
    return cfg, open_store(cfg.store.url)


def _utc(text: str | None, option: str) -> Any:
    """``--since``/``--reference`` as a UTC timestamp (naive = UTC), None when not given."""
    import pandas as pd

    if not text:
        return None
    try:
        t = pd.Timestamp(text)
    except ValueError as exc:
        raise AnalyticsError(f"--{option} {text!r} is not a date or time; write e.g. 2025-01-06") from exc
    return t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")


def cmd_flags(args: argparse.Namespace) -> int:
    import pandas as pd

    from .jobs import run_flags

    cfg, store = _open_site(args.site)
    try:
        since, reference = _utc(args.since, "since"), _utc(args.reference, "reference")
        tz = getattr(cfg.site, "timezone", None) or "UTC"
        flags = run_flags(
            store, cfg.site.id, list(cfg.meters), since, tz=str(tz), reference=reference,
            base_dir=Path(args.site).parent,
        )
    finally:
        store.close()
    for fl in flags:
        start = pd.Timestamp(fl.start_ms, unit="ms", tz="UTC")
        print(f"{fl.severity:8s} {fl.meter:14s} {fl.kind:16s} {start:%Y-%m-%d %H:%M}  {fl.reason}")
    print(f"{len(flags)} flags written for site {cfg.site.id}", file=sys.stderr)
    return 0
