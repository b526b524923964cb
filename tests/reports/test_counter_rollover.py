"""A counter that wraps is not a reset: the same month of use and cost as without the wrap.

The simulator's ``counter_rollover`` fault puts the compressor's EM24 counter just below its
register's range and wraps it to zero on 10 October (an int32 in 0.1 kWh: 2^31 x 0.1 kWh).
Everything else about the plant is the same, so the October consumption report, the hourly use
the analytics derive and the flags must agree with the plant without the fault: the month's
use and cost to rounding, no critical ``counter_reset``, one ``counter_rollover`` (info).
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
import yaml
from firmware_sim import generate_history, load_scenario

from analytics.jobs import counter_to_hourly, run_flags
from ingest.csv_import import import_csv
from ingest.stores import open_store
from plantmeter.config import load_site
from plantmeter.counters import meter_counter
from plantmeter_app.cli import main

EXAMPLE = Path(__file__).parents[2] / "examples" / "dairy"
WINDOW = (datetime(2025, 8, 30, tzinfo=UTC), datetime(2025, 11, 3, tzinfo=UTC))
WRAP_AT = datetime(2025, 10, 10, 3, 7, tzinfo=UTC)  # between two hourly readings
KEEP = ("energy_import_total", "volume_total", "production_total", "temperature")


def _store(root: Path, faults: list[dict[str, object]]) -> str:
    base = load_scenario(EXAMPLE / "scenario.yaml")
    scenario = base.model_validate(base.model_dump() | {"faults": faults})
    paths = generate_history(scenario, *WINDOW, root / "csv", interval=3600.0)
    url = f"sqlite:///{root / 'dairy.db'}"
    store = open_store(url)
    try:
        for meter, path in paths.items():
            frame = pd.read_csv(path)
            frame[["timestamp", *[c for c in KEEP if c in frame]]].to_csv(path, index=False)
            import_csv(store, "dairy", meter, path, "UTC", progress=False)
    finally:
        store.close()
    shutil.copy(EXAMPLE / "site.yaml", root / "site.yaml")
    # the example plan on a short window: September is the baseline, October is reported on
    plan = yaml.safe_load((EXAMPLE / "mv-plan.yaml").read_text())
    for key in ("approved", "amendments", "loans"):
        plan.pop(key, None)
    plan["baseline"] = {"start": "2025-09-01", "end": "2025-10-01"}
    plan["reporting"] = {"start": "2025-10-01", "end": "2026-01-01"}
    plan["options"] = [o for o in plan["options"] if o["status"] == "proposed"]
    (root / "mv-plan.yaml").write_text(yaml.safe_dump(plan))
    return url


@pytest.fixture(scope="module")
def plants(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = {}
    for name, faults in (
        ("clean", []),
        ("wrapped", [{"type": "counter_rollover", "meter": "compressor", "start": WRAP_AT}]),
    ):
        root = tmp_path_factory.mktemp(name)
        _store(root, faults)
        out[name] = root
    return out


def _consumption(root: Path, tmp: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, dict]:
    monkeypatch.setenv("PLANTMETER_STORE_URL", f"sqlite:///{root / 'dairy.db'}")
    out = tmp / f"{root.name}.json"
    plan = str(root / "mv-plan.yaml")
    assert (
        main(["report", "consumption", "--plan", plan, "--period", "2025-10", "--out", str(out)])
        == 0
    )
    return {m["meter"]: m for m in json.loads(out.read_text())["meters"]}


def test_the_wrapped_counter_is_really_near_its_range(plants: dict[str, Path]) -> None:
    store = open_store(f"sqlite:///{plants['wrapped'] / 'dairy.db'}", create=False)
    try:
        raw = store.read("dairy", "compressor", ["energy_import_total"], None, None)
    finally:
        store.close()
    c = raw["energy_import_total"]
    before = c[c.index < pd.Timestamp(WRAP_AT)]
    after = c[c.index > pd.Timestamp(WRAP_AT)]
    assert before.iloc[-1] > 2**31 * 0.1 - 100  # kWh: just below the int32 range x 0.1 kWh
    assert after.iloc[0] < 100


def test_a_rollover_gives_the_same_month_of_use_and_cost(
    plants: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clean = _consumption(plants["clean"], tmp_path, monkeypatch)
    wrapped = _consumption(plants["wrapped"], tmp_path, monkeypatch)
    assert clean["compressor"]["use"] > 1000  # kWh in October: the meter did run
    for meter, row in clean.items():
        # "to rounding": the history CSVs hold counters to 1e-6 kWh, a month's use is a
        # difference of readings (the wrapped one of up to four): at most 4 x 0.5e-6 apart
        assert wrapped[meter]["use"] == pytest.approx(row["use"], abs=2e-6), meter
        assert wrapped[meter]["cost"] == pytest.approx(row["cost"], abs=0.005), meter


def test_a_rollover_gives_the_same_hourly_use_and_no_reset_flag(plants: dict[str, Path]) -> None:
    site = load_site(plants["clean"] / "site.yaml")
    spec = meter_counter(site.meter("compressor"))
    assert spec is not None and spec.rollover == pytest.approx(2**31 * 0.1)
    hourly = {}
    flags = {}
    for name, root in plants.items():
        store = open_store(f"sqlite:///{root / 'dairy.db'}", create=False)
        try:
            raw = store.read("dairy", "compressor", [spec.quantity], None, None)[spec.quantity]
            hourly[name], _ = counter_to_hourly(raw, spec.rollover, spec.max_rate_per_h)
            flags[name] = run_flags(store, "dairy", site.meters, base_dir=root)
        finally:
            store.close()
    pd.testing.assert_series_equal(
        hourly["wrapped"]["usage"], hourly["clean"]["usage"], check_exact=False, atol=1e-6
    )
    pd.testing.assert_series_equal(hourly["wrapped"]["coverage"], hourly["clean"]["coverage"])
    wrapped = [f for f in flags["wrapped"] if f.meter == "compressor"]
    assert not [f for f in flags["wrapped"] if f.kind == "counter_reset"]
    rolls = [f for f in wrapped if f.kind == "counter_rollover"]
    assert len(rolls) == 1 and rolls[0].severity == "info"
    assert rolls[0].start_ms < WRAP_AT.timestamp() * 1000 < rolls[0].end_ms
    # nothing critical that the plant without the wrap does not have too
    critical = {
        n: {(f.meter, f.kind) for f in fl if f.severity == "critical"} for n, fl in flags.items()
    }
    assert critical["wrapped"] <= critical["clean"]
