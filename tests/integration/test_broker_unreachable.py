"""Gateway and ingest say at once, with the address, when nothing answers at the broker URL."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from ingest.service import IngestService
from ingest.stores import SqliteStore
from plantmeter.config import load_site
from tests.integration.helpers import GatewayThread, wait_until, write_site
from tests.servers import MosquittoServer, free_port

pytestmark = pytest.mark.integration

BUSES = "  - {id: b, transport: tcp, host: 127.0.0.1, port: 1}\n"  # no meter answers either
METERS = "  - {id: main-elec, bus: b, unit_id: 1, profile: eastron-sdm630, kind: electricity}\n"


def unreachable(caplog: pytest.LogCaptureFixture, port: int) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if r.levelno == logging.ERROR
        and f"cannot reach the broker at 127.0.0.1:{port}" in r.getMessage()
    ]


def test_gateway_reports_an_unreachable_broker_at_once_then_its_recovery(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    port = free_port()
    site = write_site(
        tmp_path / "site.yaml", f"mqtt://127.0.0.1:{port}", "sqlite:///x.db", BUSES, METERS
    )
    gateway = GatewayThread(load_site(site, environ={}), tmp_path).start()
    try:
        wait_until(
            lambda: unreachable(caplog, port), timeout=5, what="the unreachable-broker error"
        )
        with MosquittoServer(tmp_path / "mosquitto", port=port):
            wait_until(lambda: gateway.gateway.publisher.connected, timeout=30, what="reconnect")
            gateway.stop()
    finally:
        gateway.stop()
    assert len(unreachable(caplog, port)) == 1, "one error while it lasts, not one per retry"
    assert any(
        f"broker 127.0.0.1:{port} is reachable again" in r.getMessage() for r in caplog.records
    )


def test_ingest_reports_an_unreachable_broker_at_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    port = free_port()
    site = write_site(
        tmp_path / "site.yaml",
        f"mqtt://127.0.0.1:{port}",
        f"sqlite:///{tmp_path}/s.db",
        BUSES,
        METERS,
    )
    store = SqliteStore(tmp_path / "s.db")
    service = IngestService(load_site(site, environ={}), store)
    service.start()
    try:
        wait_until(
            lambda: unreachable(caplog, port), timeout=5, what="the unreachable-broker error"
        )
    finally:
        service.stop()
        store.close()
