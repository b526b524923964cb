"""Home Assistant's own rules for MQTT-discovered sensors, transcribed for the discovery tests.

Transcribed by hand from Home Assistant's source (home-assistant/core), not from our code:

* ``homeassistant/components/sensor/const.py`` @ 00eb6680fbf6bdf7af2499095f2e74fca980a148:
  ``DEVICE_CLASS_UNITS`` and ``DEVICE_CLASS_STATE_CLASSES`` (the device classes below, with
  the ``UnitOf*`` enums' string values from ``homeassistant/const.py``). That version has no
  reactive-energy device class, so ``kvarh`` has none here.
* ``homeassistant/components/mqtt/discovery.py`` (same regex in every version stored, e.g.
  @ bdc5ec6042ca8092f29b687456a50a159dbce8a7): ``TOPIC_MATCHER``, matched against the topic
  with ``<discovery_prefix>/`` removed; a topic it does not match is ignored.
* ``homeassistant/components/mqtt/schemas.py`` @ c6ca7f5f416326437e8e652a5623aa5eff7b3d00:
  ``availability_topic`` and ``availability`` (a list of ``topic``, ``payload_available``,
  ``payload_not_available``, ``value_template``) are exclusive; ``availability_mode`` is
  ``all``, ``any`` or ``latest`` (default).
* ``homeassistant/components/binary_sensor/__init__.py``: ``BinarySensorDeviceClass`` (the
  values of the enum, below as ``BINARY_SENSOR_DEVICE_CLASSES``), and
  ``homeassistant/components/mqtt/binary_sensor.py``: the state is on when the rendered
  ``value_template`` equals ``payload_on`` (default ``ON``), off when it equals ``payload_off``
  (default ``OFF``); any other value is logged and ignored.
* ``homeassistant/components/mqtt/event.py``: ``event_types`` (a non-empty list) is required;
  a message is a JSON object whose ``event_type`` is one of them (the rest are attributes).
* ``homeassistant/components/mqtt/entity.py`` @ e79ecb303a76099cddc4af480a2079172ba581a3:
  ``MqttAvailability``: each availability topic starts unavailable; a message whose rendered
  template equals ``payload_available`` makes it available, ``payload_not_available`` makes it
  unavailable, anything else leaves it as it was; mode ``all`` is available only when every
  topic is. Templates are Jinja2 rendered with ``value`` and ``value_json`` (the payload
  parsed as JSON), as ``async_render_with_possible_json_value`` does.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

import jinja2.sandbox

__all__ = [
    "AVAILABILITY_MODES",
    "BINARY_SENSOR_DEVICE_CLASSES",
    "BINARY_SENSOR_PAYLOADS",
    "DEVICE_CLASS_STATE_CLASSES",
    "DEVICE_CLASS_UNITS",
    "STATE_CLASSES",
    "TOPIC_MATCHER",
    "available",
    "discovery_match",
    "render",
]

TOPIC_MATCHER = re.compile(
    r"(?P<component>\w+)/(?:(?P<node_id>[a-zA-Z0-9_-]+)/)?(?P<object_id>[a-zA-Z0-9_-]+)/config"
)

STATE_CLASSES = {"measurement", "total", "total_increasing"}
_ALL = set(STATE_CLASSES)
_TOTALS = {"total", "total_increasing"}
_VOLUME = {"mL", "L", "m³", "ft³", "CCF", "fl. oz.", "gal"}

# device class -> allowed units (None: no unit_of_measurement)
DEVICE_CLASS_UNITS: dict[str, set[str | None]] = {
    "apparent_power": {"VA"},
    "current": {"A", "mA"},
    "energy": {
        "J",
        "kJ",
        "MJ",
        "GJ",
        "mWh",
        "Wh",
        "kWh",
        "MWh",
        "GWh",
        "TWh",
        "cal",
        "kcal",
        "Mcal",
        "Gcal",
    },
    "frequency": {"Hz", "kHz", "MHz", "GHz"},
    "gas": {"CCF", "ft³", "m³"},
    "humidity": {"%"},
    "power": {"W", "kW", "MW", "GW", "TW"},
    "power_factor": {"%", None},
    "reactive_power": {"var"},
    "speed": {
        "ft/s",
        "in/d",
        "in/h",
        "in/s",
        "km/h",
        "kn",
        "m/s",
        "mph",
        "mm/d",
        "mm/h",
        "mm/s",
        "Beaufort",
    },
    "temperature": {"°C", "°F", "K"},
    "voltage": {"V", "mV", "µV", "kV", "MV"},
    "volume": _VOLUME,
    "volume_flow_rate": {"m³/h", "ft³/min", "L/min", "gal/min", "mL/s"},
    "volume_storage": _VOLUME,
    "water": {"CCF", "ft³", "m³", "gal", "L"},
}

DEVICE_CLASS_STATE_CLASSES: dict[str, set[str]] = {
    "apparent_power": {"measurement"},
    "current": {"measurement"},
    "energy": _TOTALS,
    "frequency": {"measurement"},
    "gas": _TOTALS,
    "humidity": {"measurement"},
    "power": {"measurement"},
    "power_factor": {"measurement"},
    "reactive_power": {"measurement"},
    "speed": {"measurement"},
    "temperature": {"measurement"},
    "voltage": {"measurement"},
    "volume": _TOTALS,
    "volume_flow_rate": {"measurement"},
    "volume_storage": {"measurement"},
    "water": _TOTALS,
}

AVAILABILITY_MODES = {"all", "any", "latest"}

BINARY_SENSOR_DEVICE_CLASSES = {
    "battery", "battery_charging", "carbon_monoxide", "cold", "connectivity", "door",
    "garage_door", "gas", "heat", "light", "lock", "moisture", "motion", "moving", "occupancy",
    "opening", "plug", "power", "presence", "problem", "running", "safety", "smoke", "sound",
    "tamper", "update", "vibration", "window",
}  # fmt: skip
BINARY_SENSOR_PAYLOADS = ("ON", "OFF")  # the MQTT binary sensor's default payload_on, payload_off


def discovery_match(topic: str, prefix: str = "homeassistant") -> re.Match[str] | None:
    """HA's match of a discovery topic (None: HA ignores the message)."""
    if not topic.startswith(f"{prefix}/"):
        return None
    return TOPIC_MATCHER.fullmatch(topic.removeprefix(f"{prefix}/"))


def render(template: str | None, payload: bytes) -> str:
    """A template rendered as HA renders a state or attribute template of an MQTT payload."""
    return _render(template, payload)


def _render(template: str | None, payload: bytes) -> str:
    text = payload.decode()
    if template is None:
        return text
    try:
        value_json = json.loads(text)
    except ValueError:
        value_json = None
    env = jinja2.sandbox.ImmutableSandboxedEnvironment()
    return env.from_string(template).render(value=text, value_json=value_json).strip()


def available(config: Mapping[str, Any], messages: Iterable[tuple[str, bytes]]) -> bool:
    """Whether HA shows the entity available after ``messages`` (topic, payload), in order.

    A broker hands a new subscriber the retained message of each topic, so the last retained
    payload per topic is a valid ``messages``; a topic with no message stays unavailable.
    """
    entries = config.get("availability")
    if entries is None:
        if "availability_topic" not in config:
            return True
        entries = [
            {
                "topic": config["availability_topic"],
                "value_template": config.get("availability_template"),
                "payload_available": config.get("payload_available", "online"),
                "payload_not_available": config.get("payload_not_available", "offline"),
            }
        ]
    by_topic = {entry["topic"]: entry for entry in entries}
    state = dict.fromkeys(by_topic, False)
    latest = False
    for topic, payload in messages:
        entry = by_topic.get(topic)
        if entry is None:
            continue
        rendered = _render(entry.get("value_template"), payload)
        if rendered == entry.get("payload_available", "online"):
            state[topic] = latest = True
        elif rendered == entry.get("payload_not_available", "offline"):
            state[topic] = latest = False
    mode = config.get("availability_mode", "latest")
    if mode == "all":
        return all(state.values())
    if mode == "any":
        return any(state.values())
    return latest
