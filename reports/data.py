"""Series the reports need, read through the SeriesStore port, and tariff prices.

``SiteData`` reads each meter once (raw counters -> hourly interval use with
``analytics.jobs.counter_to_hourly``, with the counter, wrap modulus and rate bound of
``plantmeter.counters.meter_counter``) and keeps it for the life of one report run.
Indexes are in the site's time zone (days are local days).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from analytics.jobs import counter_to_hourly
from plantmeter.config import SiteConfig
from plantmeter.counters import CounterSpec, meter_counter, stored_counter
from plantmeter.errors import DataSufficiencyError
from plantmeter.store import Flag, SeriesStore

from .plan import FlatTariff, TimeOfUseTariff

__all__ = ["SiteData", "hourly_prices", "interval_prices", "local_ts"]

logger = logging.getLogger(__name__)

MIN_COVERAGE = 0.9  # an hour counts when 90 % of it is covered by readings


def local_ts(day: date, tz: str) -> pd.Timestamp:
    """Local midnight of ``day`` in ``tz``."""
    return pd.Timestamp(day).tz_localize(tz)


@dataclass
class SiteData:
    """Hourly use, temperature and flags of a site's meters, read lazily and kept."""

    store: SeriesStore
    site: SiteConfig
    start: pd.Timestamp  # read window [start, end)
    end: pd.Timestamp
    base_dir: Path | None = (
        None  # the site file's folder (a meter's own profile file is relative to it)
    )
    _hourly: dict[str, pd.Series] = field(default_factory=dict)
    _temperature: dict[str, pd.Series] = field(default_factory=dict)
    _raw: dict[str, tuple[str, pd.Series]] = field(default_factory=dict)

    @property
    def tz(self) -> str:
        return self.site.site.timezone

    def kind(self, meter: str) -> str:
        return self.site.meter(meter).kind

    def counter(self, meter: str, columns: list[str]) -> CounterSpec:
        """The meter's counter among the stored ``columns`` (``plantmeter.counters``' rule)."""
        m = self.site.meter(meter)
        spec = stored_counter(meter_counter(m, base_dir=self.base_dir), m.kind, columns)
        if spec is None:
            raise DataSufficiencyError(
                f"meter {meter!r}: no counter quantity stored (found "
                f"{', '.join(columns) or 'nothing'}); import or ingest its counter readings"
            )
        return spec

    def hourly(self, meter: str) -> pd.Series:
        """Hourly interval use (NaN where an hour is < 90 % covered), local index."""
        if meter not in self._hourly:
            frame = self.store.read(self.site.site.id, meter, None, self.start, self.end)
            if frame.empty:
                raise DataSufficiencyError(
                    f"meter {meter!r}: no readings stored between {self.start} and {self.end}"
                )
            spec = self.counter(meter, list(frame.columns))
            counter = frame[spec.quantity].dropna()
            if len(counter) < 2:
                raise DataSufficiencyError(f"meter {meter!r}: fewer than two counter readings")
            self._raw[meter] = (spec.quantity, counter)
            hourly, _ = counter_to_hourly(counter, spec.rollover, spec.max_rate_per_h)
            use = hourly["usage"].where(hourly["coverage"] >= MIN_COVERAGE)
            self._hourly[meter] = use.tz_convert(self.tz).rename(meter)
            logger.debug("read %s: %d hours", meter, len(use))
        return self._hourly[meter]

    def readings(self, meter: str) -> tuple[str, pd.Series]:
        """The quantity and the raw stored readings behind ``hourly`` / ``temperature``."""
        if meter in self._temperature:
            return "temperature", self._temperature[meter]
        self.hourly(meter)
        return self._raw[meter]

    def temperature(self, meter: str) -> pd.Series:
        """Temperature readings (the sensor's ``temperature`` quantity), local index."""
        if meter not in self._temperature:
            frame = self.store.read(self.site.site.id, meter, ["temperature"], self.start, self.end)
            if frame.empty or "temperature" not in frame:
                raise DataSufficiencyError(f"temperature meter {meter!r}: no readings stored")
            self._temperature[meter] = frame["temperature"].dropna().tz_convert(self.tz)
        return self._temperature[meter]

    def daily_coverage(self, meters: list[str], temperature: str | None) -> pd.Series:
        """Per local day: 1 when every meter (and the temperature) has >= 90 % of its hours."""
        parts = []
        for m in meters:
            h = self.hourly(m)
            parts.append(h.notna().resample("D").sum() / 24.0)
        if temperature is not None:
            t = self.temperature(temperature)
            parts.append(t.resample("h").mean().notna().resample("D").sum() / 24.0)
        cov = pd.concat(parts, axis=1).min(axis=1)
        return (cov >= MIN_COVERAGE).astype(float)

    def data_end(self, meter: str) -> pd.Timestamp:
        """End (exclusive) of the meter's last covered hour."""
        h = self.hourly(meter).dropna()
        return h.index[-1] + pd.Timedelta(hours=1) if len(h) else self.start

    def flags(self, meters: list[str], start: pd.Timestamp, end: pd.Timestamp) -> list[Flag]:
        out: list[Flag] = []
        for m in meters:
            out += self.store.read_flags(self.site.site.id, m, start, end)
        return sorted(out, key=lambda f: (f.start_ms, f.meter))

    def flag_coverage(
        self, meters: list[str], start: pd.Timestamp, end: pd.Timestamp
    ) -> dict[str, float]:
        """Per meter, the share of [start, end) that a recorded flag run covered (0.0: never).

        A period that runs past the meter's data counts only as far as the data goes (a run
        cannot look at readings that do not exist yet)."""
        from .flagstatus import coverage

        def ms(t: pd.Timestamp) -> int:
            return int(pd.Timestamp(t).tz_convert("UTC").value // 1_000_000)

        t0, t1 = ms(start), ms(end)
        out = {}
        for m in meters:
            try:
                data_end = ms(self.data_end(m))
            except DataSufficiencyError:  # no readings at all: the whole period is the question
                data_end = t1
            stop = min(t1, data_end) if data_end > t0 else t1
            out[m] = coverage(self.store.read_flag_runs(self.site.site.id, m), t0, stop)
        return out


_DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def hourly_prices(index: pd.DatetimeIndex, tariff: FlatTariff | TimeOfUseTariff) -> pd.Series:
    """Price per usage unit for each hour of ``index`` (local), flat or time of use."""
    if isinstance(tariff, FlatTariff):
        return pd.Series(tariff.price, index=index, dtype=float)
    price = np.full(len(index), tariff.default_price, dtype=float)
    minutes = np.asarray(index.hour * 60 + index.minute)
    dow = np.asarray(index.day_of_week)
    for band in tariff.bands:
        s = band.start.hour * 60 + band.start.minute
        e = band.end.hour * 60 + band.end.minute or 24 * 60
        in_time = (minutes >= s) & (minutes < e) if s < e else (minutes >= s) | (minutes < e)
        in_day = np.isin(dow, [_DAYS.index(d) for d in band.days])
        price[in_time & in_day] = band.price
    return pd.Series(price, index=index)


def interval_prices(
    hourly_use: pd.Series, tariff: FlatTariff | TimeOfUseTariff, granularity: str
) -> pd.Series:
    """Price per interval; for daily intervals the use-weighted mean of the day's hourly prices.

    Savings are valued at the day's effective price: they are assumed to fall in the
    hours the meter used energy, in proportion (stated in the reports).
    """
    prices = hourly_prices(pd.DatetimeIndex(hourly_use.index), tariff)
    if granularity == "hourly":
        return prices
    use = hourly_use.fillna(0.0)
    weighted = (use * prices).resample("D").sum()
    total = use.resample("D").sum()
    flat = prices.resample("D").mean()
    return (weighted / total.where(total > 0)).fillna(flat)
