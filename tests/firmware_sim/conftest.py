"""Fixtures: the dairy scenario, a scenario with one meter of every profile, a pymodbus reader."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from firmware_sim import Scenario, load_scenario
from pymodbus.client import ModbusTcpClient
from pymodbus.framer import FramerType

from plantmeter.profile import available_profiles, load_profile

DAIRY = Path(__file__).resolve().parents[2] / "examples" / "dairy" / "scenario.yaml"
T_NOON = datetime(2025, 3, 4, 18, 0, tzinfo=UTC)  # a Tuesday, 12:00 in Guatemala
KIND = {
    "electricity_meter": "electricity",
    "flow_meter": "water",
    "temperature_sensor": "temperature",
    "pulse_counter": "production",
    "production_counter": "production",
}


@pytest.fixture(scope="session")
def dairy() -> Scenario:
    return load_scenario(DAIRY)


def every_profile_data() -> dict[str, Any]:
    data = yaml.safe_load(DAIRY.read_text())
    data["meters"] = [
        {
            "id": pid,
            "bus": "board-1",
            "unit_id": i + 1,
            "profile": pid,
            "kind": KIND[load_profile(pid).category],
            "initial": 1000.0 + i,
            "load": {"base": 5.0 + i, "shift": 3.0},
        }
        for i, pid in enumerate(available_profiles())
    ]
    data["options"], data["faults"] = [], []
    return data


@pytest.fixture(scope="session")
def every_profile(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    path = tmp_path_factory.mktemp("sc") / "every.yaml"
    path.write_text(yaml.safe_dump(every_profile_data()))
    return load_scenario(path)


@pytest.fixture
def client_for() -> Iterator[Any]:
    """client_for(port, rtu=False, timeout=1.0) -> a connected pymodbus client, closed after the test."""
    clients: list[ModbusTcpClient] = []

    def make(port: int, rtu: bool = False, timeout: float = 1.0) -> ModbusTcpClient:
        c = ModbusTcpClient(
            "127.0.0.1",
            port=port,
            timeout=timeout,
            retries=0,
            framer=FramerType.RTU if rtu else FramerType.SOCKET,
        )
        assert c.connect()
        clients.append(c)
        return c

    yield make
    for c in clients:
        c.close()
