"""Run a portfolio's site tasks: on a Dask cluster (``client``) or in this process.

``run_portfolio(portfolio, opener, client=None)`` submits one task per site
(``portfolio.task.run_site``) with ``client.map`` — the task gets the site's plan path and store
URL, never its readings — and collects results as they complete, with a progress bar on stderr
(tqdm over ``distributed.as_completed``). Without a client the same function runs site by site
in this process: the reference a cluster's figures must equal. Results come back in the
portfolio file's order either way.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from .config import LoadedPortfolio
from .task import Opener, SiteResult, run_site

__all__ = ["run_portfolio"]

logger = logging.getLogger(__name__)


def run_portfolio(
    portfolio: LoadedPortfolio,
    opener: Opener,
    client: Any | None = None,
    *,
    progress: bool = True,
) -> list[SiteResult]:
    """Every site's ``SiteResult`` for the portfolio's month, in file order.

    ``client``: a ``distributed.Client`` (local or remote cluster); None runs in this process.
    ``opener`` must be importable on the workers (a module-level function), as Dask sends it by
    reference. Site files and plans must be readable at the same paths on every worker.
    """
    from tqdm import tqdm

    sites = list(portfolio.sites)
    month = portfolio.month
    bar = tqdm(
        total=len(sites), unit="site", desc="portfolio", file=sys.stderr, disable=not progress
    )
    try:
        if client is None:
            results = []
            for site in sites:
                results.append(run_site(site, month, opener))
                bar.update(1)
            return results
        from distributed import as_completed

        keys = [f"portfolio-site-{i}-{s.site_id}" for i, s in enumerate(sites)]
        futures = client.map(run_site, sites, month=month, opener=opener, key=keys, pure=False)
        done: dict[str, SiteResult] = {}
        for future in as_completed(futures):  # type: ignore[no-untyped-call]
            done[future.key] = future.result()
            bar.update(1)
        return [done[k] for k in keys]
    finally:
        bar.close()
