"""portfolio: a fund's or CP centre's many sites at once, on Dask — above the service layer.

* ``load_portfolio(path) -> LoadedPortfolio``: the portfolio file (``portfolio.config``)
* ``run_site(site, month, opener) -> SiteResult``: one site's task (flags written back,
  savings, baselines, loan status), reading its own data from the store URL
* ``run_portfolio(portfolio, opener, client=None)``: every site on a Dask cluster (a
  ``distributed.Client``) or in this process, with a progress bar
* ``portfolio_summary(results, portfolio)``, ``portfolio_document(summary)``: the report
  (ranked shortfall, loans at risk, totals, avoided CO2e) as a ``reports`` Document

Imports services, reports, analytics and the contracts; takes a store *opener* from the
application (it never opens a URL itself). Names load on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .config import (
        EmissionFactor,
        LoadedPortfolio,
        PortfolioFile,
        SiteEntry,
        SitePlan,
        StoreRef,
        load_portfolio,
    )
    from .report import PortfolioSummary, portfolio_document, portfolio_summary
    from .run import run_portfolio
    from .task import MeterFigures, Opener, SiteResult, run_site

_HOME = {
    "EmissionFactor": "config",
    "LoadedPortfolio": "config",
    "PortfolioFile": "config",
    "SiteEntry": "config",
    "SitePlan": "config",
    "StoreRef": "config",
    "load_portfolio": "config",
    "PortfolioSummary": "report",
    "portfolio_document": "report",
    "portfolio_summary": "report",
    "run_portfolio": "run",
    "MeterFigures": "task",
    "Opener": "task",
    "SiteResult": "task",
    "run_site": "task",
}

__all__ = [
    "EmissionFactor",
    "LoadedPortfolio",
    "MeterFigures",
    "Opener",
    "PortfolioFile",
    "PortfolioSummary",
    "SiteEntry",
    "SitePlan",
    "SiteResult",
    "StoreRef",
    "load_portfolio",
    "portfolio_document",
    "portfolio_summary",
    "run_portfolio",
    "run_site",
]


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module 'portfolio' has no attribute {name!r}")
    return getattr(importlib.import_module(f".{module}", __name__), name)
