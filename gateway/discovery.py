"""Home Assistant MQTT discovery: one retained config message per meter quantity.

With ``gateway.homeassistant_discovery: true`` plant staff see every meter in Home
Assistant without configuring anything: the sensors read the reading topic directly.
"""

from __future__ import annotations

import json

from plantmeter.config import MeterConfig
from plantmeter.message import meter_status_topic, reading_topic
from plantmeter.profile import DeviceProfile

__all__ = ["discovery_messages"]

_DEVICE_CLASS = {
    "kWh": "energy",
    "W": "power",
    "V": "voltage",
    "A": "current",
    "Hz": "frequency",
    "VA": "apparent_power",
    "var": "reactive_power",
    "m3": "water",
    "degC": "temperature",
}
_HA_UNIT = {"m3": "m³", "m3/h": "m³/h", "degC": "°C"}


def discovery_messages(
    site: str, meter: MeterConfig, profile: DeviceProfile
) -> list[tuple[str, bytes]]:
    """(topic, payload) pairs to publish retained under ``homeassistant/sensor/...``."""
    out = []
    names = meter.quantities or [p.name for p in profile.points]
    for point in profile.points:
        if point.name not in names:
            continue
        object_id = f"{site}_{meter.id}_{point.name}".replace("-", "_")
        config: dict[str, object] = {
            "name": point.name.replace("_", " "),
            "unique_id": f"plantmeter_{object_id}",
            "state_topic": reading_topic(site, meter.id),
            "value_template": "{{ value_json['values']['" + point.name + "'] }}",
            "availability_topic": meter_status_topic(site, meter.id),
            "availability_template": "{{ value_json.state }}",
            "payload_available": "online",
            "payload_not_available": "offline",
            "state_class": "total_increasing" if point.kind == "counter" else "measurement",
            "device": {
                "identifiers": [f"plantmeter_{site}_{meter.id}"],
                "name": f"{meter.id} ({site})",
                "manufacturer": profile.manufacturer,
                "model": profile.model,
            },
        }
        if point.unit:
            config["unit_of_measurement"] = _HA_UNIT.get(point.unit, point.unit)
        device_class = _DEVICE_CLASS.get(point.unit)
        if device_class == "water" and meter.kind != "water":
            device_class = None
        if device_class:
            config["device_class"] = device_class
        out.append((f"homeassistant/sensor/{object_id}/config", json.dumps(config).encode()))
    return out
