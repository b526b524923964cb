"""The simulator's faults through the alert service and all three channels at once (a real SMTP
server, a local webhook receiver, a real Mosquitto): a leak, a stuck meter, a meter replaced
(its counter reset) each open exactly one incident, announced by exactly one e-mail, one
webhook call and one MQTT alert event; a rerun sends nothing twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from firmware_sim import load_scenario

from alerts import Ledger, dispatch, evaluate, site_channels
from bench.flags import simulate
from ingest.csv_import import import_csv
from ingest.stores import open_store
from plantmeter.config import load_site
from tests.alerts.history import END as LEAK_END
from tests.alerts.history import LEAK_AT
from tests.alerts.history import load as load_leak
from tests.alerts.sinks import Sinks
from tests.servers import MosquittoServer

EXAMPLE = Path(__file__).parents[2] / "examples" / "dairy"
START = datetime(2025, 9, 30, 6, tzinfo=UTC)
FAULT_AT = datetime(2025, 11, 4, 8, tzinfo=UTC)  # 02:00 local
END = FAULT_AT + timedelta(days=1, hours=6)

SITE = """\
site: {{id: dairy, timezone: America/Guatemala}}
broker: {{url: "{broker}"}}
buses: [{{id: board-1, transport: tcp, host: 127.0.0.1, port: 5020}}]
meters:
  - {{id: {meter}, bus: board-1, unit_id: 1, profile: {profile}, kind: {kind}, poll: 15m}}
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
    tmp_path: Path, kind: str, fault: dict, profile: str, mosquitto: MosquittoServer
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
        with Sinks(tmp_path, mosquitto.port) as sinks, Ledger(tmp_path / "alerts.db") as ledger:
            (tmp_path / "site.yaml").write_text(
                SITE.format(meter=meter, profile=profile, kind="electricity", broker=mosquitto.url)
                + sinks.alerts_yaml()
            )
            site = load_site(tmp_path / "site.yaml", environ={})
            channels = site_channels(site)
            clean = FAULT_AT - timedelta(hours=1)  # the service ran before the fault
            load(clean)
            evaluate(store, site, ledger, now=clean)
            dispatch(ledger, channels, now=clean)
            before = [len(x) for x in sinks.openings()]
            load(END)
            for minutes in (0, 5):
                evaluate(store, site, ledger, now=END + timedelta(minutes=minutes))
                dispatch(ledger, channels, now=END + timedelta(minutes=minutes))
            mails, hooks, events = (x[n:] for x, n in zip(sinks.openings(), before, strict=True))
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
    title = {"stuck": "stuck meter", "counter_reset": "counter reset"}[kind]
    assert mails == [f"[PlantMeter dairy] {meter}: {title}"], mails
    assert [(h["meter"], h["type"]) for h in hooks] == [(meter, kind)]
    assert [(e["meter"], e["type"]) for e in events] == [(meter, kind)]


def test_a_leak_is_one_email_one_webhook_call_and_one_mqtt_alert(
    tmp_path: Path, mosquitto: MosquittoServer, leaky: pd.DataFrame
) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'dairy.db'}")
    try:
        with Sinks(tmp_path, mosquitto.port) as sinks, Ledger(tmp_path / "alerts.db") as ledger:
            (tmp_path / "site.yaml").write_text(
                SITE.format(
                    meter="cip-water", profile="tuf2000", kind="water", broker=mosquitto.url
                )
                + sinks.alerts_yaml(severity="warning")
            )
            site = load_site(tmp_path / "site.yaml", environ={})
            for t in (LEAK_AT, LEAK_END, LEAK_END + timedelta(minutes=5)):
                load_leak(store, leaky, tmp_path, t)
                evaluate(store, site, ledger, now=t)
                dispatch(ledger, site_channels(site), now=t)
            mails, hooks, events = sinks.openings()
            retained = [p for t, r, p in sinks.mqtt.messages if t == "plantmeter/dairy/alerts"]
    finally:
        store.close()
    assert mails == ["[PlantMeter dairy] cip-water: leak"]
    assert [(h["type"], h["related"][0]["type"]) for h in hooks] == [("leak", "excess")]
    assert [e["type"] for e in events] == ["leak"]
    assert retained == []  # the alarm list is the command's (publish_state), tested in test_topic


def ledger_summary(episodes: list) -> str:  # type: ignore[type-arg]
    return "; ".join(f"{e.type} {pd.Timestamp(e.start_ms, unit='ms')}" for e in episodes)
