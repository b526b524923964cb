"""MeterPoller against an in-memory MeterClient: decoding, events and how problems are logged."""

from __future__ import annotations

import asyncio
import logging
import math

import pytest

from gateway.poller import MeterPoller
from plantmeter.config import MeterConfig
from plantmeter.profile import load_profile

from .memory_bus import MemoryBus

# SDM120 input registers (0-based), from Eastron's SDM120 Modbus protocol: voltage 30001,
# power 30013, import energy 30073 (transcribed here, not read from the profile)
VOLTAGE, POWER, IMPORT = 0x0000, 0x000C, 0x0048


def make(bus: MemoryBus) -> MeterPoller:
    meter = MeterConfig(
        id="compressor",
        bus="memory",
        unit_id=2,
        profile="eastron-sdm120",
        kind="electricity",
        quantities=["voltage", "power_total", "energy_import_total"],
    )
    return MeterPoller("dairy", "gw-test", meter, load_profile("eastron-sdm120"), bus, outbox=None)


def poll(poller: MeterPoller) -> bool:
    return asyncio.run(poller.poll())


def records(caplog: pytest.LogCaptureFixture, text: str, level: int) -> list[logging.LogRecord]:
    return [r for r in caplog.records if text in r.getMessage() and r.levelno == level]


@pytest.fixture
def bus() -> MemoryBus:
    bus = MemoryBus()
    bus.set_float(2, VOLTAGE, 231.5)
    bus.set_float(2, POWER, 4200.0)
    bus.set_float(2, IMPORT, 1234.5)
    return bus


def test_a_poll_decodes_what_the_registers_hold(bus: MemoryBus) -> None:
    poller = make(bus)
    result = asyncio.run(poller.read_once())
    assert result.values == pytest.approx(
        {"voltage": 231.5, "power_total": 4200.0, "energy_import_total": 1234.5}
    )
    reading = poller.queue(result)
    assert (reading.seq, reading.meter, reading.events) == (1, "compressor", ())


def test_a_register_that_reads_nan_every_poll_is_one_warning_then_one_recovery_line(
    bus: MemoryBus, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="gateway")
    poller = make(bus)
    bus.set_float(2, VOLTAGE, math.nan)
    for _ in range(5):
        assert poll(poller)  # the other values still travel
    assert len(records(caplog, "dropping voltage", logging.WARNING)) == 1
    assert len(records(caplog, "dropping voltage", logging.DEBUG)) == 4
    bus.set_float(2, VOLTAGE, 230.0)
    poll(poller)
    poll(poller)
    assert len(records(caplog, "voltage reads valid values again", logging.INFO)) == 1


def test_a_dead_meter_is_one_error_debug_while_it_lasts_and_info_when_back(
    bus: MemoryBus, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="gateway")
    poller = make(bus)
    bus.down = True
    for _ in range(4):
        assert not poll(poller)
    assert len(records(caplog, "compressor is offline", logging.ERROR)) == 1
    assert len(records(caplog, "compressor still offline", logging.DEBUG)) == 3
    assert poller.health.consecutive_failures == 4
    # backing off: 10 s poll, 4 failures -> wait up to 80 s (next boundary after 70 s)
    assert poller.next_delay(1_000_000.0) == pytest.approx(80.0)
    bus.down = False
    assert poll(poller)
    assert len(records(caplog, "compressor is back online", logging.INFO)) == 1
    assert poller.next_delay(1_000_000.0) == pytest.approx(10.0)


def test_a_counter_going_backwards_is_a_reset_event_warned_once(
    bus: MemoryBus, caplog: pytest.LogCaptureFixture
) -> None:
    poller = make(bus)
    assert poll(poller)
    bus.set_float(2, IMPORT, 3.0)  # a float32 counter has no wrap: backwards is a reset
    result = asyncio.run(poller.read_once())
    reading = poller.queue(result)
    assert [(e.quantity, e.type, e.previous) for e in reading.events] == [
        ("energy_import_total", "reset", 1234.5)
    ]
    assert len(records(caplog, "counter energy_import_total went from", logging.WARNING)) == 1


def test_a_clock_stepped_back_never_stamps_a_reading_at_or_before_the_previous_one(
    bus: MemoryBus, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Same meter, same millisecond: the idempotent store would keep one of the two readings."""
    import gateway.poller as poller_module

    caplog.set_level(logging.INFO, logger="gateway.poller")
    now = [1_700_000_000.000]
    monkeypatch.setattr(poller_module.time, "time", lambda: now[0])
    poller = make(bus)
    stamps = []
    for step in (0.0, 1.0, -1.0, 0.0005, 1.0, 60.0):  # the third poll: clock stepped back 1 s
        now[0] += step
        stamps.append(asyncio.run(poller.read_once()).ts_ms)
    assert stamps == sorted(set(stamps)), stamps
    assert stamps[2] == stamps[1] + 1 and stamps[3] == stamps[2] + 1
    assert stamps[5] == int(now[0] * 1000)  # the clock is past them again: its own time
    assert len(records(caplog, "the clock went back", logging.WARNING)) == 1
    assert len(records(caplog, "past its last reading again", logging.INFO)) == 1
