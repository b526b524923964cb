"""The simulated meter bus: one pymodbus server per bus, registers computed on demand.

Each bus is a ``ModbusTcpServer`` (Modbus TCP framing, or RTU framing over TCP like a serial
server) whose datastore is a ``_BusContext``: a ``ModbusServerContext`` that computes the
requested registers from the plant model at the moment of the request. Unknown unit ids,
timeouts and bus dropouts raise ``NoSuchIdException`` and the server runs with
``ignore_missing_devices=True``, so nothing is sent back and the client times out, as on a
real RS-485 line (pymodbus's ``SimDevice`` answers exception 04 there instead).
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymodbus.constants import ExcCodes
from pymodbus.datastore import ModbusServerContext
from pymodbus.exceptions import NoSuchIdException
from pymodbus.framer import FramerType
from pymodbus.server import ModbusSerialServer, ModbusTcpServer

from plantmeter.errors import SimulatorError
from plantmeter.i18n import _

from .clock import SimClock
from .device import DeviceImage
from .plant import Plant
from .readings import MeterReadings
from .scenario import BusSpec, Fault, Scenario

__all__ = ["MeterBus", "ServedValue", "running_bus"]

logger = logging.getLogger(__name__)

_COMM_FAULTS = ("timeout", "slow_response", "exception", "bus_dropout")


@dataclass(frozen=True)
class ServedValue:
    """A value a client received: ``time`` is simulated epoch seconds (UTC), float."""

    time: float
    quantity: str
    value: float
    unit_id: int = 0


class _SimMeter:
    def __init__(self, readings: MeterReadings) -> None:
        self.readings = readings
        self.image = DeviceImage(readings.profile, readings.spec.word_order)
        self.served: list[ServedValue] = []


class _BusContext(ModbusServerContext):
    """Datastore of one bus; does not call ``super().__init__`` (no deprecated device contexts)."""

    def __init__(self, bus: MeterBus, spec: BusSpec) -> None:  # noqa: D107
        self.old_simulator = True
        self.simdevices = []
        self.bus = bus
        self.spec = spec
        self.units = {m.unit_id: m.id for m in bus.scenario.meters if m.bus == spec.id}

    def device_ids(self) -> list[int]:
        return list(self.units)

    async def async_getValues(  # noqa: N802 (pymodbus's name)
        self, device_id: int, func_code: int, address: int, count: int = 1
    ) -> list[int] | list[bool] | ExcCodes:
        now = self.bus.clock.now()
        if self.bus.fault_active("bus_dropout", now, bus=self.spec.id):
            raise NoSuchIdException(f"bus {self.spec.id} is down")
        meter_id = self.units.get(device_id)
        if meter_id is None:
            raise NoSuchIdException(f"no unit {device_id} on bus {self.spec.id}")
        if self.bus.fault_active("timeout", now, meter=meter_id):
            raise NoSuchIdException(f"{meter_id} does not answer (timeout fault)")
        meter = self.bus.meters[meter_id]
        delay = 0.0
        if self.bus.scenario.simulate_response_time:
            delay = meter.image.profile.quirks.min_response_time
        slow = self.bus.fault_active("slow_response", now, meter=meter_id)
        if slow is not None:
            delay = max(delay, slow.delay)
        if delay:
            await asyncio.sleep(delay)
            now = self.bus.clock.now()
        exc = self.bus.fault_active("exception", now, meter=meter_id)
        if exc is not None:
            return ExcCodes(exc.code)
        try:
            values = meter.readings.state(now)
            response = meter.image.read(func_code, address, count, values)
        except Exception:  # never crash the server: answer like a confused meter would
            logger.exception("meter %s failed to answer fc %s at %s", meter_id, func_code, address)
            return ExcCodes.DEVICE_FAILURE
        if response.exception is not None:
            return ExcCodes(response.exception)
        for quantity, value in (response.served or {}).items():
            meter.served.append(ServedValue(now, quantity, value, device_id))
        assert response.registers is not None
        return response.registers

    async def async_setValues(  # noqa: N802
        self, device_id: int, func_code: int, address: int, values: Sequence[int] | Sequence[bool]
    ) -> ExcCodes | None:
        if device_id not in self.units:
            raise NoSuchIdException(f"no unit {device_id} on bus {self.spec.id}")
        return ExcCodes.ILLEGAL_FUNCTION if func_code in (5, 15) else ExcCodes.ILLEGAL_ADDRESS


class MeterBus:
    """The simulated meters of a scenario, served on one TCP port per bus."""

    def __init__(
        self,
        scenario: Scenario,
        *,
        host: str = "127.0.0.1",
        port_overrides: dict[str, int] | None = None,
        speed: float = 1.0,
        start_time: float | datetime | None = None,
        seed: int | None = None,
    ) -> None:
        self.scenario = scenario
        self.host = host
        self.plant = Plant(scenario, seed=seed)
        if start_time is None:
            import time as _time

            t0, t1 = scenario.epoch(scenario.start), scenario.epoch(scenario.end)
            start_time = min(max(_time.time(), t0), t1)
        self.clock = SimClock(start_time, speed)
        self._port_overrides = dict(port_overrides or {})
        unknown = set(self._port_overrides) - {b.id for b in scenario.buses}
        if unknown:
            raise SimulatorError(
                _("port override for unknown bus {buses}").format(buses=sorted(unknown))
            )
        self.faults: list[Fault] = list(scenario.faults)
        self.meters = {
            m.id: _SimMeter(MeterReadings(self.plant, m, self.faults)) for m in scenario.meters
        }
        self.ports: dict[str, int] = {}
        self._servers: list[ModbusTcpServer | ModbusSerialServer] = []

    # ------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        """Bind every bus and start answering; ``ports`` then holds the bound ports."""
        self.plant.day_start_total(self._day(self.clock.now()), self.scenario.meters[0].id)
        try:
            for spec in self.scenario.buses:
                if spec.transport == "rtu":
                    await self._start_serial(spec)
                    continue
                port = self._port_overrides.get(spec.id, spec.port)
                framer = FramerType.RTU if spec.transport == "rtu-over-tcp" else FramerType.SOCKET
                server = ModbusTcpServer(
                    _BusContext(self, spec),
                    framer=framer,
                    address=(self.host, port),
                    ignore_missing_devices=True,
                )
                try:
                    await server.serve_forever(background=True)
                except RuntimeError as exc:
                    raise SimulatorError(
                        f"bus {spec.id!r}: cannot listen on {self.host}:{port} ({exc})"
                    ) from exc
                self._servers.append(server)
                bound = server.transport.sockets[0].getsockname()[1]  # type: ignore[union-attr]
                self.ports[spec.id] = int(bound)
                units = sorted(m.unit_id for m in self.scenario.meters if m.bus == spec.id)
                logger.info(
                    "bus %s (%s) serving units %s on %s:%s",
                    spec.id,
                    spec.transport,
                    units,
                    self.host,
                    bound,
                )
        except BaseException:
            await self.stop()
            raise

    async def _start_serial(self, spec: BusSpec) -> None:
        """Serve an RTU line on a serial device (a real port, or one end of a socat pty pair)."""
        server = ModbusSerialServer(
            _BusContext(self, spec),
            framer=FramerType.RTU,
            port=str(spec.device),
            baudrate=spec.baudrate,
            ignore_missing_devices=True,
        )
        try:
            await server.serve_forever(background=True)
        except (RuntimeError, OSError) as exc:
            raise SimulatorError(
                _("bus {bus}: cannot open {device} ({error})").format(
                    bus=repr(spec.id), device=spec.device, error=exc
                )
            ) from exc
        self._servers.append(server)
        units = sorted(m.unit_id for m in self.scenario.meters if m.bus == spec.id)
        logger.info("bus %s (rtu) serving units %s on %s", spec.id, units, spec.device)

    async def stop(self) -> None:
        """Close every server and its client connections."""
        servers, self._servers = self._servers, []
        for server in servers:
            await server.shutdown()
        await asyncio.sleep(0)

    # ------------------------------------------------------------- queries

    def served(self, meter_id: str) -> list[ServedValue]:
        """Every value sent to a client by ``meter_id``, oldest first (a copy)."""
        return list(self.meters[meter_id].served)

    def state(self, meter_id: str, t: float | None = None) -> dict[str, float]:
        """What ``meter_id`` holds now (or at simulated epoch ``t``): quantity -> value."""
        return self.meters[meter_id].readings.state(self.clock.now() if t is None else t)

    def inject(self, fault: Fault | dict[str, Any]) -> Fault:
        """Add a fault while running (start given in the fault; e.g. the clock's now)."""
        if isinstance(fault, dict):
            fault = Fault.model_validate(fault)
        if fault.meter is not None and fault.meter not in self.meters:
            raise SimulatorError(f"inject: no meter {fault.meter!r}")
        if fault.bus is not None and fault.bus not in {b.id for b in self.scenario.buses}:
            raise SimulatorError(f"inject: no bus {fault.bus!r}")
        self.faults.append(fault)
        for meter in self.meters.values():
            meter.readings.add_fault(fault)  # value faults: stuck, spike, rollover, replacement
        self.plant.add_fault(fault)  # physical faults: leak
        logger.info("fault injected: %s on %s", fault.type, fault.meter or fault.bus)
        return fault

    def fault_active(
        self, kind: str, t: float, *, meter: str | None = None, bus: str | None = None
    ) -> Fault | None:
        """The first fault of ``kind`` on ``meter``/``bus`` active at simulated time ``t``."""
        for f in self.faults:
            if (
                f.type != kind
                or (meter is not None and f.meter != meter)
                or (bus is not None and f.bus != bus)
            ):
                continue
            start = self.scenario.epoch(f.start)
            end = start + f.duration if f.duration is not None else math.inf
            if start <= t < end:
                return f
        return None

    def _day(self, t: float) -> int:
        return int(max(t - self.plant.t0, 0) // 86400)


@contextmanager
def running_bus(scenario: Scenario, **kwargs: Any) -> Iterator[MeterBus]:
    """Run a MeterBus in a background thread with its own event loop; stop it on exit."""
    import threading

    bus = MeterBus(scenario, **kwargs)
    loop = asyncio.new_event_loop()
    started = threading.Event()
    error: list[BaseException] = []

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(bus.start())
        except BaseException as exc:  # reported to the caller below
            error.append(exc)
            started.set()
            return
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=run, name="firmware-sim", daemon=False)
    thread.start()
    started.wait()
    try:
        if error:
            raise error[0]
        yield bus
    finally:
        if not error:
            asyncio.run_coroutine_threadsafe(bus.stop(), loop).result(timeout=10)
            loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        _close_loop(loop)


def _close_loop(loop: asyncio.AbstractEventLoop) -> None:
    pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    loop.run_until_complete(loop.shutdown_asyncgens())
    loop.close()
