"""Deterministic synthetic plant data for analytics tests."""

from __future__ import annotations

import numpy as np
import pandas as pd


def daily_frame(
    seed: int = 0,
    days: int = 730,
    base: float = 500.0,
    heat: float = 8.0,
    cool: float = 12.0,
    hbp: float = 55.0,
    cbp: float = 68.0,
    prod: float = 0.0,
    noise: float = 15.0,
    start: str = "2023-01-01",
    tz: str = "UTC",
) -> pd.DataFrame:
    """Daily usage from a 5P law (+ production term), degF temperatures."""
    rng = np.random.default_rng(seed)
    idx = pd.date_range(start, periods=days, freq="D", tz=tz)
    doy = np.arange(days)
    t = 57 - 25 * np.cos(2 * np.pi * (doy - 15) / 365.25) + rng.normal(0, 6, days)
    production = rng.uniform(80, 120, days)
    production[idx.day_of_week >= 5] *= 0.3
    y = base + heat * np.maximum(hbp - t, 0) + cool * np.maximum(t - cbp, 0) + prod * production
    y += rng.normal(0, noise, days)
    return pd.DataFrame({"usage": y, "temperature": t, "production": production}, index=idx)


def hourly_frame(
    seed: int = 0, days: int = 365, start: str = "2023-01-02", tz: str = "UTC", noise: float = 0.1
) -> pd.DataFrame:
    """Hourly plant load: shifts on weekdays 07-19, cooling above 65 degF."""
    rng = np.random.default_rng(seed)
    idx = pd.date_range(start, periods=days * 24, freq="h", tz=tz)
    n = len(idx)
    hrs = np.arange(n) / 24
    t = 57 - 25 * np.cos(2 * np.pi * (hrs - 15) / 365.25) + 8 * np.sin(2 * np.pi * (hrs - 0.375))
    t += rng.normal(0, 2, n)
    occ = (idx.day_of_week < 5) & (idx.hour >= 7) & (idx.hour < 19)
    y = 4.0 + 6.0 * occ + 0.15 * np.maximum(t - 65, 0) + 0.05 * np.maximum(45 - t, 0)
    y = y * (1 + rng.normal(0, noise, n))
    return pd.DataFrame({"usage": y, "temperature": t}, index=idx)
