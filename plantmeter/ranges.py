"""Plausible values per quantity and unit: the one table every check reads.

Two kinds of limit: what a single value may be (a negative counter, humidity above 100 %RH,
an outdoor temperature of 95 °C cannot be), and what the mean of a series may be (an outdoor
temperature averaging 75 °C is a °F file read as °C, even though no single value is impossible
for a sensor). ``check_values`` applies them and says what is wrong and the likely fix;
CSV import and ``plantmeter savings`` refuse on it (``--force`` overrides), the anomaly
detectors flag single values outside ``PLAUSIBLE``.

``temperature`` means ambient or outdoor air, the baseline driver: a process temperature
(a hot-water tank at 75 °C) belongs in its own quantity name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from plantmeter.i18n import N_, _, format_significant

__all__ = ["PLAUSIBLE", "RANGES", "Range", "canonical_unit", "check_values", "unit_conversion_hint"]


@dataclass(frozen=True, slots=True)
class Range:
    """Limits for one (quantity, unit); ``None`` = no limit on that side."""

    low: float | None = None
    high: float | None = None
    mean_low: float | None = None
    mean_high: float | None = None
    hint: str = ""  # the likely mistake and its fix (marked N_, translated when shown)


_F_HINT = N_("it looks like °F: convert with °C = (°F − 32) / 1.8")
RANGES: dict[tuple[str, str], Range] = {
    # world records of air temperature are −89 °C and 57 °C; the hottest annual means are ≈ 35 °C
    ("temperature", "degC"): Range(-60.0, 80.0, -40.0, 45.0, _F_HINT),
    ("temperature", "degF"): Range(
        -76.0, 176.0, -40.0, 113.0, N_("it looks like °C: convert with °F = °C × 1.8 + 32")
    ),
    ("humidity", "%RH"): Range(
        0.0, 100.0, hint=N_("relative humidity is 0–100 %RH; a 0–1 fraction needs × 100")
    ),
    ("frequency", "Hz"): Range(40.0, 70.0, hint=N_("grid frequency is 50 or 60 Hz")),
    ("power_factor_total", ""): Range(
        -1.0, 1.0, hint=N_("a power factor lies in −1…1; a percentage needs / 100")
    ),
}
"""(quantity, unit) -> limits. Counters (profile ``kind: counter``) are never negative, whatever
their name (``check_values(counter=True)``)."""

PLAUSIBLE: dict[str, tuple[float, float]] = {
    "temperature": (-60.0, 80.0),
    "humidity": (0.0, 100.0),
}
"""Per-value limits of the gauges driver meters report, in the profiles' units (degC, %RH)."""

_UNIT_ALIASES = {
    "°c": "degC",
    "ºc": "degC",
    "c": "degC",
    "degc": "degC",
    "celsius": "degC",
    "°f": "degF",
    "ºf": "degF",
    "f": "degF",
    "degf": "degF",
    "fahrenheit": "degF",
    "%": "%RH",
    "%rh": "%RH",
    "rh": "%RH",
    "kwh": "kWh",
    "m3": "m3",
    "m³": "m3",
}


def _g(x: float | None, digits: int = 6) -> str:
    """``x`` to ``digits`` significant digits in the current locale's marks (no grouping: a
    statistic, like ``:g``)."""
    return format_significant(x, digits, grouped=False)


def canonical_unit(text: str) -> str:
    """A unit as a header or option writes it (``°C``, ``C``, ``m³``) -> the profiles' spelling."""
    t = text.strip()
    return _UNIT_ALIASES.get(t.lower(), t)


def unit_conversion_hint(found: str, wanted: str) -> str:
    """How to convert a column from ``found`` to ``wanted`` (both canonical), or ''."""
    pairs = {
        ("degF", "degC"): N_("convert °F to °C: (F − 32) / 1.8"),
        ("degC", "degF"): N_("convert °C to °F: C × 1.8 + 32"),
        ("Wh", "kWh"): N_("convert Wh to kWh: divide by 1000"),
        ("MWh", "kWh"): N_("convert MWh to kWh: multiply by 1000"),
        ("l", "m3"): N_("convert litres to m³: divide by 1000"),
        ("L", "m3"): N_("convert litres to m³: divide by 1000"),
    }
    hint = pairs.get((found, wanted), "")
    return _(hint) if hint else ""


def check_values(
    quantity: str, unit: str, values: Sequence[float], counter: bool = False
) -> str | None:
    """Why ``values`` (finite numbers) are implausible for ``quantity`` in ``unit``, or None.

    The reason names the offending statistics (count outside, min, max, mean) and the likely fix.
    """
    import numpy as np

    v = np.asarray(values, dtype=float)
    if v.size == 0:
        return None
    rng = RANGES.get((quantity, canonical_unit(unit)))
    if rng is None and quantity.startswith("power_factor"):
        rng = RANGES[("power_factor_total", "")]
    stats = _("min {low}, max {high}, mean {mean}, n {n}").format(
        low=_g(v.min()), high=_g(v.max()), mean=_g(v.mean()), n=v.size
    )
    if counter and (v < 0).any():
        return _(
            "{n} negative values ({stats}): a cumulative counter is never negative; check the "
            "column is the meter's counter reading (not a net or export balance)"
        ).format(n=int((v < 0).sum()), stats=stats)
    if rng is None:
        return None
    shown = f" {unit}" if unit else ""
    outside = np.zeros(v.size, dtype=bool)
    if rng.low is not None:
        outside |= v < rng.low
    if rng.high is not None:
        outside |= v > rng.high
    hint = f"; {_(rng.hint)}" if rng.hint else ""
    if outside.any():
        return _(
            "{n} of {total} values outside the plausible {low}…{high}{unit} ({stats}){hint}"
        ).format(
            n=int(outside.sum()),
            total=v.size,
            low=_g(rng.low),
            high=_g(rng.high),
            unit=shown,
            stats=stats,
            hint=hint,
        )
    mean = float(v.mean())
    if (rng.mean_low is not None and mean < rng.mean_low) or (
        rng.mean_high is not None and mean > rng.mean_high
    ):
        return _(
            "mean {mean}{unit} outside the plausible {low}…{high}{unit} ({stats}){hint}"
        ).format(
            mean=_g(mean, 4),
            unit=shown,
            low=_g(rng.mean_low),
            high=_g(rng.mean_high),
            stats=stats,
            hint=hint,
        )
    return None
