"""Home Assistant discovery for the alert topic: one binary sensor per alarm type (on while an
alarm of that type is active on the site) and a sensor of the active alarms' count, read from
the retained ``plantmeter/<site>/alerts`` list (``alerts.topic``), and an event entity that
fires ``open``/``remind``/``close`` for each notice on ``plantmeter/<site>/alerts/event`` (an
instant fault such as a counter reset is never in the active list, but is an event).

Published with the alert topic when the site has ``alerts.mqtt: true`` and
``gateway.homeassistant_discovery: true``; retained, and only when a payload changed (the
ledger keeps what was published). Checked against Home Assistant's rules in
``tests/alerts/test_ha_discovery.py`` (topic alphabet, binary sensor device classes and its
default ``ON``/``OFF`` payloads, templates rendered as Home Assistant renders them).
"""

from __future__ import annotations

import json

from plantmeter.alertconfig import ALERT_TYPES

from .topic import alert_event_topic, alert_topic

__all__ = ["DEVICE_CLASSES", "alert_discovery_messages"]

PREFIX = "homeassistant"

DEVICE_CLASSES = {"leak": "moisture"}
"""Binary sensor device class per alarm type (on = wet for a leak); the rest are ``problem``
(on = problem detected). ``offline`` and ``*_down`` are problems too: ``connectivity`` would
mean on = connected, the opposite of an alarm."""


def _escape(text: str) -> str:  # as gateway.discovery: injective into HA's topic alphabet
    return text.replace("_", "__").replace(".", "_-")


def alert_discovery_messages(site: str) -> list[tuple[str, bytes]]:
    """(topic, payload) of every discovery config for the site's alarms."""
    node = f"plantmeter_{_escape(site)}"
    device = {"identifiers": [f"{node}_alerts"], "name": f"PlantMeter alarms ({site})",
              "manufacturer": "PlantMeter", "model": "alert service"}  # fmt: skip
    state = alert_topic(site)
    out = []
    for kind in ALERT_TYPES:
        matching = f"value_json.alarms | selectattr('type', 'equalto', '{kind}')"
        config = {
            "name": f"{kind.replace('_', ' ')} alarm",
            "unique_id": f"{node}_alert_{kind}",
            "state_topic": state,
            "value_template": f"{{{{ 'ON' if {matching} | list | count > 0 else 'OFF' }}}}",
            "json_attributes_topic": state,
            "json_attributes_template": (
                f"{{{{ {{'meters': {matching} | map(attribute='meter') | list}} | tojson }}}}"
            ),
            "device_class": DEVICE_CLASSES.get(kind, "problem"),
            "device": device,
        }
        topic = f"{PREFIX}/binary_sensor/{node}/alert_{kind}/config"
        out.append((topic, json.dumps(config, sort_keys=True).encode()))
    events = {
        "name": "alert notices",
        "unique_id": f"{node}_alert_events",
        "state_topic": alert_event_topic(site),
        "event_types": ["open", "remind", "close"],
        "device": device,
    }
    out.append(
        (f"{PREFIX}/event/{node}/alert_events/config", json.dumps(events, sort_keys=True).encode())
    )
    count = {
        "name": "active alarms",
        "unique_id": f"{node}_alerts_active",
        "state_topic": state,
        "value_template": "{{ value_json.count }}",
        "state_class": "measurement",
        "device": device,
    }
    out.append(
        (f"{PREFIX}/sensor/{node}/alerts_active/config", json.dumps(count, sort_keys=True).encode())
    )
    return out
