"""firmware_sim: a simulated plant and meter bus that speaks Modbus like the real meters.

Public interface (imported lazily, so ``plantmeter --help`` stays fast)::

    load_scenario(path) -> Scenario                  validate a scenario YAML (ScenarioError)
    MeterBus(scenario, host=, port_overrides=, speed=, start_time=)   async start()/stop(), ports
    running_bus(scenario, **same)                    context manager: the bus in a background thread
    MeterBus.served(meter) / state(meter) / inject(fault) / clock
    generate_history(scenario, start, end, out_dir, interval=900) -> {meter: csv path}
    Plant, MeterReadings                             the pure plant model the server and history share
    UnexplainedSpec                                  the day-to-day variation drivers do not explain
    cli.register(subparsers)                         the ``plantmeter sim`` subcommand
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__all__ = [
    "Fault",
    "MeterBus",
    "MeterReadings",
    "Plant",
    "Scenario",
    "ServedValue",
    "SimClock",
    "UnexplainedSpec",
    "generate_history",
    "load_scenario",
    "running_bus",
]

_WHERE = {
    "Fault": "scenario",
    "Scenario": "scenario",
    "UnexplainedSpec": "scenario",
    "load_scenario": "scenario",
    "MeterBus": "server",
    "ServedValue": "server",
    "running_bus": "server",
    "MeterReadings": "readings",
    "Plant": "plant",
    "SimClock": "clock",
    "generate_history": "history",
}

if TYPE_CHECKING:
    from .clock import SimClock
    from .history import generate_history
    from .plant import Plant
    from .readings import MeterReadings
    from .scenario import Fault, Scenario, UnexplainedSpec, load_scenario
    from .server import MeterBus, ServedValue, running_bus


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
