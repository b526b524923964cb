"""Load an M&V plan with its site config, check its approval digest, apply amendments.

``load_plan(path)`` -> ``LoadedPlan``; ``loaded.as_of(day)`` gives the plan as amended by
every amendment dated on or before ``day`` and the ``PlanVersion`` a report prints.

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
import hashlib
import json
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
from plantmeter.yamlconf import format_validation_error, read_yaml

from .plan import Amendment, MVPlan

__all__ = ["LoadedPlan", "PlanVersion", "apply_change", "load_plan", "plan_digest"]

logger = logging.getLogger(__name__)

_SEGMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?:\[([A-Za-z0-9_-]+)\])?$")


@dataclass(frozen=True)
class PlanVersion:
    """Which text of the plan a report used: the approved version plus its amendments."""

    plan_id: str
    version: int
    approved: date | None
    amendments: tuple[Amendment, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.version}" + (f".{len(self.amendments)}" if self.amendments else "")

    def describe(self) -> str:
        head = f"M&V plan {self.plan_id} version {self.label}"
        head += f" (approved {self.approved})" if self.approved else " (not yet approved)"
        if self.amendments:
            head += "; amendments applied: " + "; ".join(
                f"{a.date} {a.reason}" for a in self.amendments
            )
        return head

    def to_dict(self) -> dict[str, Any]:
        return {
            "plan_id": self.plan_id,
            "version": self.label,
            "approved": self.approved.isoformat() if self.approved else None,
            "amendments": [
                {"date": a.date.isoformat(), "reason": a.reason, "changes": a.changes}
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

    def as_of(self, day: date | None = None) -> tuple[MVPlan, PlanVersion]:
        """The plan in force on ``day`` (all amendments when None)."""
        applied = [a for a in self.base.amendments if day is None or a.date <= day]
        plan = self.amended[len(applied) - 1] if applied else self.base
        approved = self.base.approved.date if self.base.approved else None
        return plan, PlanVersion(self.base.id, self.base.version, approved, tuple(applied))


def plan_digest(raw: Mapping[str, Any]) -> str:
    """sha256 of the plan body (without amendments and without the digest itself)."""
    body = {k: v for k, v in raw.items() if k != "amendments"}
    if isinstance(body.get("approved"), dict):
        body["approved"] = {k: v for k, v in body["approved"].items() if k != "digest"}
    text = json.dumps(body, sort_keys=True, default=str, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def apply_change(data: dict[str, Any], path: str, value: Any) -> None:
    """Set ``path`` (``options[air-leaks].status``) in the raw plan data; ValueError if absent."""
    parts = path.split(".")
    node: Any = data
    for n, part in enumerate(parts):
        m = _SEGMENT.match(part)
        if m is None:
            raise ValueError(f"{path!r}: {part!r} is not a field name or name[id]")
        name, ident = m.groups()
        last = n == len(parts) - 1
        if not isinstance(node, dict):
            raise ValueError(f"{path!r}: {'.'.join(parts[:n])} is not a mapping")
        if ident is None:
            if last:
                node[name] = value
                return
            node = node.setdefault(name, {})
            continue
        items = node.get(name)
        if not isinstance(items, list):
            raise ValueError(f"{path!r}: {name} is not a list of items with ids")
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
                f"{path!r}: no item with id {ident!r} in {name}; ids: {', '.join(ids)}"
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
            f"{path}:{_line(node, 'site_config')}: site_config: {exc}\n"
            f"(site_config is read relative to the plan, {path.parent})"
        ) from None


def load_plan(path: str | Path, environ: Mapping[str, str] | None = None) -> LoadedPlan:
    """Validate the plan, its site config and every amendment; ConfigError names file:line."""
    path = Path(path)
    env = os.environ if environ is None else environ
    raw, node = read_yaml(path)
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}:1: expected a mapping of plan settings at the top level")
    site = _load_site(path, raw, node, env)
    ctx = {"site": site, "path": path}
    try:
        base = MVPlan.model_validate(raw, context=ctx)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(path, exc, node)) from None
    if base.approved and base.approved.digest and base.approved.digest != plan_digest(raw):
        raise ConfigError(
            f"{path}:{_line(node, 'approved', 'digest')}: approved.digest: the plan body changed "
            f"after approval (it now hashes to {plan_digest(raw)}); restore the approved text and "
            "record the change under amendments (date, reason, changes)"
        )
    amended: list[MVPlan] = []
    data = copy.deepcopy(raw)
    data.pop("amendments", None)
    last = base.approved.date if base.approved else None
    for i, a in enumerate(base.amendments):
        where = f"{path}:{_line(node, 'amendments', i)}: amendments[{i}]"
        if base.approved is None:
            raise ConfigError(f"{where}: the plan is not approved; edit it directly until approval")
        if last is not None and a.date < last:
            raise ConfigError(
                f"{where}.date: {a.date} is before {last}; list amendments in date order, after approval"
            )
        last = a.date
        for key, value in a.changes.items():
            if key.split(".")[0].split("[")[0] in (
                "id",
                "version",
                "approved",
                "amendments",
                "site_config",
            ):
                raise ConfigError(
                    f"{where}.changes: {key!r} cannot be amended; issue a new plan version"
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
                f"{where}: the plan as amended is invalid:\n"
                + format_validation_error(path, exc, node)
            ) from None
    assert site is not None  # a missing site_config fails validation above
    logger.info(
        "plan %s v%s: %d options, %d loans, %d amendments",
        base.id,
        base.version,
        len(base.options),
        len(base.loans),
        len(base.amendments),
    )
    return LoadedPlan(path, site, site.store.url, base, amended)
