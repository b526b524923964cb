"""meter_use: Home Assistant's period rule, local days and months, cost at the plan's tariff.

References: the raw counter's last reading before each local boundary (``store.read``), and
the dairy plan's tariffs written out here (time of use: 0.21 USD/kWh Mon-Fri 18-22 h, 0.09
every day 0-6 h, else 0.12; water flat 2.10 USD/m3).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ingest.stores import open_store
from plantmeter.errors import ConfigError
from services import meter_use, period_for
from tests.dairy import Dairy

from .test_series import TZ, _last_before


def test_period_rule() -> None:
    t0 = pd.Timestamp("2025-01-01", tz=TZ)
    assert period_for(t0, t0 + pd.Timedelta(days=36)) == "month"
    assert period_for(t0, t0 + pd.Timedelta(days=35)) == "day"
    assert period_for(t0, t0 + pd.Timedelta(days=3)) == "day"
    assert period_for(t0, t0 + pd.Timedelta(days=2)) == "hour"


def _price(t: pd.Timestamp) -> float:
    if t.hour < 6:
        return 0.09
    if 18 <= t.hour < 22 and t.day_of_week < 5:
        return 0.21
    return 0.12


def test_months_are_local_months_and_water_cost_is_flat(dairy: Dairy) -> None:
    loaded = dairy.load()
    store = open_store(dairy.store_url, create=False)
    try:
        r = meter_use(
            store,
            loaded.site,
            "cip-water",
            pd.Timestamp("2025-01-01"),
            pd.Timestamp("2025-07-01"),
            plan=loaded,
        )
        raw = store.read(
            "dairy",
            "cip-water",
            ["volume_total"],
            pd.Timestamp("2024-12-25", tz="UTC"),
            pd.Timestamp("2025-07-02", tz="UTC"),
        )
    finally:
        store.close()
    edges = pd.date_range(pd.Timestamp("2025-01-01", tz=TZ), periods=7, freq="MS")
    expected = np.diff(_last_before(raw["volume_total"].dropna(), edges))
    assert r.period == "month" and r.unit == "m3" and r.quantity == "volume_total"
    assert [b.label for b in r.buckets] == [
        "2025-01",
        "2025-02",
        "2025-03",
        "2025-04",
        "2025-05",
        "2025-06",
    ]
    assert [b.use for b in r.buckets] == pytest.approx(expected.tolist(), rel=1e-12)
    assert [b.cost for b in r.buckets] == pytest.approx((expected * 2.10).tolist(), rel=1e-12)
    assert r.currency == "USD" and r.total == pytest.approx(expected.sum())
    assert r.completeness == 1.0


def test_days_of_electricity_cost_at_time_of_use_prices(dairy: Dairy) -> None:
    loaded = dairy.load()
    store = open_store(dairy.store_url, create=False)
    try:
        start, end = pd.Timestamp("2025-06-02"), pd.Timestamp("2025-06-09")  # Monday to Monday
        r = meter_use(store, loaded.site, "main-elec", start, end, plan=loaded)
        raw = store.read(
            "dairy",
            "main-elec",
            ["energy_import_total"],
            pd.Timestamp("2025-06-01", tz="UTC"),
            pd.Timestamp("2025-06-10", tz="UTC"),
        )
        hourly = meter_use(
            store, loaded.site, "main-elec", start, start + pd.Timedelta(days=2), plan=loaded
        )
    finally:
        store.close()
    hours = pd.date_range(start.tz_localize(TZ), end.tz_localize(TZ), freq="h")
    at = _last_before(raw["energy_import_total"].dropna(), hours)
    use_h = np.diff(at)  # use of the hour [h, h+1): last reading before h+1 minus last before h
    cost_h = use_h * np.array([_price(t) for t in hours[:-1]])
    assert r.period == "day" and len(r.buckets) == 7
    assert [b.use for b in r.buckets] == pytest.approx(
        use_h.reshape(7, 24).sum(axis=1).tolist(), rel=1e-12
    )
    assert [b.cost for b in r.buckets] == pytest.approx(
        cost_h.reshape(7, 24).sum(axis=1).tolist(), rel=1e-9
    )
    assert hourly.period == "hour" and len(hourly.buckets) == 48
    assert [b.cost for b in hourly.buckets] == pytest.approx(cost_h[:48].tolist(), rel=1e-12)
    assert hourly.buckets[18].label == "2025-06-02 18:00"


def test_use_is_for_consumption_meters(dairy: Dairy) -> None:
    loaded = dairy.load()
    store = open_store(dairy.store_url, create=False)
    try:
        with pytest.raises(ConfigError, match="temperature meter"):
            meter_use(
                store,
                loaded.site,
                "outdoor-temp",
                pd.Timestamp("2025-01-01"),
                pd.Timestamp("2025-02-01"),
            )
        with pytest.raises(ConfigError, match="not in site"):
            meter_use(
                store, loaded.site, "boiler", pd.Timestamp("2025-01-01"), pd.Timestamp("2025-02-01")
            )
    finally:
        store.close()
