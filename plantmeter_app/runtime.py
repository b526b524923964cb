"""Helpers for entry points: logging set-up and running an asyncio service until Ctrl-C."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable, Coroutine
from typing import Any

__all__ = ["configure_logging", "run_until_signal"]


def configure_logging(level: str = "INFO") -> None:
    """One line per event: time, level, component, message. Third-party chatter is quieted."""
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        datefmt="%Y-%m-%d %H:%M:%S",
    )
    # pymodbus logs every timeout at ERROR; the gateway reports meter health itself.
    logging.getLogger("pymodbus").setLevel(logging.CRITICAL)


def run_until_signal(service: Callable[[asyncio.Event], Coroutine[Any, Any, None]]) -> None:
    """Run ``service(stop)`` until it returns or SIGINT/SIGTERM sets ``stop`` (clean shutdown)."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await service(stop)

    asyncio.run(main())
