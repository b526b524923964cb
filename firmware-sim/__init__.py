"""firmware_sim: a simulated plant and meter bus that speaks Modbus like the real meters.

Public interface::

    load_scenario(path) -> Scenario                  validate a scenario YAML (ScenarioError)
    MeterBus(scenario, host=, port_overrides=, speed=, start_time=)   async start()/stop(), ports
    running_bus(scenario, **same)                    context manager: the bus in a background thread
    MeterBus.served(meter) / state(meter) / inject(fault)
    generate_history(scenario, start, end, out_dir, interval=900) -> {meter: csv path}
    Plant, MeterReadings                             the pure plant model the server and history share
    cli.register(subparsers)                         the `plantmeter sim` subcommand
"""

from __future__ import annotations

from .clock import SimClock
from .history import generate_history
from .plant import Plant
from .readings import MeterReadings
from .scenario import Fault, Scenario, load_scenario
from .server import MeterBus, ServedValue, running_bus

__all__ = [
    "Fault",
    "MeterBus",
    "MeterReadings",
    "Plant",
    "Scenario",
    "ServedValue",
    "SimClock",
    "generate_history",
    "load_scenario",
    "running_bus",
]
