"""More of the simulator's faults through the alert service (a stuck meter, a meter replaced:
its counter reset): each opens exactly one episode of its kind, announced by one e-mail, and a
rerun sends nothing twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from firmware_sim import load_scenario

from alerts import EmailChannel, Ledger, dispatch, evaluate
from bench.flags import simulate
from ingest.csv_import import import_csv
from ingest.stores import open_store
from plantmeter.config import load_site
from tests.smtp_server import SmtpServer

EXAMPLE = Path(__file__).parents[2] / "examples" / "dairy"
START = datetime(2025, 9, 30, 6, tzinfo=UTC)
FAULT_AT = datetime(2025, 11, 4, 8, tzinfo=UTC)  # 02:00 local
END = FAULT_AT + timedelta(days=1, hours=6)

SITE = """\
site: {{id: dairy, timezone: America/Guatemala}}
buses: [{{id: board-1, transport: tcp, host: 127.0.0.1, port: 5020}}]
meters:
  - {{id: {meter}, bus: board-1, unit_id: 1, profile: {profile}, kind: electricity, poll: 15m}}
alerts:
  email: {{smtp_url: "{smtp}", from: "plantmeter@dairy.example"}}
  rules: [{{to: ["manager@dairy.example"], severity: info}}]
"""

CASES = [
    (
        "stuck",
        {"type": "stuck", "meter": "main-elec", "start": FAULT_AT, "duration": "12h"},
        "eastron-sdm630",
    ),
    (
        "counter_reset",
        {"type": "meter_replacement", "meter": "compressor", "start": FAULT_AT},
        "carlogavazzi-em24",
    ),
]


@pytest.mark.parametrize(("kind", "fault", "profile"), CASES, ids=[c[0] for c in CASES])
def test_each_fault_opens_one_episode_and_one_email(
    tmp_path: Path, kind: str, fault: dict, profile: str
) -> None:
    meter = str(fault["meter"])
    frames = simulate(load_scenario(EXAMPLE / "scenario.yaml"), START, END, faults=[fault], seed=5)
    frame = frames[meter][["energy_import_total", "power_total"]]
    store = open_store(f"sqlite:///{tmp_path / 'dairy.db'}")

    def load(upto: datetime) -> None:
        path = tmp_path / f"{meter}-{upto:%d%H}.csv"
        frame[frame.index <= upto].rename_axis("timestamp").reset_index().assign(
            timestamp=lambda f: f["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
        ).to_csv(path, index=False)
        import_csv(
            store, "dairy", meter, path, "UTC", progress=False, counters=("energy_import_total",)
        )

    try:
        with SmtpServer(tmp_path) as smtp, Ledger(tmp_path / "alerts.db") as ledger:
            (tmp_path / "site.yaml").write_text(
                SITE.format(meter=meter, profile=profile, smtp=smtp.url)
            )
            site = load_site(tmp_path / "site.yaml", environ={})
            channels = [EmailChannel(site.alerts.email)]  # type: ignore[union-attr, arg-type]
            clean = FAULT_AT - timedelta(hours=1)  # the service ran before the fault
            load(clean)
            evaluate(store, site, ledger, now=clean)
            dispatch(ledger, channels, now=clean)
            before = len(smtp.messages())
            load(END)
            for minutes in (0, 5):
                evaluate(store, site, ledger, now=END + timedelta(minutes=minutes))
                dispatch(ledger, channels, now=END + timedelta(minutes=minutes))
            mails = smtp.messages()[before:]
            ledger_all = ledger.episodes("dairy")
            episodes = [
                e
                for e in ledger.episodes("dairy")
                if e.type == kind and e.start_ms >= (FAULT_AT.timestamp() - 3600) * 1000
            ]
    finally:
        store.close()
    assert len(episodes) == 1, (
        ledger_summary(ledger_all) + " | " + str([m.message["Subject"] for m in mails])
    )
    subjects = [m.message["Subject"] for m in mails]
    assert (
        len(
            [
                s
                for s in subjects
                if s.endswith(
                    f"{meter}: " + {"stuck": "stuck meter", "counter_reset": "counter reset"}[kind]
                )
            ]
        )
        == 1
    ), subjects
    assert len(set(subjects)) == len(subjects), subjects


def ledger_summary(episodes: list) -> str:  # type: ignore[type-arg]
    return "; ".join(f"{e.type} {pd.Timestamp(e.start_ms, unit='ms')}" for e in episodes)
