"""meter_savings: one stored meter's savings without a plan, against the simulator's truth."""

from __future__ import annotations

import pandas as pd
import pytest

from plantmeter.errors import ConfigError
from plantmeter_app.runtime import plan_store
from services import meter_savings
from tests.dairy import Dairy


def _period(a: str, b: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    return pd.Timestamp(a, tz="America/Guatemala"), pd.Timestamp(b, tz="America/Guatemala")


def test_meter_savings_hold_the_true_effect(dairy: Dairy) -> None:
    loaded = dairy.load()
    with plan_store(loaded) as store:
        r = meter_savings(
            store,
            loaded.site,
            "refrigeration",
            _period("2024-04-01", "2025-04-01"),
            _period("2025-09-01", "2026-01-01"),
            temperature_meter="outdoor-temp",
            production_meter="production",
            base_dir=loaded.site_dir,
        )
        with pytest.raises(ConfigError, match="'boiler' is not in site 'dairy'"):
            meter_savings(
                store,
                loaded.site,
                "boiler",
                _period("2024-04-01", "2025-04-01"),
                _period("2025-09-01", "2026-01-01"),
            )
    d = r.to_dict()
    change = dairy.true_change["vsd-refrigeration"]
    truth = (
        d["observed"] * -change / (1 + change)
    )  # the simulator multiplies the load by 1 + change
    assert d["model"]["n"] == 365
    assert abs(d["savings"] - truth) <= 1.5 * d["fsu_90"] * abs(d["savings"]), (d["savings"], truth)
