"""A round of the alert service reads a bounded amount, however long the history: the
detectors' reference and their lookback before the last evaluation, not everything between.
Over five months of the simulated dairy with a leak at the end, the incremental round finds
the leak as a run over the whole history does, reading about half as many rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
from firmware_sim import load_scenario

from alerts import Ledger, evaluate
from analytics.jobs import INCREMENTAL_LOOKBACK
from bench.flags import simulate
from ingest.stores.sqlite import SqliteStore
from plantmeter.config import load_site
from services.flags import compute_flags
from tests.alerts.history import EXAMPLE, SITE, START, load

LEAK_AT = datetime(2026, 2, 24, 8, tzinfo=UTC)  # 02:00 local, 147 days after the start
END = LEAK_AT + timedelta(days=4, hours=6)


class CountingStore(SqliteStore):
    """The real store, counting the rows its reads return."""

    rows = 0

    def read(self, *args, **kwargs) -> pd.DataFrame:  # type: ignore[no-untyped-def]
        frame = super().read(*args, **kwargs)
        self.rows += len(frame)
        return frame


def test_an_incremental_round_reads_the_reference_and_lookback_and_finds_the_same_leak(
    tmp_path: Path,
) -> None:
    fault = {"type": "leak", "meter": "cip-water", "start": LEAK_AT, "flow": 0.3}
    frame = simulate(load_scenario(EXAMPLE / "scenario.yaml"), START, END, faults=[fault], seed=3)
    cip = frame["cip-water"][["volume_total", "flow_rate"]]
    (tmp_path / "site.yaml").write_text(SITE.format(smtp="smtp://127.0.0.1:25"))
    site = load_site(tmp_path / "site.yaml", environ={})
    store = CountingStore(tmp_path / "dairy.db")
    try:
        with Ledger(tmp_path / "alerts.db") as ledger:
            load(store, cip, tmp_path, LEAK_AT)
            evaluate(store, site, ledger, now=LEAK_AT)  # the first: the whole history
            load(store, cip, tmp_path, END)
            store.rows = 0
            evaluate(store, site, ledger, now=END)
            incremental_rows = store.rows
            leaks = [e for e in ledger.episodes("dairy") if e.type == "leak"]
        store.rows = 0
        full = compute_flags(store, site, since=LEAK_AT, reference=cip.index[0], now=END)
        full_rows = store.rows
    finally:
        store.close()
    per_day = 96  # 15-minute readings
    reference_and_lookback = (28 + INCREMENTAL_LOOKBACK.days + 5) * per_day
    assert incremental_rows <= reference_and_lookback < 0.7 * full_rows
    [leak] = leaks
    [whole] = [f for f in full if f.kind == "leak"]
    assert (leak.start_ms, leak.severity) == (whole.start_ms, whole.severity)
    assert leak.excess_per_day is not None and whole.excess_per_day is not None
    assert abs(leak.excess_per_day - whole.excess_per_day) < 1e-9
