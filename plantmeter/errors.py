"""Exceptions raised by PlantMeter.

Every error PlantMeter raises on purpose derives from one base class, so a caller
can catch them all; each package has its own branch::

    PlantMeterError
    ├── ConfigError            a config file (site, scenario, profile, M&V plan) is invalid
    │   ├── ProfileError       a device profile is missing or inconsistent
    │   └── ScenarioError      a simulator scenario is invalid
    ├── InputError             a command-line value or an input file (CSV) is unusable
    ├── MessageError           a reading message is malformed (carries ``reason``)
    ├── StoreError             the SeriesStore could not read or write
    │   └── StoreUnavailable   the store's server cannot be reached (retry later)
    ├── GatewayError           the Modbus -> MQTT gateway failed
    │   └── MeterReadError     one meter could not be read (timeout, exception code, garbage)
    ├── IngestError            the MQTT -> store ingest failed
    ├── SimulatorError         the simulated meter bus failed
    └── AnalyticsError         an analytics computation cannot produce a number
        └── DataSufficiencyError  too little, or unusable, data for the computation asked

Messages name the thing that is wrong and, where there is one, the fix.
"""

from __future__ import annotations

__all__ = [
    "AnalyticsError",
    "ConfigError",
    "DataSufficiencyError",
    "GatewayError",
    "IngestError",
    "InputError",
    "MessageError",
    "MeterReadError",
    "PlantMeterError",
    "ProfileError",
    "ScenarioError",
    "SimulatorError",
    "StoreError",
    "StoreUnavailable",
]


class PlantMeterError(Exception):
    """Base class of every error PlantMeter raises on purpose."""


class ConfigError(PlantMeterError):
    """A configuration file is invalid; the message names file, field and fix."""


class ProfileError(ConfigError):
    """A device profile is unknown, unreadable or inconsistent."""


class ScenarioError(ConfigError):
    """A simulator scenario is invalid."""


class InputError(PlantMeterError):
    """A command-line value (a time, a period) or an input file (a CSV) is unusable; the
    message names the value or the file, what is wrong and the fix."""


class MessageError(PlantMeterError):
    """A reading message could not be decoded; ``reason`` is a short machine-readable code."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


class StoreError(PlantMeterError):
    """The SeriesStore could not complete a read or write."""


class StoreUnavailable(StoreError):
    """The store's server cannot be reached now; the operation may be retried."""


class GatewayError(PlantMeterError):
    """The gateway failed."""


class MeterReadError(GatewayError):
    """One meter could not be read."""


class IngestError(PlantMeterError):
    """The ingest service failed."""


class SimulatorError(PlantMeterError):
    """The simulated meter bus failed."""


class AnalyticsError(PlantMeterError):
    """An analytics computation cannot produce a number."""


class DataSufficiencyError(AnalyticsError):
    """Too little, or unusable, data for the computation asked.

    ``text`` is the same message as a ``plantmeter.text.Text`` when the raiser built one, so a
    report can show it in its reader's language; ``str(exc)`` stays English."""

    def __init__(self, message: str, text: object | None = None) -> None:
        super().__init__(message)
        self.text = text
