"""Approving a plan pins its baselines: fit once, store the model and what it was fitted on.

``approve(loaded, store, by, day)`` appends to the plan's approval record (``reports.record``):

* the plan version, when none is approved yet: every baseline of the plan fitted on the
  baseline period as the store holds it now (``analytics.fit_baseline``), with the model's
  ``to_dict()``, its ASHRAE Guideline 14 statistics (CV(RMSE), NMBE, R², n, p, lag-1
  autocorrelation), the data-sufficiency findings, the drivers' baseline ranges and the
  fingerprint of the exact readings used (``reports.readings``);
* each ledger item added since (amendment, non-routine adjustment) with its digest; an
  amendment refits the baselines it names under ``refit`` and those whose fit specification
  (model, granularity, drivers, baseline period, baseline holidays) it changes: the only way a
  pinned baseline changes.

``pins_for(loaded, day)`` gives the pinned fit in force per meter for a report, and
``baseline_changes(store, site, pins)`` how many baseline readings differ from the approved
ones now (a late import, a corrected series, a migrated store): reports keep the approved
model and say so.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from analytics.api import fit_baseline
from plantmeter.config import SiteConfig
from plantmeter.errors import ConfigError, PlantMeterError
from plantmeter.store import SeriesStore

from .data import SiteData, local_ts
from .load import LoadedPlan, item_digest
from .plan import MVPlan
from .readings import ReadingsChange, fingerprint, readings_differ
from .record import ApprovalRecord, approval_path, write_record
from .verify import Verifier

__all__ = ["PinnedFit", "approve", "baseline_changes", "fit_meter", "fit_spec", "pins_for"]

logger = logging.getLogger(__name__)

MARGIN = pd.Timedelta(hours=1)  # readings this far outside the baseline feed its first/last hour


@dataclass(frozen=True)
class PinnedFit:
    """One meter's approved baseline as a report uses it."""

    meter: str
    entry: int  # 1-based number of the record entry that pinned it
    entry_kind: str  # approval | amendment
    data: dict[str, Any]  # the stored fit (see fit_meter)

    @property
    def model(self) -> dict[str, Any]:
        model: dict[str, Any] = self.data["model"]
        return model

    @property
    def fitted_at(self) -> str:
        return str(self.data["fitted_at"])

    @property
    def readings_digest(self) -> str:
        return str(self.data["readings"]["digest"])


def fit_spec(plan: MVPlan, meter: str) -> dict[str, Any]:
    """What a meter's fit depends on in the plan; a change of it refits at the amendment."""
    b = plan.baselines[meter]
    return {
        **b.model_dump(mode="json"),
        "baseline": plan.baseline.model_dump(mode="json"),
        "holidays": [
            h.isoformat() for h in plan.holidays if plan.baseline.start <= h < plan.baseline.end
        ],
    }


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def fit_meter(
    store: SeriesStore, site: SiteConfig, plan: MVPlan, meter: str, site_dir: Path | None = None
) -> dict[str, Any]:
    """Fit ``meter``'s baseline on the stored readings; the JSON-ready pinned fit."""
    tz = site.site.timezone
    b0, b1 = local_ts(plan.baseline.start, tz), local_ts(plan.baseline.end, tz)
    data = SiteData(store, site, b0 - MARGIN, b1 + MARGIN, site_dir)
    b = plan.baselines[meter]
    try:
        fit = fit_baseline(
            Verifier(plan, data).usage(meter),
            (b0, b1),
            temperature=data.temperature(b.temperature) if b.temperature else None,
            production=data.hourly(b.production) if b.production else None,
            granularity=b.granularity,
            model=b.model,
        )
    except PlantMeterError as exc:
        raise ConfigError(
            f"baseline of {meter!r} cannot be fitted on {plan.baseline.start} to "
            f"{plan.baseline.end}: {exc}; import or ingest the baseline readings, then approve"
        ) from None
    series = {}
    for m in [meter, b.production, b.temperature]:
        if m:
            quantity, s = data.readings(m)
            series[(m, quantity)] = s[(s.index >= b0 - MARGIN) & (s.index < b1 + MARGIN)]
    gof = fit.model["summary"]["gof"]
    return {
        "meter": meter,
        "spec": fit_spec(plan, meter),
        "fitted_at": _now(),
        "window": {"start": (b0 - MARGIN).isoformat(), "end": (b1 + MARGIN).isoformat()},
        "model": fit.model,
        "reason": fit.reason,
        "statistics": {
            k: gof[k] for k in ("n", "p", "r2", "adj_r2", "cvrmse", "nmbe", "autocorr", "n_eff")
        },
        "checks": [c.to_dict() for c in fit.checks],
        "data_sufficiency": [w.to_dict() for w in fit.data_sufficiency],
        "drivers": fit.drivers,
        "readings": fingerprint(series),
    }


def _pins(rec: ApprovalRecord, entries: list[int]) -> dict[str, PinnedFit]:
    out: dict[str, PinnedFit] = {}
    for i in entries:
        e = rec.entries[i]
        for meter, fit in (e.get("fits") or {}).items():
            out[meter] = PinnedFit(meter, i + 1, e["kind"], fit)
    return out


def pins_for(loaded: LoadedPlan, day: date | None) -> dict[str, PinnedFit]:
    """The pinned fit in force on ``day`` per meter (empty for an unapproved plan)."""
    if loaded.record is None or loaded.approval is None:
        return {}
    return _pins(loaded.record, loaded.entries_in_force(day))


def baseline_changes(
    store: SeriesStore,
    site: SiteConfig,
    pins: dict[str, PinnedFit],
    site_dir: Path | None = None,
) -> dict[str, ReadingsChange]:
    """Per pinned meter: how many of its baseline readings differ from the approved ones."""
    out: dict[str, ReadingsChange] = {}
    for meter, pin in pins.items():
        w = pin.data["window"]
        data = SiteData(store, site, pd.Timestamp(w["start"]), pd.Timestamp(w["end"]), site_dir)
        series = {}
        for name in pin.data["readings"]["series"]:
            m, quantity = name.split("/", 1)
            try:
                if quantity == "temperature":
                    s = data.temperature(m)
                else:
                    q, s = data.readings(m)
                    if q != quantity:  # the meter's counter quantity changed: all differ
                        s = s.iloc[:0]
            except PlantMeterError:
                s = pd.Series(dtype=float, index=pd.DatetimeIndex([], tz="UTC"))
            series[(m, quantity)] = s[
                (s.index >= pd.Timestamp(w["start"])) & (s.index < pd.Timestamp(w["end"]))
            ]
        out[meter] = readings_differ(pin.data["readings"], fingerprint(series))
        if out[meter]:
            logger.warning(
                "baseline of %s: %s from the approved ones", meter, out[meter].describe()
            )
    return out


def approve(
    loaded: LoadedPlan, store: SeriesStore, by: str, day: date | None = None
) -> list[dict[str, Any]]:
    """Append what is not approved yet to the record and write it; the new entries."""
    if not by.strip():
        raise ConfigError("--by: name who approves (person and role), e.g. --by 'J. Pérez, lender'")
    rec = loaded.record or ApprovalRecord(approval_path(loaded.path), loaded.base.id)
    new: list[dict[str, Any]] = []
    idx = loaded.approval
    if idx is None:
        day = day or datetime.now(UTC).date()
        fits = {
            m: fit_meter(store, loaded.site, loaded.base, m, loaded.site_dir)
            for m in loaded.base.baselines
        }
        new.append(
            rec.append(
                {
                    "kind": "approval",
                    "version": loaded.base.version,
                    "plan_digest": loaded.digest,
                    "date": day.isoformat(),
                    "by": by,
                    "recorded_at": _now(),
                    "fits": fits,
                }
            )
        )
        idx = len(rec.entries) - 1
    elif day is not None:
        raise ConfigError(
            f"--date: version {loaded.base.version} was approved on "
            f"{rec.entries[idx]['date']}; ledger items carry their own dates (drop --date)"
        )
    approved_on = date.fromisoformat(rec.entries[idx]["date"])
    n_amend = len(rec.ledger(idx, "amendment"))
    for k, a in enumerate(loaded.base.amendments):
        if k < n_amend:
            continue
        if a.date < approved_on:
            raise ConfigError(
                f"{loaded.path}: amendments[{k}].date {a.date} is before the approval "
                f"({approved_on}); an amendment comes after the plan it amends"
            )
        plan_k = loaded.amended[k]
        in_force = _pins(rec, [i for i in range(idx, len(rec.entries))])
        refit = {
            m
            for m in plan_k.baselines
            if m in a.refit or m not in in_force or in_force[m].data["spec"] != fit_spec(plan_k, m)
        }
        new.append(
            rec.append(
                {
                    "kind": "amendment",
                    "item": k,
                    "item_date": a.date.isoformat(),
                    "item_digest": item_digest(loaded.raw_items["amendments"][k]),
                    "reason": a.reason,
                    "by": by,
                    "recorded_at": _now(),
                    "fits": {
                        m: fit_meter(store, loaded.site, plan_k, m, loaded.site_dir)
                        for m in sorted(refit)
                    },
                }
            )
        )
    n_adj = len(rec.ledger(idx, "adjustment"))
    for k, adj in enumerate(loaded.base.adjustments):
        if k < n_adj:
            continue
        new.append(
            rec.append(
                {
                    "kind": "adjustment",
                    "item": k,
                    "item_date": adj.date.isoformat(),
                    "item_digest": item_digest(loaded.raw_items["adjustments"][k]),
                    "reason": adj.reason,
                    "by": by,
                    "recorded_at": _now(),
                }
            )
        )
    if not new:
        raise ConfigError(
            f"{loaded.path}: nothing to approve: version {loaded.base.version} and every "
            "amendment and adjustment are already approved (record head "
            f"{rec.head}); add an amendment (with refit: to refit a baseline) first"
        )
    write_record(rec)
    return new
