from __future__ import annotations

from gateway.decoding import CounterWatch, add_derived, decode_response
from gateway.requests import plan_requests
from plantmeter.profile import load_profile
from plantmeter.registers import encode


def registers_for(request, values: dict[str, float]) -> list[int]:
    regs = [0] * request.count
    for p in request.points:
        regs[p.address - request.address : p.address - request.address + p.count] = encode(
            values.get(p.name, 1.0), p.type, p.word_order, p.scale
        )
    return regs


def test_decode_and_sanity_checks() -> None:
    profile = load_profile("eastron-sdm630")
    request = next(
        r for r in plan_requests(profile) if any(p.name == "voltage_l1" for p in r.points)
    )
    regs = registers_for(
        request, {"voltage_l1": 231.5, "voltage_l2": float("nan"), "voltage_l3": 5e7}
    )
    values, rejected = decode_response(request, regs)
    assert values["voltage_l1"] == 231.5
    reasons = {r.quantity: r.reason for r in rejected}
    assert reasons["voltage_l2"] == "not a finite number"
    assert "outside the plausible range" in reasons["voltage_l3"]


def test_counter_reset_and_rollover_are_events_not_negative_use() -> None:
    profile = load_profile("eastron-sdm630")
    watch = CounterWatch()
    assert watch.check(profile.points, {"energy_import_total": 500.0}) == []
    assert watch.check(profile.points, {"energy_import_total": 501.0}) == []
    (event,) = watch.check(profile.points, {"energy_import_total": 0.2})
    assert (event.type, event.previous, event.current) == ("reset", 501.0, 0.2)


def test_rollover_of_an_integer_counter() -> None:
    profile = load_profile("tuf2000")
    watch = CounterWatch({"volume_forward_int": 2147483600.0})
    point = profile.point("volume_forward_int")
    (event,) = watch.check([point], {"volume_forward_int": 12.0})
    assert event.type == "rollover"


def test_derived_total_is_the_sum_of_parts() -> None:
    profile = load_profile("tuf2000")
    values = {"volume_forward_int": 1234.0, "volume_forward_frac": 0.75}
    add_derived(profile, values)
    assert values["volume_total"] == 1234.75
