"""The metering chain end to end: simulator (Modbus TCP) -> gateway -> Mosquitto -> ingest -> SQLite."""

from __future__ import annotations

from pathlib import Path

import firmware_sim
import numpy as np
import pytest

from ingest.stores import SqliteStore
from plantmeter.config import BrokerConfig, IngestConfig, SiteConfig, StoreConfig, load_site
from tests.integration.helpers import contiguous_seqs, run_chain
from tests.servers import MosquittoServer

pytestmark = pytest.mark.integration

EXAMPLE = Path(__file__).parents[2] / "examples" / "dairy"


def chain_config(
    tmp_path: Path, bus: firmware_sim.MeterBus, broker_url: str, poll: float = 1.0
) -> SiteConfig:
    """The dairy site pointed at the running simulator, a test broker and a temporary store."""
    config = load_site(EXAMPLE / "site.yaml", environ={})
    return config.model_copy(
        update={
            "buses": [
                b.model_copy(update={"port": bus.ports.get(b.id, b.port)}) for b in config.buses
            ],
            "meters": [m.model_copy(update={"poll": poll}) for m in config.meters],
            "broker": BrokerConfig(url=broker_url),
            "store": StoreConfig(url=f"sqlite:///{tmp_path}/chain.db"),
            "gateway": config.gateway.model_copy(update={"outbox": tmp_path / "outbox.db"}),
            "ingest": IngestConfig(batch_interval=0.2),
        }
    )


def test_chain_stores_exactly_what_the_meters_served(
    tmp_path: Path, mosquitto: MosquittoServer
) -> None:
    scenario = firmware_sim.load_scenario(EXAMPLE / "scenario.yaml")
    with firmware_sim.running_bus(
        scenario, port_overrides={b: 0 for b in _bus_ids(scenario)}
    ) as bus:
        config = chain_config(tmp_path, bus, mosquitto.url)
        store = SqliteStore(tmp_path / "chain.db")
        published = run_chain(config, store, mosquitto.port, tmp_path, polls=4)
        for meter in config.meters:
            messages = published[meter.id]
            assert contiguous_seqs(messages), f"{meter.id}: seq has gaps"
            stored = store.read("dairy", meter.id)
            assert len(stored) == len({m["ts"] for m in messages})
            served = bus.served(meter.id)
            profile = config.profile_for(meter)
            for counter in [c.name for c in profile.counters] + [d.name for d in profile.derived]:
                if counter not in stored.columns:
                    continue
                served_values = np.array([s.value for s in served if s.quantity == counter])
                if not len(served_values):
                    continue  # a derived total: its parts are checked instead
                for value in stored[counter].dropna():
                    # equal up to the register's own float32 rounding (relative 6e-8)
                    nearest = served_values[np.argmin(np.abs(served_values - value))]
                    assert value == pytest.approx(nearest, rel=1e-7, abs=1e-9), (
                        f"{meter.id}.{counter}={value} was never served"
                    )
        main = store.read("dairy", "main-elec")
        assert main["energy_import_total"].is_monotonic_increasing
        assert not store.read_dead_letters()
        store.close()


def _bus_ids(scenario: object) -> list[str]:
    return [b.id for b in scenario.buses]  # type: ignore[attr-defined]
