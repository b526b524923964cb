"""One pymodbus client per bus, with a lock so a line is used by one request at a time.

Meters on different buses are read concurrently; meters behind one bus (an RTU line,
or a TCP/RTU gateway in front of one) are serialised, as the wire requires.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Protocol

from pymodbus.client import AsyncModbusSerialClient, AsyncModbusTcpClient
from pymodbus.exceptions import ConnectionException, ModbusException
from pymodbus.framer import FramerType

from plantmeter.config import BusConfig
from plantmeter.errors import MeterReadError

__all__ = ["BusClient", "MeterClient", "ModbusExceptionReply"]

logger = logging.getLogger(__name__)

_EXCEPTION_NAMES = {
    1: "Illegal Function",
    2: "Illegal Data Address",
    3: "Illegal Data Value",
    4: "Server Device Failure",
    5: "Acknowledge",
    6: "Server Device Busy",
    10: "Gateway Path Unavailable",
    11: "Gateway Target Device Failed to Respond",
}


@dataclass
class ModbusExceptionReply(MeterReadError):
    """The meter answered with a Modbus exception code."""

    code: int
    fc: int
    address: int
    count: int

    def __str__(self) -> str:
        name = _EXCEPTION_NAMES.get(self.code, "unknown")
        return (
            f"exception {self.code} ({name}) reading {self.count} registers at "
            f"{self.address:#06x} with function {self.fc}"
        )


class MeterClient(Protocol):
    """What a poller needs of a Modbus line: read registers of a unit, name the line, close it.

    ``BusClient`` is the real one (pymodbus); tests use an in-memory register bank.
    """

    @property
    def label(self) -> str: ...

    async def read(self, unit_id: int, fc: int, address: int, count: int) -> list[int]:
        """``count`` registers; MeterReadError (or ModbusExceptionReply) on failure."""
        ...

    def close(self) -> None: ...


class BusClient:
    """A Modbus line: connects lazily, reads under a lock, reconnects after failures."""

    def __init__(self, config: BusConfig) -> None:
        self.config = config
        self.lock = asyncio.Lock()
        if config.transport == "rtu":
            self.client: AsyncModbusTcpClient | AsyncModbusSerialClient = AsyncModbusSerialClient(
                str(config.device),
                framer=FramerType.RTU,
                baudrate=config.baudrate,
                parity=config.parity,
                stopbits=config.stopbits,
                timeout=config.timeout,
                retries=config.retries,
            )
        else:
            self.client = AsyncModbusTcpClient(
                str(config.host),
                port=int(config.port or 502),
                framer=FramerType.RTU if config.transport == "rtu-over-tcp" else FramerType.SOCKET,
                timeout=config.timeout,
                retries=config.retries,
                reconnect_delay=0,  # we reconnect on our own schedule (per-meter backoff)
            )

    @property
    def label(self) -> str:
        c = self.config
        return f"{c.id} ({c.device})" if c.transport == "rtu" else f"{c.id} ({c.host}:{c.port})"

    async def read(self, unit_id: int, fc: int, address: int, count: int) -> list[int]:
        """Read ``count`` registers; MeterReadError (or ModbusExceptionReply) on failure."""
        async with self.lock:
            if not self.client.connected:
                try:
                    ok = await self.client.connect()
                except (OSError, ModbusException) as exc:
                    raise MeterReadError(f"cannot connect to bus {self.label}: {exc}") from exc
                if not ok:
                    raise MeterReadError(f"cannot connect to bus {self.label}")
            reader = (
                self.client.read_input_registers if fc == 4 else self.client.read_holding_registers
            )
            try:
                response = await reader(address, count=count, device_id=unit_id)
            except ConnectionException as exc:
                raise MeterReadError(f"bus {self.label} connection lost: {exc}") from exc
            except ModbusException as exc:
                raise MeterReadError(
                    f"no answer from unit {unit_id} on bus {self.label} (timeout)"
                ) from exc
            except (TimeoutError, OSError) as exc:
                raise MeterReadError(f"bus {self.label}: {exc!r}") from exc
        if response.isError():
            raise ModbusExceptionReply(
                code=int(getattr(response, "exception_code", 0)),
                fc=fc,
                address=address,
                count=count,
            )
        registers = list(response.registers)
        if len(registers) != count:
            raise MeterReadError(
                f"unit {unit_id} on bus {self.label} returned {len(registers)} registers, asked {count}"
            )
        return registers

    def close(self) -> None:
        self.client.close()
