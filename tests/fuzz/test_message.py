"""The reading message decoder against any payload: a Reading or a MessageError with a known
reason, never another exception (ingest turns a MessageError into a dead letter; anything else
stopped its batch thread, so one bad message from anyone allowed to publish stopped ingest)."""

from __future__ import annotations

import json
import math
import operator
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from plantmeter.errors import MessageError
from plantmeter.message import (
    CounterEvent,
    Reading,
    decode_reading,
    encode_reading,
    parse_reading_topic,
    reading_topic,
)

from .budget import fuzz

NOW = 1_767_225_600_000
REASONS = {
    "not_json",
    "bad_schema",
    "missing_field",
    "wrong_type",
    "not_finite",
    "too_large",
    "bad_timestamp",
    "topic_mismatch",
    "bad_topic",
}
_ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
IDS = st.builds(operator.add, st.sampled_from(_ALNUM), st.text(_ALNUM + "_.-", max_size=20))
_LOWER = "abcdefghijklmnopqrstuvwxyz"
QUANTITIES = st.builds(
    operator.add, st.sampled_from(_LOWER), st.text(_LOWER + "0123456789_", max_size=20)
)
FINITE = st.floats(allow_nan=False, allow_infinity=False)
# JSON numbers as text, including the ones orjson refuses and the standard parser reads
# (integers past 64 bits, exponents past a double's range)
BIG_NUMBERS = st.sampled_from(
    ["1" + "0" * 400, "-" + "9" * 30, "1e400", "-1e400", "1e-400", "18446744073709551616"]
)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | FINITE | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)


def _decodes_or_refuses(payload: bytes, topic: str | None = None) -> Reading | None:
    try:
        return decode_reading(payload, topic, now_ms=NOW)
    except MessageError as exc:
        assert exc.reason in REASONS, exc.reason
        return None


def _valid_body() -> dict[str, Any]:
    return {
        "schema": 1,
        "site": "dairy",
        "meter": "main-elec",
        "gateway": "gw-1",
        "seq": 7,
        "ts": NOW,
        "values": {"energy_import_total": 1234.5},
        "events": [
            {"quantity": "energy_import_total", "type": "reset", "previous": 9.0, "current": 1.0}
        ],
    }


@given(payload=st.binary(max_size=300))
@fuzz(300)
def test_any_bytes_decode_or_are_refused_with_a_reason(payload: bytes) -> None:
    _decodes_or_refuses(payload)


@given(value=JSON)
@fuzz(200)
def test_any_json_document_decodes_or_is_refused_with_a_reason(value: object) -> None:
    _decodes_or_refuses(json.dumps(value).encode())


FIELDS = ["schema", "site", "meter", "gateway", "seq", "ts", "values", "events"]


@given(
    field=st.sampled_from(
        FIELDS
        + [
            "values.energy_import_total",
            "events.0",
            "events.0.previous",
            "events.0.current",
            "events.0.quantity",
            "events.0.type",
        ]
    ),
    replacement=JSON | BIG_NUMBERS.map(lambda text: ("raw", text)),
    delete=st.booleans(),
)
@fuzz(400)
def test_a_valid_message_with_one_field_changed_decodes_or_is_refused(
    field: str, replacement: object, delete: bool
) -> None:
    body: Any = _valid_body()
    *parents, last = field.split(".")
    node = body
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    key: int | str = int(last) if isinstance(node, list) else last
    raw = replacement[1] if isinstance(replacement, tuple) else None
    if delete:
        del node[key]
    else:
        node[key] = "@RAW@" if raw is not None else replacement
    payload = json.dumps(body).replace('"@RAW@"', raw or "").encode()
    reading = _decodes_or_refuses(payload, reading_topic("dairy", "main-elec"))
    if reading is not None:  # what was accepted is what ingest can store: finite numbers only
        assert all(math.isfinite(v) for v in reading.values.values())
        assert all(math.isfinite(e.previous) and math.isfinite(e.current) for e in reading.events)


EVENTS = st.builds(
    CounterEvent,
    quantity=QUANTITIES,
    type=st.sampled_from(["rollover", "reset"]),
    previous=FINITE,
    current=FINITE,
)
READINGS = st.builds(
    Reading,
    site=IDS,
    meter=IDS,
    gateway=IDS,
    seq=st.integers(0, 2**63 - 1),
    ts=st.integers(946_684_800_000, NOW),
    values=st.dictionaries(
        QUANTITIES, FINITE | st.integers(-(2**53), 2**53).map(float), min_size=1, max_size=8
    ),
    events=st.lists(EVENTS, max_size=3).map(tuple),
)


@given(reading=READINGS)
@fuzz(300)
def test_every_valid_reading_round_trips_through_its_payload(reading: Reading) -> None:
    topic = reading_topic(reading.site, reading.meter)
    assert decode_reading(encode_reading(reading), topic, now_ms=NOW) == reading
    assert parse_reading_topic(topic) == (reading.site, reading.meter)


TOPICS = st.text(max_size=60) | st.builds(
    lambda a, b: f"plantmeter/{a}/{b}/reading", st.text(max_size=8), st.text(max_size=8)
)


@given(topic=TOPICS)
@fuzz(200)
def test_any_topic_parses_or_is_refused(topic: str) -> None:
    try:
        site, meter = parse_reading_topic(topic)
    except MessageError as exc:
        assert exc.reason == "bad_topic"
        return
    assert reading_topic(site, meter) == topic
