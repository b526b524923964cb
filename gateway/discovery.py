"""Home Assistant MQTT discovery: one retained config message per published meter quantity.

With ``gateway.homeassistant_discovery: true`` plant staff see every meter in Home
Assistant without configuring anything: the sensors read the reading topic directly.

The payloads follow Home Assistant's own rules (tests/gateway/ha_rules.py cites them):

* topic ``homeassistant/sensor/plantmeter_<site>/<meter>_<quantity>/config``; HA accepts
  only ``[a-zA-Z0-9_-]`` in the node and object ids, so ids are escaped injectively:
  ``_`` doubles and ``.`` becomes ``_-`` (``a-b`` and ``a_b`` stay two meters). A single
  ``_`` is followed by a letter or digit (an id or quantity starts with one), so the
  separators cannot be mistaken for an escape.
* availability needs both the gateway's status (its birth message and last will) and the
  meter's (``online`` only after a good poll), ``availability_mode: all``: a gateway that
  died leaves its meters' retained ``online`` behind, and values frozen since must not look
  live.
* device class and state class from the unit: only the pairs HA allows (a volume in m³ is a
  total, never a measurement; a flow in m³/h is ``volume_flow_rate``).
* derived quantities (the TUF-2000's ``volume_total``) are discovered; the points summed
  into one are not, unless the site's ``quantities`` names them (a fraction register then
  has no device class: it goes 0..1 and back, no volume HA may add up).
"""

from __future__ import annotations

import json

from plantmeter.config import MeterConfig
from plantmeter.message import gateway_status_topic, meter_status_topic, reading_topic
from plantmeter.profile import Derived, DeviceProfile, Point

__all__ = [
    "PREFIX",
    "discovery_messages",
    "discovery_topic",
    "legacy_topics",
    "unique_id",
]

PREFIX = "homeassistant"

# profile unit -> (Home Assistant unit, device class); None: HA has no class for it
_UNITS: dict[str, tuple[str | None, str | None]] = {
    "kWh": ("kWh", "energy"),
    "kvarh": ("kvarh", None),  # no reactive-energy class in the HA version the tests cite
    "W": ("W", "power"),
    "VA": ("VA", "apparent_power"),
    "var": ("var", "reactive_power"),
    "V": ("V", "voltage"),
    "A": ("A", "current"),
    "Hz": ("Hz", "frequency"),
    "degC": ("°C", "temperature"),
    "%RH": ("%", "humidity"),
    "m/s": ("m/s", "speed"),
    "m3/h": ("m³/h", "volume_flow_rate"),
    "m3": ("m³", "volume"),  # water or gas by the meter's kind, below
}
_VOLUME_BY_KIND = {"water": "water", "gas": "gas"}
# HA allows only total / total_increasing for these: a gauge of them is a `total`
_TOTALS_ONLY = {"energy", "gas", "volume", "water"}
_ONLINE = "{{ 'online' if value_json.state == 'online' else 'offline' }}"


def _escape(text: str) -> str:
    """An id in HA's topic alphabet, injectively: ``_`` -> ``__``, ``.`` -> ``_-``."""
    return text.replace("_", "__").replace(".", "_-")


def discovery_topic(site: str, meter: str, quantity: str) -> str:
    """The retained config topic of one sensor."""
    return f"{PREFIX}/sensor/plantmeter_{_escape(site)}/{_escape(meter)}_{quantity}/config"


def unique_id(site: str, meter: str, quantity: str) -> str:
    """The sensor's unique_id in Home Assistant's entity registry."""
    return f"plantmeter_{_escape(site)}_{_escape(meter)}_{quantity}"


def _discovered(meter: MeterConfig, profile: DeviceProfile) -> list[Point | Derived]:
    items: list[Point | Derived] = [*profile.points, *profile.derived]
    if meter.quantities is not None:
        return [q for q in items if q.name in meter.quantities]
    parts = {part for d in profile.derived for part in d.sum}
    return [q for q in items if q.name not in parts]


def _classes(
    meter: MeterConfig, profile: DeviceProfile, quantity: Point | Derived
) -> dict[str, str]:
    unit, device_class = _UNITS.get(quantity.unit, (quantity.unit or None, None))
    if quantity.unit == "" and quantity.name.startswith("power_factor"):
        device_class = "power_factor"
    parts = {part for d in profile.derived for part in d.sum}
    if quantity.kind == "gauge" and quantity.name in parts:
        device_class = None  # a fraction register, 0..1 and back: no volume of its own
    if device_class == "volume":
        device_class = _VOLUME_BY_KIND.get(meter.kind, "volume")
    if quantity.kind == "counter":
        state_class = "total_increasing"
    elif device_class in _TOTALS_ONLY:
        state_class = "total"  # a gauge of volume (a net total): may go down
    else:
        state_class = "measurement"
    out = {"state_class": state_class}
    if unit:
        out["unit_of_measurement"] = unit
    if device_class:
        out["device_class"] = device_class
    return out


def discovery_messages(
    site: str, gateway: str, meter: MeterConfig, profile: DeviceProfile
) -> list[tuple[str, bytes]]:
    """(topic, payload) pairs to publish retained, one per quantity the meter publishes."""
    availability = [
        {"topic": gateway_status_topic(site, gateway), "value_template": _ONLINE},
        {"topic": meter_status_topic(site, meter.id), "value_template": _ONLINE},
    ]
    out = []
    for quantity in _discovered(meter, profile):
        config: dict[str, object] = {
            "name": quantity.name.replace("_", " "),
            "unique_id": unique_id(site, meter.id, quantity.name),
            "state_topic": reading_topic(site, meter.id),
            "value_template": "{{ value_json['values']['" + quantity.name + "'] }}",
            "availability": [
                entry | {"payload_available": "online", "payload_not_available": "offline"}
                for entry in availability
            ],
            "availability_mode": "all",
            **_classes(meter, profile, quantity),
            "device": {
                "identifiers": [f"plantmeter_{_escape(site)}_{_escape(meter.id)}"],
                "name": f"{meter.id} ({site})",
                "manufacturer": profile.manufacturer,
                "model": profile.model,
            },
        }
        out.append((discovery_topic(site, meter.id, quantity.name), json.dumps(config).encode()))
    return out


def legacy_topics(site: str, meter: MeterConfig, profile: DeviceProfile) -> list[str]:
    """Config topics of the releases before the escaping (one topic level, ``-`` as ``_``).

    An empty retained message on them removes the old entities from HA; they never equal a
    current topic, which has a node level.
    """
    return [
        f"{PREFIX}/sensor/" + f"{site}_{meter.id}_{p.name}".replace("-", "_") + "/config"
        for p in profile.points
    ]
