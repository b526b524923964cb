"""What every report run shares: the plan version, the store, the data window, the meta lines."""

from __future__ import annotations

import importlib.metadata
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from ingest.stores import open_store
from plantmeter.errors import ConfigError
from plantmeter.store import SeriesStore

from .data import SiteData
from .load import LoadedPlan, PlanVersion
from .plan import MVPlan
from .verify import Verifier, Window, month_window

__all__ = [
    "OUTPUT_SUFFIXES",
    "ReportContext",
    "check_in_plan",
    "check_output",
    "parse_month",
    "parse_period",
    "report_context",
    "software_version",
]

OUTPUT_SUFFIXES = (".pdf", ".html", ".htm", ".json")

logger = logging.getLogger(__name__)


def software_version() -> str:
    try:
        return importlib.metadata.version("plantmeter")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def parse_period(text: str) -> Window:
    """``YYYY-MM`` (a month) or ``YYYY-Www`` (an ISO week, Monday to Monday)."""
    try:
        if m := re.fullmatch(r"(\d{4})-(\d{2})", text):
            return month_window(date(int(m[1]), int(m[2]), 1))
        if m := re.fullmatch(r"(\d{4})-W(\d{2})", text):
            start = date.fromisocalendar(int(m[1]), int(m[2]), 1)
            return Window("custom", text, start, start + timedelta(days=7))
    except ValueError as exc:
        raise ConfigError(f"--period {text!r}: {exc}; write YYYY-MM or YYYY-Www") from None
    raise ConfigError(f"--period {text!r}: write YYYY-MM (a month) or YYYY-Www (an ISO week)")


def parse_month(text: str) -> Window:
    """``YYYY-MM`` only: loan reports and audits are judged per calendar month."""
    if re.fullmatch(r"\d{4}-W\d{1,2}", text):
        raise ConfigError(
            f"--period {text!r}: this report covers a calendar month, not an ISO week; "
            "write YYYY-MM (e.g. 2025-11)"
        )
    w = parse_period(text)
    if w.kind != "month":
        raise ConfigError(f"--period {text!r}: write YYYY-MM (a calendar month)")
    return w


def check_in_plan(w: Window, plan: MVPlan) -> None:
    """A period must lie inside the plan's data window (baseline start to reporting end)."""
    b0, r1 = plan.baseline.start, plan.reporting.end
    span = f"the plan covers {b0} to {r1} (end exclusive): choose a period within it"
    if w.start < b0:
        raise ConfigError(
            f"--period {w.label}: starts {w.start}, before the plan's baseline ({b0}); {span}"
        )
    if w.end > r1:
        raise ConfigError(
            f"--period {w.label}: ends {w.end}, after the plan's reporting period "
            f"(ends {r1}); {span}, or amend the reporting period"
        )


def check_output(path: str) -> None:
    """Refuse an output file type we cannot write, before anything is read or computed."""
    suffix = Path(path).suffix.lower()
    if suffix not in OUTPUT_SUFFIXES:
        raise ConfigError(
            f"--out {path}: cannot write {suffix or 'a file without an extension'}; "
            "supported: .pdf, .html (or .htm), .json"
        )


@dataclass
class ReportContext:
    loaded: LoadedPlan
    plan: MVPlan
    version: PlanVersion
    store: SeriesStore
    data: SiteData
    verifier: Verifier

    def meta(self, window: str) -> list[str]:
        return [
            self.version.describe(),
            f"Site {self.loaded.site.site.id} ({self.loaded.site.site.name}), time zone "
            f"{self.data.tz}; baseline {self.plan.baseline.start} to {self.plan.baseline.end} "
            "(end exclusive)",
            f"Data window {window}; store {self.store_label}",
            f"PlantMeter {software_version()}",
        ]

    @property
    def store_label(self) -> str:
        return re.sub(r"//[^@/]*@", "//***@", self.loaded.store_url)  # never print credentials


@contextmanager
def report_context(loaded: LoadedPlan, as_of: date) -> Iterator[ReportContext]:
    """Open the plan's store and the plan version in force on ``as_of``; closes the store."""
    plan, version = loaded.as_of(as_of)
    store = open_store(loaded.store_url, create=False)
    tz = loaded.site.site.timezone
    start = pd.Timestamp(plan.baseline.start).tz_localize(tz) - pd.Timedelta(days=1)
    end = pd.Timestamp(plan.reporting.end).tz_localize(tz) + pd.Timedelta(days=1)
    base_dir = (loaded.path.parent / plan.site_config).parent
    data = SiteData(store, loaded.site, start, end, base_dir)
    try:
        yield ReportContext(loaded, plan, version, store, data, Verifier(plan, data))
    finally:
        store.close()
