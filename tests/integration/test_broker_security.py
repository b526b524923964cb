"""Gateway and ingest against a Mosquitto that demands a password and TLS."""

from __future__ import annotations

import time
from pathlib import Path

import firmware_sim
import pytest

from ingest.service import IngestService
from ingest.stores import SqliteStore
from plantmeter.config import BrokerConfig, TlsConfig
from tests.integration.helpers import GatewayThread, wait_until
from tests.integration.test_chain import EXAMPLE, chain_config
from tests.servers import MosquittoServer, make_test_ca

pytestmark = pytest.mark.integration


def test_password_and_tls_from_config_and_environment(tmp_path: Path) -> None:
    ca, cert, key = make_test_ca(tmp_path / "pki")
    (tmp_path / "secret").write_text("s3cret-pw\n")
    with MosquittoServer(
        tmp_path / "mq", users={"plant": "s3cret-pw"}, tls=(ca, cert, key)
    ) as broker:
        scenario = firmware_sim.load_scenario(EXAMPLE / "scenario.yaml")
        with firmware_sim.running_bus(
            scenario, port_overrides={b.id: 0 for b in scenario.buses}
        ) as bus:
            config = chain_config(tmp_path, bus, broker.url)
            secure = BrokerConfig(
                url=broker.url,
                username="plant",
                password_file=tmp_path / "secret",
                tls=TlsConfig(ca_file=ca),
            )
            config = config.model_copy(update={"broker": secure})
            store = SqliteStore(tmp_path / "chain.db")
            ingest = IngestService(config, store)
            ingest.start()
            gateway = GatewayThread(config, tmp_path).start()
            try:
                wait_until(
                    lambda: ingest.stats.stored_messages >= 6, timeout=30, what="readings over TLS"
                )
            finally:
                gateway.stop()
                ingest.stop()
            assert len(store.read("dairy", "main-elec")) >= 1
            store.close()


def test_wrong_password_is_refused_and_reported(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with MosquittoServer(tmp_path / "mq", users={"plant": "right"}) as broker:
        scenario = firmware_sim.load_scenario(EXAMPLE / "scenario.yaml")
        with firmware_sim.running_bus(
            scenario, port_overrides={b.id: 0 for b in scenario.buses}
        ) as bus:
            config = chain_config(tmp_path, bus, broker.url)
            config = config.model_copy(
                update={"broker": BrokerConfig(url=broker.url, username="plant", password="wrong")}
            )
            gateway = GatewayThread(config, tmp_path).start()
            try:
                time.sleep(3)
                assert gateway.gateway.outbox is not None and gateway.gateway.outbox.depth > 0
                assert not gateway.gateway.publisher.connected  # type: ignore[union-attr]
            finally:
                gateway.stop()
    assert "broker refused the connection" in caplog.text
    assert "wrong" not in caplog.text  # the password never reaches the log
