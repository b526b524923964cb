"""The simulated leak the alert tests share: the example dairy's CIP water meter, 15-minute
readings, five clean weeks, then the simulator's leak fault (0.3 m³/h from 02:00 local on
4 November 2025, as tests/analytics injects it)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
from firmware_sim import load_scenario

from bench.flags import simulate
from ingest.csv_import import import_csv
from plantmeter.store import SeriesStore

__all__ = ["END", "LEAK_AT", "SITE", "START", "leak_history", "load"]

EXAMPLE = Path(__file__).parents[2] / "examples" / "dairy"
START = datetime(2025, 9, 30, 6, tzinfo=UTC)  # local midnight in Guatemala; 5 clean weeks first
LEAK_AT = datetime(2025, 11, 4, 8, tzinfo=UTC)  # 02:00 local
END = LEAK_AT + timedelta(days=4, hours=6)  # past the leak detector's 3 nights + 4 h

SITE = """\
site: {{id: dairy, name: Example dairy, timezone: America/Guatemala}}
buses:
  - {{id: utility-485, transport: tcp, host: 127.0.0.1, port: 5021}}
meters:
  - {{id: cip-water, bus: utility-485, unit_id: 10, profile: tuf2000, kind: water, poll: 15m}}
alerts:
  dashboard_url: "https://plantmeter.dairy.example"
  email: {{smtp_url: "{smtp}", from: "plantmeter@dairy.example"}}
  rules:
    - {{to: ["manager@dairy.example"], severity: warning}}
"""


def leak_history() -> pd.DataFrame:
    scenario = load_scenario(EXAMPLE / "scenario.yaml")
    fault = {"type": "leak", "meter": "cip-water", "start": LEAK_AT, "flow": 0.3}
    frames = simulate(scenario, START, END, faults=[fault], seed=3)
    return frames["cip-water"][["volume_total", "flow_rate"]]


def load(store: SeriesStore, frame: pd.DataFrame, tmp: Path, upto: datetime) -> None:
    part = frame[frame.index <= upto]
    path = tmp / f"cip-{upto:%Y%m%d%H}.csv"
    part.rename_axis("timestamp").reset_index().assign(
        timestamp=lambda f: f["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    ).to_csv(path, index=False)
    import_csv(store, "dairy", "cip-water", path, "UTC", progress=False, counters=("volume_total",))
