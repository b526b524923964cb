"""The approval record of an M&V plan: ``<plan>.approved.json`` next to the plan.

A chain of entries, appended by ``plantmeter plan approve`` and never rewritten:

* ``approval`` — a plan version approved: the plan body's digest, who, the agreed date, when it
  was recorded, and the baselines fitted then (model ``to_dict()``, statistics, and the
  fingerprint of the readings they were fitted on; see ``reports.readings``);
* ``amendment`` / ``adjustment`` — one ledger item of the plan approved: its index, its own
  digest, who, when; an amendment that refits carries the refitted baselines.

Each entry holds the digest of the previous one (``prev``) and its own (``digest``: SHA-256 of
the entry's canonical JSON without ``digest``), so the last entry's digest, printed on every
report, fixes the whole history: the signatories keep it (or a copy of the file) and can tell
any later edit of the plan, of a ledger item or of the record itself. It proves which approved
text a report used; it is not a signature (anyone can write a new record with a new digest,
which is why the digest the signatories hold is the reference).

Why a file and not a store table: it is reviewable (plain JSON, diffable, can be attached to
the loan file), it travels with the plan it approves, and it survives a store migration
(SQLite to InfluxDB) untouched; the readings it fingerprints stay in the store.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from plantmeter.errors import ConfigError

__all__ = [
    "FORMAT",
    "ApprovalRecord",
    "approval_path",
    "canonical_digest",
    "entry_digest",
    "read_record",
    "write_record",
]

logger = logging.getLogger(__name__)

FORMAT = "plantmeter-approval/1"


def approval_path(plan_path: Path) -> Path:
    """``mv-plan.yaml`` -> ``mv-plan.approved.json`` (same folder)."""
    return plan_path.with_name(plan_path.stem + ".approved.json")


def _clean(v: Any) -> Any:
    """Plain JSON types (tuples to lists). NaN stays NaN: models store it (e.g. no balance
    point) and Python's json writes and reads it as the token ``NaN``."""
    if isinstance(v, dict):
        return {str(k): _clean(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_clean(x) for x in v]
    return v


def canonical_digest(obj: Any) -> str:
    """sha256 of ``obj`` as canonical JSON (sorted keys, no spaces, dates as ISO text)."""
    text = json.dumps(_clean(obj), sort_keys=True, default=str, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def entry_digest(entry: dict[str, Any]) -> str:
    return canonical_digest({k: v for k, v in entry.items() if k != "digest"})


@dataclass
class ApprovalRecord:
    """The parsed record; ``entries`` are JSON dicts in the order they were appended."""

    path: Path
    plan_id: str
    entries: list[dict[str, Any]] = field(default_factory=list)

    @property
    def head(self) -> str | None:
        return self.entries[-1]["digest"] if self.entries else None

    def approval_for(self, version: int) -> int | None:
        """Index of the (last) approval entry of plan ``version``."""
        found = None
        for i, e in enumerate(self.entries):
            if e["kind"] == "approval" and e["version"] == version:
                found = i
        return found

    def ledger(self, start: int, kind: str) -> list[tuple[int, dict[str, Any]]]:
        """(entry index, entry) of the ``kind`` items approved after entry ``start``."""
        return [(i, e) for i, e in enumerate(self.entries) if i > start and e["kind"] == kind]

    def append(self, entry: dict[str, Any]) -> dict[str, Any]:
        entry = _clean({**entry, "prev": self.head})
        entry["digest"] = entry_digest(entry)
        self.entries.append(entry)
        return entry


def read_record(path: Path) -> ApprovalRecord | None:
    """The record at ``path`` (None when absent); ConfigError if it was edited or is not one."""
    if not path.exists():
        return None
    try:
        raw = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: not a readable approval record ({exc})") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise ConfigError(f"{path}: not a PlantMeter approval record (format {FORMAT!r})")
    rec = ApprovalRecord(path, str(raw.get("plan_id")), list(raw.get("entries") or []))
    prev = None
    for i, e in enumerate(rec.entries):
        if not isinstance(e, dict) or e.get("prev") != prev or e.get("digest") != entry_digest(e):
            raise ConfigError(
                f"{path}: entry {i + 1} of the approval record was edited (it no longer hashes to "
                "its digest, or the chain is broken); restore the record from the copy the "
                "signatories hold — an approval is changed only by appending with "
                "`plantmeter plan approve`"
            )
        prev = e["digest"]
    return rec


def write_record(rec: ApprovalRecord) -> None:
    """Write atomically (a temporary file renamed over the record)."""
    tmp = rec.path.with_name(rec.path.name + ".tmp")
    body = {"format": FORMAT, "plan_id": rec.plan_id, "entries": rec.entries}
    tmp.write_text(json.dumps(body, indent=1, sort_keys=True) + "\n")
    tmp.replace(rec.path)
    logger.info("approval record %s: %d entries, head %s", rec.path, len(rec.entries), rec.head)
