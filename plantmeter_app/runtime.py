"""Helpers for entry points: logging set-up, opening stores from URLs, and running an asyncio
service until Ctrl-C.

The packages below the application take a ``SeriesStore`` object, never a URL: a command opens
the store here, passes it down and closes it. Readers (reports, savings, plan approval, flags
read-back) open it read-only, which never creates it: a mistyped path is an error naming the
file that was looked for, not an empty store reporting "no readings".
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from plantmeter.store import SeriesStore
    from reports.load import LoadedPlan

__all__ = [
    "configure_logging",
    "existing_store",
    "plan_store",
    "reading_store",
    "run_until_signal",
]

logger = logging.getLogger(__name__)


THIRD_PARTY_DEBUG = (
    "numba",
    "matplotlib",
    "PIL",
    "urllib3",
    "httpx",
    "httpcore",
    "asyncio",
    "bokeh",
    "tornado",
)
"""Libraries kept at INFO when PlantMeter logs at DEBUG."""


def configure_logging(level: str = "INFO") -> None:
    """One line per event: time, level, component, message. Third-party chatter is quieted."""
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        datefmt="%Y-%m-%d %H:%M:%S",
    )
    # pymodbus logs every timeout at ERROR; the gateway reports meter health itself.
    logging.getLogger("pymodbus").setLevel(logging.CRITICAL)
    # --log-level DEBUG is for PlantMeter's own steps: numba's compiler passes, matplotlib's
    # font search and the HTTP clients' connection chatter would bury them (thousands of lines)
    for chatty in THIRD_PARTY_DEBUG:
        logging.getLogger(chatty).setLevel(max(logging.INFO, logging.getLogger().level))
    # fontTools logs each table it subsets at INFO: fifteen lines per PDF report, never useful
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    # Dask logs each worker's start and stop (thirty lines per portfolio run): only under DEBUG
    below_info = logging.getLogger().level < logging.INFO
    logging.getLogger("distributed").setLevel(logging.INFO if below_info else logging.WARNING)
    # distributed sets its loggers from Dask's config when first imported (later than this),
    # in this process and in each worker process: tell it through the config's environment
    os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "info" if below_info else "warning")


def run_until_signal(service: Callable[[asyncio.Event], Coroutine[Any, Any, None]]) -> None:
    """Run ``service(stop)`` until it returns or SIGINT/SIGTERM sets ``stop`` (clean shutdown)."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await service(stop)

    asyncio.run(main())


@contextmanager
def reading_store(url: str) -> Iterator[SeriesStore]:
    """The store at ``url`` opened read-only (never created), closed when the block ends."""
    from ingest.stores import open_store  # heavy: only when a command reads a store

    store = open_store(url, read_only=True)
    try:
        yield store
    finally:
        store.close()


@contextmanager
def existing_store(url: str) -> Iterator[SeriesStore]:
    """The store at ``url`` opened for writing but never created (``plantmeter flags`` stores
    its flags in the store it read), closed when the block ends."""
    from ingest.stores import open_store

    store = open_store(url, create=False)
    try:
        yield store
    finally:
        store.close()


@contextmanager
def plan_store(loaded: LoadedPlan) -> Iterator[SeriesStore]:
    """The plan's store (its site config's ``store.url`` or ``PLANTMETER_STORE_URL``),
    read-only: reports, savings and ``plan approve`` read readings (approval writes only its
    record file next to the plan)."""
    with reading_store(loaded.store_url) as store:
        yield store
