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
from typing import Any

import pandas as pd

from plantmeter.errors import ConfigError
from plantmeter.i18n import _
from plantmeter.store import SeriesStore
from plantmeter.text import Num

from .data import SiteData
from .document import Document, fmt, pct
from .load import LoadedPlan, PlanVersion
from .plan import AdjustmentEffect, MVPlan
from .verify import Verifier, Window, month_window
from .words import term

__all__ = [
    "OUTPUT_SUFFIXES",
    "ReportContext",
    "check_in_plan",
    "check_output",
    "parse_month",
    "parse_period",
    "report_context",
    "software_version",
    "stamp_approval",
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


def _effect(e: AdjustmentEffect) -> str:
    """A ledger entry's effect on one meter, in the current locale: '+12.5/day'."""
    if e.per_day is not None:
        return _("{amount}/day").format(amount=Num(e.per_day, None, signed=True).render())
    if e.total is not None:
        return _("{amount} in total").format(amount=Num(e.total, None, signed=True).render())
    return _("{per_unit} per unit of {driver}").format(
        per_unit=Num(e.per_unit, None, signed=True).render(), driver=e.driver
    )


@dataclass
class ReportContext:
    loaded: LoadedPlan
    plan: MVPlan
    version: PlanVersion
    store: SeriesStore
    data: SiteData
    verifier: Verifier

    @property
    def approved(self) -> bool:
        return self.version.approved is not None

    def baseline_lines(self) -> list[str]:
        """Per baseline: the pinned model, its fit date and readings digest, and any change."""
        v = self.verifier
        if not self.approved:
            return [
                _(
                    "UNAPPROVED baseline: the plan has no approval record, so every baseline is "
                    "refitted on the readings stored today and may change with the next import; "
                    "run `plantmeter plan approve` to pin it"
                )
            ]
        out = []
        for meter in self.plan.baselines:
            pin = v.pins[meter]
            stats = pin.data["statistics"]
            line = _(
                "Baseline {meter}: {model} pinned by approval-record entry {entry} ({kind}), "
                "fitted {fitted} on {count} readings {digest}; CV(RMSE) {cvrmse}, NMBE {nmbe}, "
                "R² {r2}, n {n}, p {p}"
            ).format(
                meter=meter,
                model=pin.model["summary"]["type"],
                entry=pin.entry,
                kind=term(pin.entry_kind),
                fitted=pin.fitted_at,
                count=fmt(pin.data["readings"]["count"]),
                digest=pin.readings_digest,
                cvrmse=pct(stats["cvrmse"], 1),
                nmbe=pct(stats["nmbe"], 2),
                r2=fmt(stats["r2"], 3),
                n=stats["n"],
                p=stats["p"],
            )
            change = v.changed.get(meter)
            if change:
                line += _(
                    ". Baseline data changed since approval: {change}; the approved model is kept"
                ).format(change=change.text())
            out.append(line)
        for a in self.plan.adjustments:
            effects = ", ".join(f"{m} {_effect(e)}" for m, e in a.meters.items())
            out.append(
                _(
                    "Non-routine adjustment {id} from {start} to {end} (agreed {agreed}, approved "
                    "by {approved_by}): {effects} — {reason}"
                ).format(
                    id=a.id,
                    start=a.start,
                    end=a.end or _("open"),
                    agreed=a.date,
                    approved_by=a.approved_by,
                    effects=effects,
                    reason=a.reason,
                )
            )
        return out

    def approval_data(self) -> dict[str, Any]:
        """The JSON block: which approved version, pinned models and adjustments were used."""
        v = self.verifier
        return {
            "status": "approved" if self.approved else "UNAPPROVED",
            "plan": self.version.to_dict(),
            "record": str(self.loaded.record.path) if self.loaded.record else None,
            "baselines": {
                m: {
                    "entry": p.entry,
                    "entry_kind": p.entry_kind,
                    "model_type": p.model["summary"]["type"],
                    "fitted_at": p.fitted_at,
                    "readings_digest": p.readings_digest,
                    "readings": p.data["readings"]["count"],
                    "statistics": p.data["statistics"],
                    "readings_changed_since_approval": v.changed[m].n if m in v.changed else 0,
                    "readings_changed_is_lower_bound": v.changed[m].at_least
                    if m in v.changed
                    else False,
                }
                for m, p in v.pins.items()
                if m in self.plan.baselines
            },
            "adjustments": [a.model_dump(mode="json") for a in self.plan.adjustments],
        }

    def meta(self, window: str) -> list[str]:
        return [
            self.version.describe(),
            *self.baseline_lines(),
            _(
                "Site {site} ({name}), time zone {tz}; baseline {start} to {end} (end exclusive)"
            ).format(
                site=self.loaded.site.site.id,
                name=self.loaded.site.site.name,
                tz=self.data.tz,
                start=self.plan.baseline.start,
                end=self.plan.baseline.end,
            ),
            _("Data window {window}; store {store}").format(window=window, store=self.store_label),
            f"PlantMeter {software_version()}",
        ]

    @property
    def store_label(self) -> str:
        return re.sub(r"//[^@/]*@", "//***@", self.loaded.store_url)  # never print credentials


@contextmanager
def report_context(loaded: LoadedPlan, as_of: date, store: SeriesStore) -> Iterator[ReportContext]:
    """The plan version in force on ``as_of`` over ``store``, which the caller opened (the
    application package, read-only, from ``loaded.store_url``) and closes: reports never
    open a store from a URL.

    An approved plan must have every ledger item approved (else ConfigError with the fix);
    its pinned baselines are used and their stored baseline readings compared with the
    approved ones.
    """
    from .approval import baseline_changes, pins_for

    if loaded.approved and loaded.pending:
        raise ConfigError(
            f"{loaded.path}: not approved yet: {'; '.join(loaded.pending)}; run `plantmeter plan "
            f"approve {loaded.path.name} --by NAME` to approve (amendments that refit refit "
            "then), or remove the unapproved items"
        )
    plan, version = loaded.as_of(as_of)
    pins = pins_for(loaded, as_of)
    tz = loaded.site.site.timezone
    start = pd.Timestamp(plan.baseline.start).tz_localize(tz) - pd.Timedelta(days=1)
    end = pd.Timestamp(plan.reporting.end).tz_localize(tz) + pd.Timedelta(days=1)
    base_dir = (loaded.path.parent / plan.site_config).parent
    data = SiteData(store, loaded.site, start, end, base_dir)
    changed = baseline_changes(store, loaded.site, pins, base_dir)
    verifier = Verifier(plan, data, pins, changed)
    yield ReportContext(loaded, plan, version, store, data, verifier)


def stamp_approval(doc: Document, ctx: ReportContext) -> None:
    """Which approved version and pinned baselines the document used; a banner if none."""
    doc.data["approval"] = ctx.approval_data()
    if not ctx.approved:
        doc.title += " — UNAPPROVED baseline"
        doc.summary = (
            "UNAPPROVED baseline (no `plantmeter plan approve` yet): figures are refitted on "
            "today's readings and not yet agreed. " + doc.summary
        )
