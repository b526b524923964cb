"""``plantmeter portfolio``: every site of a portfolio on Dask; ``plantmeter sim-portfolio``:
generate one from the simulator's sector catalogue.

The cluster is made here (the composition root): a ``distributed.LocalCluster`` of worker
processes by default, or a ``Client`` of the scheduler given with ``--scheduler``. The site tasks
open their store with ``plantmeter_app.runtime.existing_store`` (sent to workers by reference).
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from plantmeter.errors import ConfigError
from plantmeter.i18n import _, format_number

__all__ = ["dask_client", "register", "run_portfolio_command", "run_sim_portfolio"]

logger = logging.getLogger(__name__)


def register(subparsers: Any) -> None:
    """Add ``portfolio`` and ``sim-portfolio`` to the ``plantmeter`` parser."""
    p = subparsers.add_parser(
        "portfolio",
        help=_("baselines, savings, flags and loan status of every site of a portfolio, on Dask"),
        description=_(
            "Run every site of PORTFOLIO.yaml (see portfolio/README.md) as a Dask task that "
            "reads its own readings from its store, write the flags back, and print or write the "
            "portfolio report: sites ranked by savings shortfall, loans at risk, totals and avoided CO2e."
        ),
    )
    p.add_argument("portfolio", type=Path, help=_("the portfolio file (YAML)"))
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help=_("a running Dask scheduler, e.g. tcp://10.0.0.5:8786 (default: a local cluster)"),
    )
    p.add_argument(
        "--workers",
        type=int,
        default=2,
        help=_("worker processes of the local cluster (default 2)"),
    )
    p.add_argument(
        "--in-process", action="store_true", help=_("no cluster: run the sites one by one here")
    )
    p.add_argument(
        "--out", help=_("write the report to FILE.pdf, .html or .json (default: a summary)")
    )
    p.add_argument("--no-progress", action="store_true", help=_("hide the progress bar"))
    p.add_argument(
        "--lang",
        help=_(
            "the report's language and number format: es_GT, es_MX, es_CO, pt_BR, en "
            "(default: the portfolio file's locale, else en)"
        ),
    )
    p.set_defaults(func=run_portfolio_command)

    s = subparsers.add_parser(
        "sim-portfolio",
        help=_(
            "generate N simulated plants (dairy, textiles, tanning, sugar, coffee) into a store"
        ),
        description=_(
            "Write N plants from the simulator's sector catalogue (site files, M&V plans, "
            "scenarios and portfolio.yaml) to DIR and their history straight into the store."
        ),
    )
    s.add_argument("n", type=int, help=_("number of plants"))
    s.add_argument("--out", type=Path, required=True, help=_("directory for the files"))
    s.add_argument("--store", help=_("store URL (default: sqlite:///DIR/portfolio.db)"))
    s.add_argument(
        "--month", default="2025-03", help=_("reporting month YYYY-MM (default 2025-03)")
    )
    s.add_argument(
        "--baseline-days",
        type=int,
        default=365,
        help=_("days of baseline before the month (default 365, the year CalTRACK asks for)"),
    )
    s.add_argument("--seed", type=int, default=0)
    s.set_defaults(func=run_sim_portfolio)


@contextmanager
def dask_client(scheduler: str | None, workers: int = 2) -> Iterator[Any]:
    """A ``distributed.Client``: of ``scheduler`` when given, else of a local cluster of
    ``workers`` single-threaded worker processes; closed (the local cluster stopped) at the end."""
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout="10s")  # type: ignore[no-untyped-call]
        except OSError as exc:
            raise ConfigError(
                _(
                    "--scheduler {address}: no Dask scheduler answers there ({error}); start one "
                    "with `dask scheduler` and workers with `dask worker ADDRESS`, or leave "
                    "--scheduler out"
                ).format(address=scheduler, error=exc)
            ) from None
        logger.info(
            _("Dask scheduler {address}: {n} workers").format(
                address=scheduler, n=len(client.scheduler_info().get("workers", {}))
            )
        )
        try:
            yield client
        finally:
            client.close()  # type: ignore[no-untyped-call]
        return
    if workers < 1:
        raise ConfigError(_("--workers: give at least 1"))
    with (
        LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,  # type: ignore[no-untyped-call]
    ):
        logger.info(_("local Dask cluster: {n} worker processes").format(n=workers))
        yield client


def run_portfolio_command(args: argparse.Namespace) -> int:
    """Entry point of ``plantmeter portfolio``."""
    from portfolio import load_portfolio, portfolio_document, portfolio_summary, run_portfolio
    from services import check_output, write

    from ..language import lang_option
    from ..runtime import existing_store

    if args.out:
        check_output(args.out)
    locale = lang_option(args.lang)
    loaded = load_portfolio(args.portfolio)
    if args.in_process:
        results = run_portfolio(loaded, existing_store, None, progress=not args.no_progress)
    else:
        with dask_client(args.scheduler, args.workers) as client:
            results = run_portfolio(loaded, existing_store, client, progress=not args.no_progress)
    summary = portfolio_summary(results, loaded)
    doc = portfolio_document(summary, locale or loaded.spec.locale)
    if args.out:
        path = write(doc, args.out)
        print(_("wrote {path}").format(path=path))
    else:
        print(doc.title)
        print(doc.summary)
        for r in summary.ranked[:20]:
            short = "—" if r.shortfall is None else format_number(r.shortfall, 0, r.currency)
            label = _("shortfall")
            print(f"  {r.site:<24} {label} {short:>14}  {r.error or ''}")
    for r in summary.failed:
        logger.error(
            _("site {site} could not be computed: {error}").format(site=r.site, error=r.error)
        )
    return 1 if summary.failed else 0


def run_sim_portfolio(args: argparse.Namespace) -> int:
    """Entry point of ``plantmeter sim-portfolio``."""
    from firmware_sim.portfolio import generate_portfolio
    from tqdm import tqdm

    from ingest.stores import open_store

    if args.n < 1:
        raise ConfigError(_("N: give at least 1 plant"))
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    url = args.store or f"sqlite:///{(out / 'portfolio.db').resolve()}"
    store = open_store(url)
    try:
        with tqdm(total=args.n, unit="plant", desc="plants") as bar:
            made = generate_portfolio(
                args.n,
                out,
                store,
                url,
                month=args.month,
                baseline_days=args.baseline_days,
                seed=args.seed,
                progress=lambda _: bar.update(1),
            )
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    finally:
        store.close()
    print(
        _("wrote {path} ({n} plants, store {store})").format(
            path=made.path, n=format_number(len(made.plants)), store=url
        )
    )
    return 0
