"""The Modbus register codec, every type and word order, against numpy's own byte decoding (an
independent reference), and the gateway's request planning plus decoding over every profile of
the library: what a meter's registers hold is what the reading says."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import assume, given
from hypothesis import strategies as st

from gateway.decoding import decode_response
from gateway.requests import plan_requests
from plantmeter.profile import available_profiles, load_profile
from plantmeter.registers import DATA_TYPES, decode, encode, register_count

from .budget import fuzz

TYPES = sorted(DATA_TYPES)
ORDERS = ["big", "little"]
NUMPY = {
    "int16": ">i2",
    "uint16": ">u2",
    "int32": ">i4",
    "uint32": ">u4",
    "int64": ">i8",
    "uint64": ">u8",
    "float32": ">f4",
    "float64": ">f8",
}
WORD = st.integers(0, 0xFFFF)


def reference(words: list[int], data_type: str, word_order: str) -> float:
    """numpy's reading of the words (first register first) as ``data_type``."""
    ordered = words if word_order == "big" else words[::-1]
    raw = np.array(ordered, dtype=">u2").tobytes()
    return float(np.frombuffer(raw, dtype=NUMPY[data_type])[0])


@st.composite
def typed_words(draw: st.DrawFn) -> tuple[str, str, list[int]]:
    data_type = draw(st.sampled_from(TYPES))
    n = register_count(data_type)
    return data_type, draw(st.sampled_from(ORDERS)), draw(st.lists(WORD, min_size=n, max_size=n))


def _same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


@given(case=typed_words())
@fuzz(400)
def test_decode_matches_numpy_and_encode_gives_the_words_back(
    case: tuple[str, str, list[int]],
) -> None:
    data_type, order, words = case
    value = decode(words, data_type, order)
    assert _same(value, reference(words, data_type, order))
    if data_type in ("int64", "uint64") and abs(value) >= 2**53:
        return  # a float64 holds 53 bits: a 64-bit counter above 2^53 is decoded to the nearest double
    if not math.isnan(value):  # a NaN's payload bits are the meter's, not a value
        assert encode(value, data_type, order) == words


@given(case=typed_words())
@fuzz(200)
def test_little_word_order_is_the_words_reversed(case: tuple[str, str, list[int]]) -> None:
    data_type, _, words = case
    assert _same(decode(words, data_type, "little"), decode(words[::-1], data_type, "big"))


@given(
    data_type=st.sampled_from(TYPES),
    order=st.sampled_from(ORDERS),
    value=st.floats(allow_nan=False, allow_infinity=False, width=32)
    | st.integers(-(2**63), 2**64 - 1),
    scale=st.sampled_from([1.0, 0.1, 0.01, 0.001, 10.0, 1 / 3]),
)
@fuzz(400)
def test_a_value_in_range_round_trips_to_the_registers_resolution(
    data_type: str, order: str, value: float, scale: float
) -> None:
    bits = 16 * register_count(data_type)
    if data_type.startswith("float"):
        assume(abs(value) <= 1e30)
        words = encode(float(value), data_type, order, scale)
        back = decode(words, data_type, order, scale)
        expected = (
            float(np.float32(value / scale)) * scale
            if data_type == "float32"
            else value / scale * scale
        )
        assert math.isclose(back, expected, rel_tol=1e-15, abs_tol=0.0)
        return
    low, high = (
        (0, 2**bits - 1) if data_type.startswith("u") else (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
    )
    raw = round(value / scale)
    assume(low <= raw <= high and abs(raw) < 2**53)
    back = decode(encode(float(value), data_type, order, scale), data_type, order, scale)
    assert back == raw * scale


@given(
    data_type=st.sampled_from(TYPES),
    value=st.floats(allow_nan=True, allow_infinity=True) | st.integers(-(2**70), 2**70).map(float),
)
@fuzz(200)
def test_encoding_any_value_gives_words_or_a_value_error(data_type: str, value: float) -> None:
    try:
        words = encode(value, data_type, "big")
    except ValueError:
        return
    assert len(words) == register_count(data_type) and all(0 <= w <= 0xFFFF for w in words)


PROFILES = available_profiles()


@st.composite
def meter_registers(draw: st.DrawFn) -> tuple[str, str | None, dict[tuple[int, int], int]]:
    """A profile, a site's word-order override (or none), and what its registers hold."""
    profile = load_profile(draw(st.sampled_from(PROFILES)))
    held: dict[tuple[int, int], int] = {}
    for p in profile.points:
        for i in range(p.count):
            held[(p.fc, p.address + i)] = draw(WORD)
    return profile.id, draw(st.sampled_from([None, "big", "little"])), held


@given(case=meter_registers())
@fuzz(200)
def test_the_gateway_reads_every_profile_point_from_the_registers_it_planned(
    case: tuple[str, str | None, dict[tuple[int, int], int]],
) -> None:
    profile_id, override, held = case
    profile = load_profile(profile_id)
    decoded: dict[str, float] = {}
    rejected: dict[str, float] = {}
    for request in plan_requests(profile):
        response = [held.get((request.fc, request.address + i), 0) for i in range(request.count)]
        values, refused = decode_response(request, response, override)
        decoded.update(values)
        rejected.update({r.quantity: r.value for r in refused})
    assert set(decoded) | set(rejected) == {p.name for p in profile.points}
    for p in profile.points:
        words = [held[(p.fc, p.address + i)] for i in range(p.count)]
        expected = reference(words, p.type, override or p.word_order) * p.scale
        got = decoded.get(p.name, rejected.get(p.name))
        assert got is not None and _same(got, expected), (p.name, got, expected)
        if not math.isfinite(expected):
            assert p.name in rejected
