"""Log a lasting problem once: loud when it starts, quiet while it lasts, INFO when it clears.

A meter whose voltage register reads NaN on every poll, a full outbox, a broker that is down:
each is one event for the person reading the log, not a line per poll. ``Problems`` keeps
which problems are active and logs

* at the given level (WARNING or ERROR) when a problem starts,
* at DEBUG each time it is seen again while it lasts,
* at INFO when it clears (only if it had been reported).
"""

from __future__ import annotations

import logging
from collections.abc import Hashable

__all__ = ["Problems"]


class Problems:
    """The active problems of one component, keyed by anything hashable."""

    def __init__(self, logger: logging.Logger, level: int = logging.WARNING) -> None:
        self.logger = logger
        self.level = level
        self._active: dict[Hashable, int] = {}  # key -> times seen since it started

    def report(self, key: Hashable, msg: str, *args: object, level: int | None = None) -> bool:
        """Note that problem ``key`` is present; True when it has just started."""
        seen = self._active.get(key)
        self._active[key] = (seen or 0) + 1
        if seen is None:
            self.logger.log(self.level if level is None else level, msg, *args)
            return True
        self.logger.debug(msg + " (still, seen %d times)", *args, seen + 1)
        return False

    def clear(self, key: Hashable, msg: str, *args: object) -> bool:
        """Note that problem ``key`` is gone; True (and an INFO line) when it was active."""
        if self._active.pop(key, None) is None:
            return False
        self.logger.info(msg, *args)
        return True

    def active(self, key: Hashable) -> bool:
        return key in self._active

    def keys(self) -> list[Hashable]:
        return list(self._active)
