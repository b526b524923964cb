"""What is normal for a meter and what its excess costs: the references the flag detectors use.

A ``MeterReference`` is taken from the M&V plan (``plantmeter flags --plan``): the baseline
period the detectors learn from (operating hours, night flow, how long a counter rests, the
daily expectation) and the meter's driver meters. A ``Costing`` turns excess use into money
with the plan's tariff (hour-of-week prices, so a time-of-use tariff is valued at the hours the
excess happened) and words it for a plant manager, in units and local time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from plantmeter.i18n import N_
from plantmeter.text import Day, Num, Text

__all__ = ["Costing", "MeterReference", "RATE_UNITS", "UNITS", "local_when", "when_text"]

UNITS = {
    "electricity": "kWh",
    "water": "m³",
    "gas": "m³",
    "thermal": "kWh",
    "production": "units",
}
"""Usage unit per meter kind, as the counters record it."""
RATE_UNITS = {"electricity": "kW", "water": "m³/h", "gas": "m³/h", "thermal": "kW"}
"""Rate unit (use per hour) per meter kind."""


@dataclass(frozen=True)
class MeterReference:
    """The period [start, end) a meter's detectors learn what is normal from, and its drivers.

    ``start``/``end`` are tz-aware timestamps; ``temperature``/``production`` are the ids of the
    driver meters its daily expectation uses (the plan's ``baselines`` entry); None = no driver.
    """

    start: pd.Timestamp
    end: pd.Timestamp
    temperature: str | None = None
    production: str | None = None


@dataclass(frozen=True)
class Costing:
    """Units, tariff and currency of one meter: what an excess is in the plant manager's words.

    ``prices``: 168 prices per usage unit, one per local hour of the week (Monday 00:00 first);
    empty when the plan gives no tariff for the meter's kind (excess is then stated in energy).
    """

    unit: str = ""
    rate_unit: str = ""
    prices: tuple[float, ...] = ()
    currency: str = ""

    @classmethod
    def for_kind(cls, kind: str, prices: tuple[float, ...] = (), currency: str = "") -> Costing:
        return cls(UNITS.get(kind, ""), RATE_UNITS.get(kind, ""), tuple(prices), currency)

    def hourly_price(self, index: pd.DatetimeIndex) -> np.ndarray | None:
        """Price of each (local) hour of ``index``; None without a tariff."""
        if len(self.prices) != 168:
            return None
        how = np.asarray(index.day_of_week * 24 + index.hour, dtype=np.int64)
        return np.asarray(self.prices, dtype=float)[how]

    def cost(self, use: pd.Series) -> float | None:
        """Money of an hourly (local-indexed) use series at the tariff; None without a tariff."""
        price = self.hourly_price(pd.DatetimeIndex(use.index))
        if price is None:
            return None
        return float(np.nansum(use.to_numpy(dtype=float) * price))

    def day_price(self, days: pd.DatetimeIndex) -> np.ndarray | None:
        """Mean price of each local day of ``days`` (a daily excess has no hour)."""
        if len(self.prices) != 168:
            return None
        per_dow = np.asarray(self.prices, dtype=float).reshape(7, 24).mean(axis=1)
        return per_dow[np.asarray(days.day_of_week, dtype=np.int64)]

    def quantity(self, value: float, unit: str | None = None) -> Num | str:
        """``0.3 m³/h``, ``84 kWh``: 2 significant figures below 10, whole numbers above, in the
        reader's number format when shown ('?' when not finite)."""
        u = self.unit if unit is None else unit
        if not math.isfinite(value):
            return f"? {u}".strip()
        return Num(value, 0 if abs(value) >= 10 else None, u, sig=2)

    def amount(self, value: float, unit: str | None = None) -> str:
        """``quantity`` as text in the current locale."""
        q = self.quantity(value, unit)
        return q if isinstance(q, str) else q.render()

    def per_day_text(self, energy: float, money: float | None) -> Text:
        """``≈ 9 USD a day`` with a tariff, else ``≈ 216 m³ a day``."""
        if money is not None and math.isfinite(money):
            if not self.currency:
                return Text(N_("≈ {amount} a day"), amount=self.quantity(money, ""))
            return Text(
                N_("≈ {amount} {currency} a day"),
                amount=self.quantity(money, ""),
                currency=self.currency,
            )
        return Text(N_("≈ {amount} a day"), amount=self.quantity(energy))

    def per_day(self, energy: float, money: float | None) -> str:
        """``per_day_text`` in the current locale."""
        return self.per_day_text(energy, money).render()


def when_text(ms: int, tz: str) -> Text:
    """``02:00 on 1 Oct 2025``: an instant in the site's local time, as a plant manager reads it
    (the month's name in the reader's language when shown)."""
    t = pd.Timestamp(int(ms), unit="ms", tz="UTC").tz_convert(tz)
    return Text(N_("{time} on {day}"), time=f"{t:%H:%M}", day=Day(t.date(), "d MMM y"))


def local_when(ms: int, tz: str) -> str:
    """``when_text`` in the current locale."""
    return when_text(ms, tz).render()
