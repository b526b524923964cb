"""Home Assistant discovery payloads checked against Home Assistant's own rules (ha_rules.py)."""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any, get_args

import jinja2.sandbox
import pytest

from gateway.discovery import discovery_messages, discovery_topic, unique_id
from gateway.poller import MeterHealth, MeterPoller
from plantmeter.config import MeterConfig, MeterKind
from plantmeter.message import gateway_status_topic, meter_status_topic
from plantmeter.profile import DeviceProfile, available_profiles, load_profile

from .ha_rules import (
    AVAILABILITY_MODES,
    DEVICE_CLASS_STATE_CLASSES,
    DEVICE_CLASS_UNITS,
    STATE_CLASSES,
    available,
    discovery_match,
)
from .memory_bus import MemoryBus

GATEWAY = "gw-1"
HA_KNOWN_UNITS = {u for units in DEVICE_CLASS_UNITS.values() for u in units if u is not None}


def meter(profile: str, kind: str = "electricity", id: str = "m1", **kw: Any) -> MeterConfig:
    return MeterConfig(id=id, bus="b", unit_id=1, profile=profile, kind=kind, **kw)


def configs(
    site: str, m: MeterConfig, profile: DeviceProfile | None = None
) -> list[tuple[str, dict]]:
    profile = profile or load_profile(m.profile)
    return [(t, json.loads(p)) for t, p in discovery_messages(site, GATEWAY, m, profile)]


def quantity_of(config: dict) -> str:
    """Which reading value the sensor shows: its value_template rendered as HA would."""
    env = jinja2.sandbox.ImmutableSandboxedEnvironment()
    template = env.from_string(config["value_template"])
    names = {template.render(value_json={"values": {q: q}}) for q in ALL_QUANTITIES}
    names.discard("")
    assert len(names) == 1, f"{config['value_template']} does not pick one quantity"
    return names.pop()


ALL_QUANTITIES = sorted({q for p in available_profiles() for q in load_profile(p).quantities})


@pytest.mark.parametrize("named", [False, True], ids=["default", "all-named"])
@pytest.mark.parametrize("kind", get_args(MeterKind))
@pytest.mark.parametrize("profile_id", available_profiles())
def test_every_quantity_of_every_profile_fits_home_assistants_rules(
    profile_id: str, kind: str, named: bool
) -> None:
    """Each profile on each kind of meter, with its default quantities and with every quantity
    named in ``quantities`` (which discovers the parts of derived sums too)."""
    profile = load_profile(profile_id)
    kinds = {q.name: q.kind for q in [*profile.points, *profile.derived]}
    selection = {"quantities": profile.quantities} if named else {}
    fractions = {p for d in profile.derived for p in d.sum if profile.point(p).kind == "gauge"}
    found = configs("dairy", meter(profile_id, kind, **selection))
    if named:
        assert {quantity_of(c) for _, c in found} == set(profile.quantities)
    assert found, f"{profile_id}: nothing discovered"
    problems = []
    for topic, config in found:
        name = quantity_of(config)
        match = discovery_match(topic)
        if not (match and match["component"] == "sensor"):
            problems.append(f"{name}: HA ignores topic {topic}")
        state_class = config.get("state_class")
        unit = config.get("unit_of_measurement")
        device_class = config.get("device_class")
        if state_class not in STATE_CLASSES:
            problems.append(f"{name}: no state class HA knows ({state_class})")
        if device_class is not None:
            if device_class not in DEVICE_CLASS_UNITS:
                problems.append(f"{name}: unknown device class {device_class}")
                continue
            if unit not in DEVICE_CLASS_UNITS[device_class]:
                problems.append(f"{name}: HA rejects unit {unit!r} for device class {device_class}")
            if state_class not in DEVICE_CLASS_STATE_CLASSES[device_class]:
                problems.append(
                    f"{name}: HA calls state class {state_class} impossible for {device_class}"
                )
        elif name in fractions:  # 0..1 and back each unit: not a volume HA may add up
            if state_class != "measurement":
                problems.append(f"{name}: a fraction register is a measurement")
        elif unit in HA_KNOWN_UNITS:
            problems.append(f"{name}: unit {unit} has a Home Assistant device class, none given")
        if kinds[name] == "counter" and state_class != "total_increasing":
            problems.append(f"{name}: a counter only increases, state class is {state_class}")
    assert not problems, f"{profile_id} on a {kind} meter:\n" + "\n".join(problems)


def test_tuf2000_flow_and_volume_get_the_classes_home_assistant_expects() -> None:
    by_name = {quantity_of(c): c for _, c in configs("dairy", meter("tuf2000", "water"))}
    flow = by_name["flow_rate"]
    assert (flow["device_class"], flow["state_class"], flow["unit_of_measurement"]) == (
        "volume_flow_rate",
        "measurement",
        "m³/h",
    )
    total = by_name["volume_total"]
    assert (total["device_class"], total["state_class"], total["unit_of_measurement"]) == (
        "water",
        "total_increasing",
        "m³",
    )


def test_derived_quantities_are_discovered() -> None:
    """volume_total is the sum the gateway publishes; its integer and fraction parts are not
    what anyone reads, and HA gets the total instead of them."""
    names = {quantity_of(c) for _, c in configs("dairy", meter("tuf2000", "water"))}
    assert {"volume_total", "volume_reverse_total", "flow_rate"} <= names
    assert not names & {"volume_forward_int", "volume_forward_frac"}
    only = configs("dairy", meter("tuf2000", "water", quantities=["volume_total"]))
    assert [quantity_of(c) for _, c in only] == ["volume_total"]


def test_discovered_quantities_are_the_ones_the_gateway_publishes() -> None:
    """Every sensor reads a value the reading message carries: the poller's own output."""
    bus = MemoryBus()
    bus.units[1] = {}  # a TUF-2000 whose registers all read 0: every quantity decodes
    m = meter("tuf2000", "water")
    profile = load_profile("tuf2000")
    poller = MeterPoller("dairy", GATEWAY, m, profile, bus, outbox=None)
    published = asyncio.run(poller.read_once()).values
    for _, config in configs("dairy", m):
        assert quantity_of(config) in published


@pytest.mark.parametrize("site, meter_id", [("dairy", "main.elec"), ("dairy.north", "cip-water")])
def test_ids_with_dots_give_topics_home_assistant_accepts(site: str, meter_id: str) -> None:
    for topic, _ in configs(site, meter("eastron-sdm120", id=meter_id)):
        assert discovery_match(topic), f"HA ignores {topic}"


def test_dash_and_underscore_meters_do_not_collide() -> None:
    a = configs("dairy", meter("eastron-sdm120", id="a-b"))
    b = configs("dairy", meter("eastron-sdm120", id="a_b"))
    assert not {t for t, _ in a} & {t for t, _ in b}
    assert not {c["unique_id"] for _, c in a} & {c["unique_id"] for _, c in b}
    assert a[0][1]["device"]["identifiers"] != b[0][1]["device"]["identifiers"]


def test_topics_and_unique_ids_are_injective() -> None:
    """Every (site, meter, quantity) of a small exhaustive set of ids gets its own topic and
    unique_id, and every topic is one HA accepts (ids may hold letters, digits, '_', '.', '-')."""
    ids = [
        "".join(chars)
        for n in (1, 2, 3)
        for chars in itertools.product("ab2-_.", repeat=n)
        if chars[0] in "ab2"
    ]
    quantities = ["a", "b", "a_b", "b_a", "a_2"]
    topics: dict[tuple[str, str], tuple[str, str, str]] = {}
    uids: dict[str, tuple[str, str, str]] = {}
    for site, meter_id, quantity in itertools.product(ids[:40], ids, quantities):
        key = (site, meter_id, quantity)
        topic = discovery_topic(site, meter_id, quantity)
        match = discovery_match(topic)
        assert match, f"HA ignores {topic}"
        ha_key = (match["node_id"] or "", match["object_id"])  # HA's discovery hash
        assert topics.setdefault(ha_key, key) == key, f"{key} and {topics[ha_key]} collide"
        uid = unique_id(site, meter_id, quantity)
        assert uids.setdefault(uid, key) == key, f"{key} and {uids[uid]} share {uid}"


def _poller(bus: MemoryBus, m: MeterConfig) -> MeterPoller:
    return MeterPoller("dairy", GATEWAY, m, load_profile(m.profile), bus, outbox=None)


def test_availability_follows_the_gateway_and_the_meter() -> None:
    m = meter("xy-md02", "temperature", id="outdoor-temp")
    config = configs("dairy", m)[0][1]
    assert "availability_topic" not in config  # HA: exclusive with the availability list
    assert (
        config["availability_mode"] == "all" and config["availability_mode"] in AVAILABILITY_MODES
    )
    gw, mt = gateway_status_topic("dairy", GATEWAY), meter_status_topic("dairy", m.id)
    assert {e["topic"] for e in config["availability"]} == {gw, mt}
    birth = json.dumps({"state": "online", "gateway": GATEWAY}).encode()
    will = json.dumps({"state": "offline", "gateway": GATEWAY}).encode()

    poller = _poller(MemoryBus(), m)
    before = json.dumps(poller.health.as_dict()).encode()
    assert json.loads(before)["state"] != "online", "a meter never read is not online"
    assert not available(config, [(gw, birth), (mt, before)])

    bus = MemoryBus()
    bus.units[1] = {0x0001: 215, 0x0002: 450}  # 21.5 °C, 45.0 %RH (int16 x 0.1)
    poller = _poller(bus, m)
    assert asyncio.run(poller.poll())
    polled = json.dumps(poller.health.as_dict()).encode()
    assert available(config, [(gw, birth), (mt, polled)])
    # the gateway's last will: the meter's status stays retained `online`, HA must not believe it
    assert not available(config, [(gw, birth), (mt, polled), (gw, will)])
    # restarted gateway, meter not yet read: the old `online` of the meter does not count
    assert not available(config, [(mt, polled), (gw, will), (gw, birth), (mt, before)])


def test_a_meter_whose_first_poll_fails_reports_offline_once() -> None:
    m = meter("xy-md02", "temperature", id="outdoor-temp")
    seen: list[str] = []
    poller = MeterPoller(
        "dairy",
        GATEWAY,
        m,
        load_profile(m.profile),
        MemoryBus(),
        outbox=None,
        on_status=lambda _m, h: seen.append(str(h.as_dict()["state"])),
    )
    assert not asyncio.run(poller.poll())
    assert not asyncio.run(poller.poll())
    assert seen == ["offline"]
    assert isinstance(poller.health, MeterHealth)
