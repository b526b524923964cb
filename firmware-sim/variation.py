"""Unexplained day-to-day variation: an AR(1) daily multiplier per meter, deterministic per seed.

``u_0 ~ N(0, cv^2)`` (the stationary distribution) and ``u_d = rho u_(d-1) + sqrt(1 - rho^2) cv e_d``,
so every day has standard deviation ``cv`` and neighbouring days correlation ``rho``. The
innovations come in blocks of ``BLOCK`` days, block ``b`` from its own stream
``default_rng([seed, STREAM, meter_index, b])``: the series is the same whichever day is asked
first, and extends past the scenario's end if a live run outlasts it.
"""

from __future__ import annotations

import logging
import math

import numpy as np

from .scenario import UnexplainedSpec

__all__ = ["DailyVariation"]

logger = logging.getLogger(__name__)

BLOCK = 366
STREAM = 1_000_003  # keeps these streams apart from the per-day ones ([seed, day, k])


class DailyVariation:
    """The multiplier ``1 + u_d`` (never below 0) of one meter's own load on each day of the run."""

    def __init__(self, spec: UnexplainedSpec, seed: int, meter_index: int) -> None:
        self.cv = float(spec.cv)
        self.rho = float(spec.rho)
        self.seed = int(seed)
        self.meter_index = int(meter_index)
        self._u = np.empty(0)

    def multiplier(self, day: int) -> float:
        """``max(1 + u_day, 0)`` for day ``day`` >= 0 of the run (days before the start: day 0)."""
        return float(self.multipliers(max(day, 0), max(day, 0) + 1)[0])

    def multipliers(self, first: int, last: int) -> np.ndarray:
        """Multipliers of days ``first`` .. ``last - 1``."""
        if self.cv == 0.0:
            return np.ones(max(last - first, 0))
        self._extend(last)
        return np.maximum(1.0 + self._u[first:last], 0.0)

    def _extend(self, days: int) -> None:
        while self._u.size < days:
            block = self._u.size // BLOCK
            rng = np.random.default_rng([self.seed, STREAM, self.meter_index, block])
            e = rng.standard_normal(BLOCK)
            u = np.empty(BLOCK)
            scale = math.sqrt(1.0 - self.rho * self.rho) * self.cv
            prev = self._u[-1] if self._u.size else None
            for i in range(BLOCK):
                if prev is None:
                    u[i] = self.cv * e[i]
                else:
                    u[i] = self.rho * prev + scale * e[i]
                prev = u[i]
            self._u = np.concatenate((self._u, u))
