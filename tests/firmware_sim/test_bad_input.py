"""Bad scenarios fail at load naming file:line and field; bad requests get what a real meter gives."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from firmware_sim import MeterBus, load_scenario, running_bus
from pymodbus.exceptions import ModbusIOException

from plantmeter.errors import ScenarioError, SimulatorError

from .conftest import DAIRY, T_NOON

PORTS = {"board-1": 0, "utility-485": 0}


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scenario.yaml"
    path.write_text(text)
    return path


def test_the_dairy_example_loads() -> None:
    sc = load_scenario(DAIRY)
    assert {o.level for o in sc.options} == {"housekeeping", "low-cost", "investment"}


def test_unknown_profile_names_file_line_and_field(tmp_path: Path) -> None:
    text = DAIRY.read_text().replace("profile: carlogavazzi-em24", "profile: carlogavazzi-em99")
    line = text.splitlines().index("    profile: carlogavazzi-em99") + 1
    with pytest.raises(ScenarioError) as err:
        load_scenario(_write(tmp_path, text))
    assert f"scenario.yaml:{line}: meters[1].profile: unknown profile 'carlogavazzi-em99'" in str(
        err.value
    )


def test_overlapping_unit_ids_on_a_port_are_refused(tmp_path: Path) -> None:
    text = DAIRY.read_text().replace("    unit_id: 3\n", "    unit_id: 2\n")
    with pytest.raises(ScenarioError) as err:
        load_scenario(_write(tmp_path, text))
    msg = str(err.value)
    assert (
        "meters[2].unit_id" in msg
        and "'compressor' and 'refrigeration' both answer unit id 2" in msg
    )
    assert "scenario.yaml:" in msg.split(": meters")[0]


def test_two_buses_on_one_port_are_refused(tmp_path: Path) -> None:
    text = DAIRY.read_text().replace("port: 5021}", "port: 5020}")
    with pytest.raises(ScenarioError, match=r"buses\[1\]\.port: port 5020 is already used"):
        load_scenario(_write(tmp_path, text))


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("date: 2025-09-01, change: -0.20", "date: 2031-09-01, change: -0.20", "options[2].date"),
        (
            "faults: []",
            "faults: [{type: timeout, meter: compressor, start: 2023-06-01}]",
            "faults[0].start",
        ),
    ],
)
def test_events_outside_the_run_are_refused(tmp_path: Path, old: str, new: str, field: str) -> None:
    text = DAIRY.read_text().replace(old, new)
    path = _write(tmp_path, text)
    line = next(
        i for i, x in enumerate(text.splitlines(), 1) if new.split(",")[0].split("[")[-1] in x
    )
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert f"scenario.yaml:{line}: {field}:" in str(err.value)
    assert "outside the run 2024-01-01..2027-01-01" in str(err.value)


def test_typo_is_an_error(tmp_path: Path) -> None:
    data = yaml.safe_load(DAIRY.read_text())
    data["meters"][0]["unitid"] = 4
    with pytest.raises(ScenarioError, match=r"meters\[0\]\.unitid: Extra inputs"):
        load_scenario(_write(tmp_path, yaml.safe_dump(data)))


def test_unmapped_register_answers_exception_02(dairy, client_for) -> None:
    with running_bus(dairy, port_overrides=PORTS, speed=0, start_time=T_NOON) as bus:
        c = client_for(bus.ports["board-1"])
        gap = c.read_input_registers(0x0012, count=2, device_id=1)  # SDM630: nothing at 0x12
        assert gap.isError() and gap.exception_code == 2
        span = c.read_input_registers(0x0010, count=4, device_id=1)  # spans a point and the gap
        assert span.isError() and span.exception_code == 2
        wrong_fc = c.read_holding_registers(0x0048, count=2, device_id=1)  # SDM630 energy is FC4
        assert wrong_fc.isError() and wrong_fc.exception_code == 2
        too_many = c.read_input_registers(0, count=100, device_id=1)  # above max_registers 80
        assert too_many.isError() and too_many.exception_code == 3
        ok = c.read_input_registers(0x0048, count=2, device_id=1)
        assert not ok.isError()  # the server is still fine


def test_absent_unit_on_an_rtu_line_stays_silent(dairy, client_for) -> None:
    with running_bus(dairy, port_overrides=PORTS, speed=0, start_time=T_NOON) as bus:
        c = client_for(bus.ports["utility-485"], rtu=True, timeout=0.3)
        try:
            rr = c.read_holding_registers(0, count=2, device_id=99)
        except ModbusIOException:
            rr = None
        assert rr is None or (rr.isError() and not hasattr(rr, "exception_code"))
        ok = c.read_holding_registers(0, count=2, device_id=10)
        assert not ok.isError()


def test_a_busy_port_fails_start_with_the_bus_named(dairy) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        taken = s.getsockname()[1]
        with pytest.raises(SimulatorError, match="bus 'board-1': cannot listen"):
            with running_bus(dairy, port_overrides={"board-1": taken, "utility-485": 0}, speed=0):
                pass


def test_unknown_port_override_is_refused(dairy) -> None:
    with pytest.raises(SimulatorError, match="unknown bus"):
        MeterBus(dairy, port_overrides={"board-9": 0})
