"""Load an M&V plan with its site config and approval record, apply amendments.

``load_plan(path)`` -> ``LoadedPlan``; ``loaded.as_of(day)`` gives the plan as amended by
every amendment dated on or before ``day`` (with the non-routine adjustments agreed by then)
and the ``PlanVersion`` a report prints. The approval record (``reports.record``) must match:
an approved body or ledger item that was edited afterwards is an error; items added since
the last approval are listed in ``LoadedPlan.pending``.

An amendment's ``changes`` maps a path to a new value. Paths are dotted; list items are
chosen by id in brackets::

    amendments:
      - date: 2025-07-10
        reason: CIP recycling finished late; lender agreed the new date
        changes:
          options[cip-recycling].implemented: 2025-06-15
          loans[green-line-1].promised_annual_savings: 14000
"""

from __future__ import annotations

import copy
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from plantmeter.config import SiteConfig, load_site
from plantmeter.errors import ConfigError
from plantmeter.i18n import N_, _
from plantmeter.yamlconf import format_validation_error, read_yaml

from .plan import Amendment, MVPlan
from .record import ApprovalRecord, approval_path, canonical_digest, read_record

__all__ = [
    "LEDGERS",
    "LoadedPlan",
    "PlanVersion",
    "apply_change",
    "item_digest",
    "load_plan",
    "plan_digest",
]

logger = logging.getLogger(__name__)

_SEGMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?:\[([A-Za-z0-9_-]+)\])?$")


@dataclass(frozen=True)
class PlanVersion:
    """Which text of the plan a report used: the approved version plus its amendments."""

    plan_id: str
    version: int
    approved: date | None
    amendments: tuple[Amendment, ...] = ()
    approved_by: str = ""
    plan_digest: str = ""
    record_digest: str | None = None  # digest of the last approval-record entry this text used
    record_entry: int = 0  # its number (1-based)

    @property
    def label(self) -> str:
        return f"{self.version}" + (f".{len(self.amendments)}" if self.amendments else "")

    def describe(self) -> str:
        """The version line of a report's provenance, in the current locale (ISO dates, as the
        plan and the approval record write them)."""
        if self.approved:
            head = _(
                "M&V plan {plan} version {version} (approved {approved}) by {approved_by}; "
                "approval record entry {entry} {digest}"
            ).format(
                plan=self.plan_id,
                version=self.label,
                approved=self.approved,
                approved_by=self.approved_by,
                entry=self.record_entry,
                digest=self.record_digest,
            )
        else:
            head = _(
                "M&V plan {plan} version {version} (UNAPPROVED: no approval record; baselines "
                "refitted on today's readings)"
            ).format(plan=self.plan_id, version=self.label)
        if self.amendments:
            head += _("; amendments applied: {amendments}").format(
                amendments="; ".join(f"{a.date} {a.reason}" for a in self.amendments)
            )
        return head

    def to_dict(self) -> dict[str, Any]:
        return {
            "plan_id": self.plan_id,
            "version": self.label,
            "approved": self.approved.isoformat() if self.approved else None,
            "approved_by": self.approved_by or None,
            "plan_digest": self.plan_digest,
            "approval_record_digest": self.record_digest,
            "approval_record_entry": self.record_entry or None,
            "amendments": [
                {
                    "date": a.date.isoformat(),
                    "reason": a.reason,
                    "changes": a.changes,
                    "refit": a.refit,
                }
                for a in self.amendments
            ],
        }


@dataclass
class LoadedPlan:
    """A validated plan, its site config, the store URL and every amended text."""

    path: Path
    site: SiteConfig
    store_url: str
    base: MVPlan
    amended: list[MVPlan] = field(default_factory=list)  # after amendment 1, 2, ...
    digest: str = ""  # of the plan body
    raw_items: dict[str, list[Any]] = field(default_factory=dict)  # ledger kind -> raw items
    record: ApprovalRecord | None = None
    approval: int | None = None  # index of this version's approval entry in the record
    pending: list[str] = field(default_factory=list)  # what is not approved yet

    @property
    def approved(self) -> bool:
        return self.approval is not None

    @property
    def site_dir(self) -> Path:
        """The site file's folder (a meter's own profile file is relative to it)."""
        return (self.path.parent / self.base.site_config).parent

    def entries_in_force(self, day: date | None = None) -> list[int]:
        """Record entries (indexes) behind the text in force on ``day``: approval + ledger."""
        if self.record is None or self.approval is None:
            return []
        out = [self.approval]
        for i, e in self.record.ledger(self.approval, "amendment"):
            if day is None or date.fromisoformat(e["item_date"]) <= day:
                out.append(i)
        for i, e in self.record.ledger(self.approval, "adjustment"):
            if day is None or date.fromisoformat(e["item_date"]) <= day:
                out.append(i)
        return sorted(out)

    def as_of(self, day: date | None = None) -> tuple[MVPlan, PlanVersion]:
        """The plan in force on ``day`` (all amendments and adjustments when None)."""
        applied = [a for a in self.base.amendments if day is None or a.date <= day]
        plan = self.amended[len(applied) - 1] if applied else self.base
        plan = plan.model_copy(
            update={"adjustments": [a for a in plan.adjustments if day is None or a.date <= day]}
        )
        if self.record is None or self.approval is None:
            return plan, PlanVersion(
                self.base.id, self.base.version, None, tuple(applied), plan_digest=self.digest
            )
        entry = self.record.entries[self.approval]
        last = self.entries_in_force(day)[-1]
        return plan, PlanVersion(
            self.base.id,
            self.base.version,
            date.fromisoformat(entry["date"]),
            tuple(applied),
            entry["by"],
            self.digest,
            self.record.entries[last]["digest"],
            last + 1,
        )


LEDGERS = ("amendments", "adjustments")
"""The dated ledgers: outside the body digest, approved item by item."""


def plan_digest(raw: Mapping[str, Any]) -> str:
    """sha256 of the plan body: everything but the ledgers (amendments, adjustments)."""
    return canonical_digest({k: v for k, v in raw.items() if k not in LEDGERS})


def item_digest(item: Any) -> str:
    """sha256 of one ledger item as written in the plan."""
    return canonical_digest(item)


def apply_change(data: dict[str, Any], path: str, value: Any) -> None:
    """Set ``path`` (``options[air-leaks].status``) in the raw plan data; ValueError if absent."""
    parts = path.split(".")
    node: Any = data
    for n, part in enumerate(parts):
        m = _SEGMENT.match(part)
        if m is None:
            raise ValueError(
                _("{path}: {part} is not a field name or name[id]").format(
                    path=repr(path), part=repr(part)
                )
            )
        name, ident = m.groups()
        last = n == len(parts) - 1
        if not isinstance(node, dict):
            raise ValueError(
                _("{path}: {field} is not a mapping").format(
                    path=repr(path), field=".".join(parts[:n])
                )
            )
        if ident is None:
            if last:
                node[name] = value
                return
            node = node.setdefault(name, {})
            continue
        items = node.get(name)
        if not isinstance(items, list):
            raise ValueError(
                _("{path}: {field} is not a list of items with ids").format(
                    path=repr(path), field=name
                )
            )
        idx = next(
            (
                i
                for i, it in enumerate(items)
                if isinstance(it, dict) and str(it.get("id")) == ident
            ),
            None,
        )
        if idx is None:
            ids = [str(it.get("id")) for it in items if isinstance(it, dict)]
            raise ValueError(
                _("{path}: no item with id {id} in {field}; ids: {ids}").format(
                    path=repr(path), id=repr(ident), field=name, ids=", ".join(ids)
                )
            )
        if last:
            items[idx] = value
            return
        node = items[idx]


def _line(node: yaml.Node | None, *keys: str | int) -> int:
    for key in keys:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == key), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
        else:
            break
    return node.start_mark.line + 1 if node is not None else 1


def _load_site(
    path: Path, raw: dict[str, Any], node: yaml.Node | None, environ: Mapping[str, str]
) -> SiteConfig | None:
    ref = raw.get("site_config")
    if not isinstance(ref, str):
        return None  # the model reports the missing/invalid field with its line
    try:
        return load_site(path.parent / ref, environ)
    except ConfigError as exc:
        raise ConfigError(
            _(
                "{file}:{line}: site_config: {error}\n"
                "(site_config is read relative to the plan, {folder})"
            ).format(file=path, line=_line(node, "site_config"), error=exc, folder=path.parent)
        ) from None


def load_plan(path: str | Path, environ: Mapping[str, str] | None = None) -> LoadedPlan:
    """Validate the plan, its site config and every amendment; ConfigError names file:line."""
    path = Path(path)
    env = os.environ if environ is None else environ
    raw, node = read_yaml(path)
    if not isinstance(raw, dict):
        raise ConfigError(
            _("{file}:1: expected a mapping of plan settings at the top level").format(file=path)
        )
    if "approved" in raw:
        raise ConfigError(
            _(
                "{file}:{line}: approved: the approval is no longer written into the plan; delete "
                "this block and run `plantmeter plan approve {name} --by NAME --date YYYY-MM-DD` "
                "(the agreed date), which pins the baselines and records the approval in {record}"
            ).format(
                file=path,
                line=_line(node, "approved"),
                name=path.name,
                record=approval_path(path).name,
            )
        )
    site = _load_site(path, raw, node, env)
    ctx = {"site": site, "path": path}
    try:
        base = MVPlan.model_validate(raw, context=ctx)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(path, exc, node)) from None
    amended: list[MVPlan] = []
    data = copy.deepcopy(raw)
    data.pop("amendments", None)
    last: date | None = None
    for i, a in enumerate(base.amendments):
        where = f"{path}:{_line(node, 'amendments', i)}: amendments[{i}]"
        if last is not None and a.date < last:
            raise ConfigError(
                _(
                    "{where}.date: {date} is before {last}; list amendments in date order, after "
                    "approval"
                ).format(where=where, date=a.date, last=last)
            )
        last = a.date
        for key, value in a.changes.items():
            if key.split(".")[0].split("[")[0] in (
                "id",
                "version",
                "amendments",
                "adjustments",
                "site_config",
            ):
                raise ConfigError(
                    _(
                        "{where}.changes: {key} cannot be amended; issue a new plan version "
                        "(non-routine adjustments go in the adjustments ledger)"
                    ).format(where=where, key=repr(key))
                )
            try:
                apply_change(data, key, value)
            except ValueError as exc:
                raise ConfigError(f"{where}.changes: {exc}") from None
        try:
            amended.append(
                MVPlan.model_validate({**data, "amendments": raw["amendments"]}, context=ctx)
            )
        except ValidationError as exc:
            raise ConfigError(
                _("{where}: the plan as amended is invalid:").format(where=where)
                + "\n"
                + format_validation_error(path, exc, node)
            ) from None
    for i, a in enumerate(base.amendments):
        plan_i = amended[i]
        for j, m in enumerate(a.refit):
            if m not in plan_i.baselines:
                raise ConfigError(
                    _(
                        "{file}:{line}: amendments[{i}].refit[{j}]: {meter} has no baseline in "
                        "the plan; use one of {meters}"
                    ).format(
                        file=path,
                        line=_line(node, "amendments", i),
                        i=i,
                        j=j,
                        meter=repr(m),
                        meters=", ".join(plan_i.baselines),
                    )
                )
    assert site is not None  # a missing site_config fails validation above
    loaded = LoadedPlan(path, site, site.store.url, base, amended, plan_digest(raw))
    loaded.raw_items = {k: list(raw.get(k) or []) for k in LEDGERS}
    _check_record(loaded, node)
    logger.info(
        "plan %s v%s: %d options, %d loans, %d amendments",
        base.id,
        base.version,
        len(base.options),
        len(base.loans),
        len(base.amendments),
    )
    return loaded


# One whole sentence per ledger: the kind of entry is no English word spliced into a translation
# (Spanish "una enmienda aprobada" but "un ajuste aprobado").
_CHANGED_AFTER_APPROVAL = {
    "amendments": N_(
        "{file}:{line}: amendments[{k}] changed or was removed after it was approved on {date} by "
        "{by}; restore it — an approved amendment is corrected by a new amendment, never edited"
    ),
    "adjustments": N_(
        "{file}:{line}: adjustments[{k}] changed or was removed after it was approved on {date} by "
        "{by}; restore it — an approved adjustment is corrected by a new adjustment, never edited"
    ),
}


def _check_record(loaded: LoadedPlan, node: yaml.Node | None) -> None:
    """Match the plan against its approval record: edits are errors, additions are pending."""
    path = loaded.path
    rec = read_record(approval_path(path))
    loaded.record = rec
    if rec is None:
        loaded.pending = [_("the plan is not approved")]
        return
    if rec.plan_id != loaded.base.id:
        raise ConfigError(
            _(
                "{file}: the approval record is for plan {record_plan}, not {plan}; an approval "
                "record belongs to one plan file"
            ).format(file=rec.path, record_plan=repr(rec.plan_id), plan=repr(loaded.base.id))
        )
    idx = rec.approval_for(loaded.base.version)
    if idx is None:
        loaded.pending = [
            _("version {version} of the plan is not approved").format(version=loaded.base.version)
        ]
        return
    entry = rec.entries[idx]
    if entry["plan_digest"] != loaded.digest:
        raise ConfigError(
            _(
                "{file}:1: the plan body changed after version {version} was approved on {date} "
                "by {by} (approved body {approved}, this body {digest}); restore the approved text "
                "(the signatories hold it, or `git diff`) and record the change under amendments "
                "(date, reason, changes), or issue a new version (raise version:) and approve it "
                "with `plantmeter plan approve`"
            ).format(
                file=path,
                version=loaded.base.version,
                date=entry["date"],
                by=entry["by"],
                approved=entry["plan_digest"],
                digest=loaded.digest,
            )
        )
    loaded.approval = idx
    for kind, ledger in (("amendment", "amendments"), ("adjustment", "adjustments")):
        changed = _CHANGED_AFTER_APPROVAL[ledger]
        items = loaded.raw_items[ledger]
        done = rec.ledger(idx, kind)
        for _entry, e in done:
            k = e["item"]
            if k >= len(items) or item_digest(items[k]) != e["item_digest"]:
                raise ConfigError(
                    _(changed).format(
                        file=path,
                        line=_line(node, ledger, k),
                        k=k,
                        date=e["recorded_at"][:10],
                        by=e["by"],
                    )
                )
        for k in range(len(done), len(items)):
            loaded.pending.append(_("{ledger}[{k}] is not approved").format(ledger=ledger, k=k))
