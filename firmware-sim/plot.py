"""A week of the simulated plant as a PNG (``plantmeter sim SCENARIO --plot-week START --out docs``)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from .history import history_frame
from .scenario import Scenario

__all__ = ["plot_week"]


def plot_week(scenario: Scenario, start: datetime, path: str | Path) -> Path:
    """Plot electricity, water, production and temperature for 7 days from ``start``; returns the path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt
    import pandas as pd

    frame = history_frame(scenario, start, start.timestamp() + 7 * 86400, 300)
    zone = scenario.site.timezone

    def idx(meter: str) -> pd.DatetimeIndex:
        return pd.to_datetime(frame[meter]["time"], unit="s", utc=True).tz_convert(zone)

    kinds = {m.id: m.kind for m in scenario.meters}
    fig, axes = plt.subplots(4, 1, figsize=(12, 10), sharex=True, constrained_layout=True)
    ax = axes[0]
    for meter, kind in kinds.items():
        if kind == "electricity":
            ax.plot(idx(meter), frame[meter]["power_total"] / 1000, lw=0.8, label=meter)
    ax.set_ylabel("power (kW)")
    ax.legend(loc="upper right", ncol=3, fontsize=8)
    ax.set_title(
        f"{scenario.site.name or scenario.site.id}: simulated week from {start:%Y-%m-%d} ({zone})"
    )
    for meter, kind in kinds.items():
        if kind == "water":
            axes[1].plot(idx(meter), frame[meter]["flow_rate"], lw=0.8, label=meter)
        elif kind == "production":
            rate = pd.Series(frame[meter]["production_total"], index=idx(meter)).diff() * 12
            axes[2].plot(rate.index, rate.values, lw=0.8, color="tab:green", label=meter)
        elif kind == "temperature":
            axes[3].plot(
                idx(meter), frame[meter]["temperature"], lw=0.8, color="tab:red", label=meter
            )
    axes[1].set_ylabel("water (m3/h)")
    axes[2].set_ylabel("production (units/h)")
    axes[3].set_ylabel("outdoor (degC)")
    for a in axes:
        a.grid(alpha=0.3)
        if a is not axes[0] and a.get_legend_handles_labels()[0]:
            a.legend(loc="upper right", fontsize=8)
    axes[3].xaxis.set_major_formatter(mdates.DateFormatter("%a %d %b", tz=zone))
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out
