"""Each fault type happens on schedule, seen through a real pymodbus client over TCP.

The clock is frozen (speed 0) and moved by hand, so "on schedule" needs no sleeping: a read
just before the fault's start is normal, a read just after shows the fault.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from firmware_sim import running_bus
from pymodbus.exceptions import ModbusIOException

from plantmeter.profile import load_profile
from plantmeter.registers import decode

from .conftest import T_NOON

START = T_NOON + timedelta(minutes=10)
PORTS = {"board-1": 0, "utility-485": 0}


def _scenario(dairy, *faults):
    return dairy.model_copy(
        update={
            "faults": [
                type(dairy).model_fields["faults"].annotation.__args__[0].model_validate(f)
                for f in faults  # type: ignore[union-attr]
            ]
        }
    )


def _value(client, unit, profile_id, name, rtu=False):
    p = load_profile(profile_id).point(name)
    fn = client.read_input_registers if p.fc == 4 else client.read_holding_registers
    rr = fn(p.address, count=p.count, device_id=unit)
    if rr.isError():
        return rr
    return decode(rr.registers, p.type, p.word_order, p.scale)


def _no_answer(client, unit, profile_id, name) -> bool:
    try:
        rr = _value(client, unit, profile_id, name)
    except ModbusIOException:
        return True
    return bool(getattr(rr, "isError", lambda: False)()) and "No response" in str(rr)


@pytest.fixture
def bus_with(dairy):
    def make(*faults):
        return running_bus(
            _scenario(dairy, *faults),
            port_overrides=PORTS,
            speed=0,
            start_time=START - timedelta(seconds=5),
        )

    return make


def test_timeout_fault_silences_one_meter_on_schedule(bus_with, client_for) -> None:
    with bus_with(
        {"type": "timeout", "meter": "compressor", "start": START, "duration": "5m"}
    ) as bus:
        c = client_for(bus.ports["board-1"], timeout=0.3)
        assert isinstance(_value(c, 2, "carlogavazzi-em24", "power_total"), float)
        bus.clock.set(START + timedelta(seconds=1))
        assert _no_answer(c, 2, "carlogavazzi-em24", "power_total")
        assert isinstance(_value(c, 1, "eastron-sdm630", "power_total"), float)  # the others answer
        bus.clock.set(START + timedelta(minutes=6))
        assert isinstance(_value(c, 2, "carlogavazzi-em24", "power_total"), float)


def test_slow_response_fault_delays_the_answer(bus_with, client_for) -> None:
    import time

    with bus_with(
        {"type": "slow_response", "meter": "main-elec", "start": START, "delay": "400ms"}
    ) as bus:
        c = client_for(bus.ports["board-1"], timeout=2)
        t = time.monotonic()
        _value(c, 1, "eastron-sdm630", "power_total")
        assert time.monotonic() - t < 0.3
        bus.clock.set(START)
        t = time.monotonic()
        assert isinstance(_value(c, 1, "eastron-sdm630", "power_total"), float)
        assert time.monotonic() - t >= 0.4


def test_exception_fault_answers_the_code(bus_with, client_for) -> None:
    with bus_with(
        {"type": "exception", "meter": "refrigeration", "start": START, "code": 6}
    ) as bus:
        c = client_for(bus.ports["board-1"])
        assert isinstance(_value(c, 3, "schneider-iem3255", "power_total"), float)
        bus.clock.set(START)
        rr = _value(c, 3, "schneider-iem3255", "power_total")
        assert rr.isError() and rr.exception_code == 6


def test_stuck_register_freezes_while_the_model_moves(bus_with, client_for) -> None:
    with bus_with(
        {
            "type": "stuck",
            "meter": "main-elec",
            "quantity": "power_total",
            "start": START,
            "duration": "2h",
        }
    ) as bus:
        c = client_for(bus.ports["board-1"])
        bus.clock.set(START)
        first = _value(c, 1, "eastron-sdm630", "power_total")
        values = set()
        for minutes in (7, 23, 61):
            bus.clock.set(START + timedelta(minutes=minutes))
            values.add(_value(c, 1, "eastron-sdm630", "power_total"))
        assert values == {first}
        assert _value(c, 1, "eastron-sdm630", "energy_import_total") > 0  # other registers move on
        bus.clock.set(START + timedelta(hours=3))
        assert _value(c, 1, "eastron-sdm630", "power_total") != first


def test_counter_rollover_wraps_the_register(bus_with, client_for) -> None:
    with bus_with(
        {
            "type": "counter_rollover",
            "meter": "production",
            "quantity": "production_total",
            "start": START,
        }
    ) as bus:
        c = client_for(bus.ports["board-1"])
        before = _value(c, 20, "ismacontrolli-sfar-1m-4di", "production_total")
        assert 2**32 - 1000 < before < 2**32  # 5 s before the wrap
        bus.clock.set(START + timedelta(minutes=30))
        after = _value(c, 20, "ismacontrolli-sfar-1m-4di", "production_total")
        assert 0 < after < 5000  # wrapped through 2^32 and counting again


def test_meter_replacement_resets_the_counter(bus_with, client_for) -> None:
    with bus_with({"type": "meter_replacement", "meter": "compressor", "start": START}) as bus:
        c = client_for(bus.ports["board-1"])
        assert _value(c, 2, "carlogavazzi-em24", "energy_import_total") > 50000
        bus.clock.set(START + timedelta(hours=1))
        e = _value(c, 2, "carlogavazzi-em24", "energy_import_total")
        assert 5 < e < 60  # one hour of a 10-35 kW compressor since the new meter went in


def test_spike_multiplies_a_gauge_for_its_window(bus_with, client_for) -> None:
    with bus_with(
        {
            "type": "spike",
            "meter": "main-elec",
            "quantity": "power_total",
            "start": START,
            "duration": "1m",
            "factor": 10,
        }
    ) as bus:
        c = client_for(bus.ports["board-1"])
        normal = _value(c, 1, "eastron-sdm630", "power_total")
        bus.clock.set(START + timedelta(seconds=10))
        spiked = _value(c, 1, "eastron-sdm630", "power_total")
        assert spiked == pytest.approx(
            bus.state("main-elec", START.timestamp() + 10)["power_total"], rel=1e-6
        )
        assert spiked > 5 * normal
        bus.clock.set(START + timedelta(minutes=2))
        assert _value(c, 1, "eastron-sdm630", "power_total") < 2 * normal


def test_leak_keeps_night_flow_above_zero(dairy, client_for) -> None:
    night = T_NOON + timedelta(hours=14)  # 02:00 local
    sc = _scenario(dairy, {"type": "leak", "meter": "cip-water", "start": night, "flow": 0.4})
    with running_bus(
        sc, port_overrides=PORTS, speed=0, start_time=night - timedelta(minutes=5)
    ) as bus:
        c = client_for(bus.ports["utility-485"], rtu=True)
        before = _value(c, 10, "tuf2000", "flow_rate")
        bus.clock.set(night + timedelta(minutes=30))
        during = _value(c, 10, "tuf2000", "flow_rate")
        assert before < 0.15 and during > 0.4


def test_bus_dropout_silences_every_unit_of_the_bus(bus_with, client_for) -> None:
    with bus_with(
        {"type": "bus_dropout", "bus": "board-1", "start": START, "duration": "10m"}
    ) as bus:
        c = client_for(bus.ports["board-1"], timeout=0.3)
        bus.clock.set(START + timedelta(minutes=1))
        assert _no_answer(c, 1, "eastron-sdm630", "power_total")
        assert _no_answer(c, 2, "carlogavazzi-em24", "power_total")
        u = client_for(bus.ports["utility-485"], rtu=True)
        assert isinstance(_value(u, 30, "xy-md02", "temperature"), float)  # the other bus is fine
        bus.clock.set(START + timedelta(minutes=11))
        assert isinstance(_value(c, 1, "eastron-sdm630", "power_total"), float)


def test_inject_adds_a_fault_at_run_time(dairy, client_for) -> None:
    with running_bus(dairy, port_overrides=PORTS, speed=0, start_time=START) as bus:
        c = client_for(bus.ports["board-1"])
        bus.inject({"type": "exception", "meter": "main-elec", "start": START, "code": 4})
        rr = _value(c, 1, "eastron-sdm630", "power_total")
        assert rr.isError() and rr.exception_code == 4


def test_drift_grows_the_load_by_its_rate_a_day(dairy) -> None:
    """A drift of 2 % a day: ten days in, the meter draws 1 + 0.02 * 10 times what the same plant
    draws without it (same seed, same noise), and its parent sees the difference too."""
    import numpy as np
    from firmware_sim import Plant

    at = T_NOON + timedelta(days=1)
    drifting = _scenario(dairy, {"type": "drift", "meter": "compressor", "start": at, "rate": 0.02})
    clean, faulty = Plant(_scenario(dairy)), Plant(drifting)
    times = np.array([(at + timedelta(days=10, minutes=m)).timestamp() for m in range(0, 60, 5)])
    ratio = faulty.primary("compressor", times).rate / clean.primary("compressor", times).rate
    assert ratio == pytest.approx(1 + 0.02 * (10 + np.arange(0, 60, 5) / 1440), rel=1e-9)
    before = np.array([(at - timedelta(minutes=m)).timestamp() for m in range(1, 30, 5)])
    assert np.array_equal(
        faulty.primary("compressor", before).rate, clean.primary("compressor", before).rate
    )
    parent = faulty.primary("main-elec", times).rate - clean.primary("main-elec", times).rate
    child = faulty.primary("compressor", times).rate - clean.primary("compressor", times).rate
    assert parent == pytest.approx(child)
