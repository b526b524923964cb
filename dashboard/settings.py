"""DashboardSettings: the one typed settings object of the dashboard.

Built by the application package (``plantmeter serve``) or a test, never at import time.
The data directory holds the users database (``users.db``: users, sessions, API tokens, the
audit log, alarm acknowledgements); it is ``PLANTMETER_DATA_DIR`` or, without it,
``$XDG_DATA_HOME/plantmeter`` (``~/.local/share/plantmeter``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["DEFAULT_DATA_DIR_HELP", "DashboardSettings", "default_data_dir"]

DEFAULT_DATA_DIR_HELP = (
    "$PLANTMETER_DATA_DIR, else $XDG_DATA_HOME/plantmeter (~/.local/share/plantmeter)"
)


def default_data_dir(environ: Mapping[str, str] | None = None) -> Path:
    """``PLANTMETER_DATA_DIR``, else ``$XDG_DATA_HOME/plantmeter``, else ``~/.local/share/plantmeter``."""
    env = os.environ if environ is None else environ
    if env.get("PLANTMETER_DATA_DIR"):
        return Path(env["PLANTMETER_DATA_DIR"]).expanduser()
    xdg = env.get("XDG_DATA_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".local" / "share"
    return base / "plantmeter"


class DashboardSettings(BaseModel):
    """What the dashboard serves and how it guards it (every field has a safe default)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sites: tuple[Path, ...] = Field(default=(), description="site YAML files served")
    plans: tuple[Path, ...] = Field(default=(), description="M&V plan YAML files (options, loans)")
    data_dir: Path = Field(default_factory=default_data_dir, description="users.db lives here")
    secure_cookies: bool = Field(
        default=True,
        description="mark cookies Secure (HTTPS only); switch off only on a plain-HTTP plant LAN",
    )
    session_hours: float = Field(default=12.0, gt=0, le=24 * 30)
    token_days: float = Field(default=30.0, gt=0, le=366)
    login_attempts: int = Field(default=5, ge=1, description="failed logins per window")
    login_window_s: float = Field(default=300.0, gt=0)
    max_body_bytes: int = Field(default=64 * 1024, ge=1024, description="larger bodies get 413")
    max_buckets: int = Field(
        default=10_080,
        ge=100,
        description="most buckets one series request may ask (a week of minutes)",
    )

    @property
    def users_db(self) -> Path:
        return self.data_dir / "users.db"
