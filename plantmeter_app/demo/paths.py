"""Where the demo keeps its state, and what it remembers between runs.

Everything lives in one data directory (``--data-dir``, default ``var/`` under the current
directory): the store (``dairy.db``), the site and plan files the demo runs with (copies of
the example, the site file pointed at what is running now), the plan's approval record, the
users and the alert ledger (``users.db``, ``alerts.db``), the history CSV files, the e-mails the
demo's mail sink received and ``demo-state.json``: how far the history and the simulated clock
got, so that a second run resumes instead of regenerating.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO

from plantmeter.i18n import _

__all__ = ["DemoPaths", "DemoState"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DemoPaths:
    """The files of one demo data directory."""

    root: Path

    @property
    def site(self) -> Path:
        return self.root / "site.yaml"

    @property
    def plan(self) -> Path:
        return self.root / "mv-plan.yaml"

    @property
    def store(self) -> Path:
        return self.root / "dairy.db"

    @property
    def outbox(self) -> Path:
        return self.root / "dairy-outbox.db"

    @property
    def history(self) -> Path:
        return self.root / "history"

    @property
    def mail(self) -> Path:
        return self.root / "mail"

    @property
    def state(self) -> Path:
        return self.root / "demo-state.json"

    @property
    def lock(self) -> Path:
        return self.root / "demo.lock"

    def create(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o700)  # users.db and alerts.db refuse a folder others can read
        self.mail.mkdir(exist_ok=True)

    def acquire(self) -> IO[str]:
        """Hold ``demo.lock`` for this run (released when the process ends): two demos on one
        data directory would write the same history files and store."""
        from plantmeter.errors import ConfigError

        handle = self.lock.open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            raise ConfigError(
                _(
                    "another plantmeter demo runs on {folder}; stop it, or give this one its own "
                    "--data-dir (and --port)"
                ).format(folder=self.root)
            ) from None
        return handle


@dataclass
class DemoState:
    """What a finished (or interrupted) run leaves for the next one.

    ``history_end`` is the end (epoch s, exclusive) of the history imported so far; ``sim_time``
    the simulated clock when the live simulator last reported (it runs ahead of the wall clock
    with ``--speed`` > 1, and the next run must not start its counters below it); ``store`` the
    store URL the history went to (another store means another history).
    """

    store: str = ""
    history_start: float = 0.0
    history_end: float = 0.0
    sim_time: float = 0.0
    approved: bool = False
    runs: int = 0
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> DemoState:
        if not path.is_file():
            return cls()
        try:
            data = json.loads(path.read_text())
            return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})
        except (ValueError, TypeError) as exc:  # a damaged file: start over, say so
            logger.warning(
                _("demo: {file} is unreadable ({error}); the history is regenerated").format(
                    file=path, error=exc
                )
            )
            return cls()

    def save(self, path: Path) -> None:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=1))
        tmp.replace(path)  # atomic: a Ctrl-C never leaves half a state file
