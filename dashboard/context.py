"""What the dashboard serves: the site configs, the M&V plans with their loans, the store.

Built once when the app is created (``DashboardContext.load``) and shared read-only by every
request; the store is the read-only SeriesStore the application package opened.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from plantmeter.config import MeterConfig, SiteConfig, load_site
from plantmeter.errors import ConfigError
from plantmeter.store import SeriesStore
from reports.load import LoadedPlan, load_plan
from reports.plan import LoanSpec

__all__ = ["DashboardContext", "LoanRef", "SiteRef"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SiteRef:
    """A served site: its config, the folder its meters' profile files are relative to, its plan."""

    config: SiteConfig
    base_dir: Path
    plan: LoadedPlan | None

    @property
    def id(self) -> str:
        return self.config.site.id

    def meter(self, meter_id: str) -> MeterConfig | None:
        return next((m for m in self.config.meters if m.id == meter_id), None)


@dataclass(frozen=True, slots=True)
class LoanRef:
    """A loan of a served plan: the plan it is in and the borrower site."""

    spec: LoanSpec
    plan: LoadedPlan

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def site(self) -> str:
        return self.plan.site.site.id


@dataclass
class DashboardContext:
    """Sites by id (site-file order), loans by id, the store, and a small result cache."""

    sites: dict[str, SiteRef]
    loans: dict[str, LoanRef]
    store: SeriesStore
    _cache: dict[tuple[Any, ...], Any] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def load(
        cls, sites: Sequence[Path], plans: Sequence[Path], store: SeriesStore
    ) -> DashboardContext:
        """Validate every site and plan file (ConfigError names the file and field)."""
        by_id: dict[str, SiteRef] = {}
        for path in sites:
            cfg = load_site(path)
            if cfg.site.id in by_id:
                raise ConfigError(
                    f"{path}: site {cfg.site.id!r} is served twice; give each site file once"
                )
            by_id[cfg.site.id] = SiteRef(cfg, Path(path).parent, None)
        loans: dict[str, LoanRef] = {}
        for path in plans:
            loaded = load_plan(path)
            sid = loaded.site.site.id
            if sid in by_id and by_id[sid].plan is not None:
                raise ConfigError(
                    f"{path}: site {sid!r} has a plan already; give one plan per site"
                )
            prev = by_id.get(sid)
            by_id[sid] = SiteRef(prev.config if prev else loaded.site, loaded.site_dir, loaded)
            for version_plan in (loaded.base, *loaded.amended):
                for spec in version_plan.loans:
                    if spec.id in loans and loans[spec.id].plan is not loaded:
                        raise ConfigError(
                            f"{path}: loan {spec.id!r} is in two plans; loan ids must be unique"
                        )
                    loans[spec.id] = LoanRef(spec, loaded)
        logger.info("dashboard serves %d site(s), %d loan(s)", len(by_id), len(loans))
        return cls(by_id, loans, store)

    def cached(self, key: tuple[Any, ...], compute: Callable[[], Any], keep: int = 64) -> Any:
        """``compute()`` once per ``key`` (callers put the store revision in the key)."""
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        value = compute()
        with self._lock:
            if len(self._cache) >= keep:
                self._cache.pop(next(iter(self._cache)))
            self._cache[key] = value
        return value

    def revision(self, site: str) -> int:
        """The newest stored reading of ``site`` (ms): what a cached figure depends on."""
        latest = self.store.latest(site)
        return max((v.ts_ms for v in latest), default=0)
