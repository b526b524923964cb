"""Simulation time: real time, accelerated (``speed`` > 1) or frozen (``speed`` 0, for tests)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

__all__ = ["SimClock"]


class SimClock:
    """Maps wall-clock time to simulated epoch seconds: ``start + elapsed * speed``.

    ``set(t)`` and ``advance(dt)`` move a clock by hand (any speed), so tests put a fault
    on schedule without sleeping.
    """

    def __init__(self, start: float | datetime | None = None, speed: float = 1.0) -> None:
        if speed < 0:
            raise ValueError("speed must be 0 (frozen) or more")
        if isinstance(start, datetime):
            start = (
                start.astimezone(UTC).timestamp()
                if start.tzinfo
                else start.replace(tzinfo=UTC).timestamp()
            )
        self._lock = threading.Lock()
        self._base = time.time() if start is None else float(start)
        self._mono = time.monotonic()
        self.speed = float(speed)

    def now(self) -> float:
        """Simulated epoch seconds (UTC)."""
        with self._lock:
            return self._base + (time.monotonic() - self._mono) * self.speed

    def now_datetime(self) -> datetime:
        return datetime.fromtimestamp(self.now(), UTC)

    def set(self, t: float | datetime) -> None:
        """Jump to simulated time ``t``."""
        if isinstance(t, datetime):
            t = t.timestamp()
        with self._lock:
            self._base = float(t)
            self._mono = time.monotonic()

    def advance(self, seconds: float) -> None:
        self.set(self.now() + seconds)
