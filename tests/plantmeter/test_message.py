from __future__ import annotations

import json

import pytest

from plantmeter.errors import MessageError
from plantmeter.message import (
    MAX_PAYLOAD_BYTES,
    CounterEvent,
    Reading,
    decode_reading,
    encode_reading,
    parse_reading_topic,
    reading_topic,
)

NOW = 1_767_225_600_000


def reading(**changes: object) -> Reading:
    base = dict(
        site="dairy",
        meter="main-elec",
        gateway="gw-1",
        seq=7,
        ts=NOW,
        values={"energy_import_total": 1234.5},
    )
    base.update(changes)
    return Reading(**base)  # type: ignore[arg-type]


def body(**changes: object) -> bytes:
    data = json.loads(encode_reading(reading()))
    data.update(changes)
    return json.dumps(data).encode()


def test_round_trip_with_events() -> None:
    r = reading(events=(CounterEvent("energy_import_total", "reset", 9000.0, 0.5),))
    assert decode_reading(encode_reading(r), reading_topic("dairy", "main-elec"), now_ms=NOW) == r


def test_topic_helpers() -> None:
    assert reading_topic("dairy", "cip-water") == "plantmeter/dairy/cip-water/reading"
    assert parse_reading_topic("plantmeter/dairy/cip-water/reading") == ("dairy", "cip-water")


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"not json", "not_json"),
        (b"[1, 2]", "wrong_type"),
        (body(schema=99), "bad_schema"),
        (body(seq="7"), "wrong_type"),
        (body(ts=1.5e12), "wrong_type"),
        (body(ts=5), "bad_timestamp"),
        (body(ts=NOW + 3 * 86_400_000), "bad_timestamp"),
        (body(values={"energy_import_total": "12"}), "wrong_type"),
        (body(values={"energy_import_total": True}), "wrong_type"),
        (body(values={}), "missing_field"),
        (body(values={"Bad Name": 1}), "wrong_type"),
        (encode_reading(reading()).replace(b"1234.5", b"NaN"), "not_finite"),
        (encode_reading(reading()).replace(b"1234.5", b"Infinity"), "not_finite"),
        (b"{" + b" " * MAX_PAYLOAD_BYTES + b"}", "too_large"),
    ],
)
def test_malformed_payloads_are_rejected_with_a_reason(payload: bytes, reason: str) -> None:
    with pytest.raises(MessageError) as info:
        decode_reading(payload, now_ms=NOW)
    assert info.value.reason == reason


def test_missing_field_is_named() -> None:
    data = json.loads(encode_reading(reading()))
    del data["meter"]
    with pytest.raises(MessageError, match="'meter' is missing"):
        decode_reading(json.dumps(data).encode(), now_ms=NOW)


def test_topic_must_match_payload() -> None:
    with pytest.raises(MessageError) as info:
        decode_reading(encode_reading(reading()), "plantmeter/dairy/other/reading", now_ms=NOW)
    assert info.value.reason == "topic_mismatch"


def test_integers_beyond_64_bits_are_refused() -> None:
    # orjson reads them as floats; no gateway counts 2**64 polls
    with pytest.raises(MessageError, match="'seq' must be an integer"):
        decode_reading(body(seq=2**70), now_ms=NOW)
