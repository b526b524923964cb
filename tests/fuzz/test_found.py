"""What the property tests found, each pinned by a plain example (they failed before the fix).

* A reading whose ``events`` was not a list (``5``), or whose value or event counter was an
  integer too long for a double (the standard parser reads any number of digits), raised
  TypeError/OverflowError instead of a MessageError: ingest's batch thread stopped on it, so any
  client allowed to publish one message stopped ingest, and the broker redelivered it after the
  restart. An event counter of ``1e400`` was accepted as infinity.
* A site or plan file that is not UTF-8 raised UnicodeDecodeError (a traceback); a control
  character (NUL) gave an error without a line and with PyYAML's ``in "<unicode string>"``.
* ``registers.encode`` of a value beyond float32's range raised OverflowError, not ValueError.
* A CSV timestamp with an offset ISO 8601 does not allow (``+0:00``, ``+05``), which pandas reads
  anyway, raised ValueError (mixed time zones) or TypeError instead of being a reported bad row.
* An unknown key holding a control character (``"\\r": 1``) was printed raw in the error line.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from ingest.csv_import import import_csv
from ingest.service import IngestService
from ingest.stores import SqliteStore
from plantmeter.config import load_site
from plantmeter.errors import ConfigError, MessageError
from plantmeter.message import Reading, decode_reading, encode_reading, reading_topic
from plantmeter.registers import encode
from reports.load import load_plan
from tests.integration.helpers import publish_all, wait_until, write_site
from tests.servers import MosquittoServer

NOW = 1_767_225_600_000
EXAMPLE = Path(__file__).parents[2] / "examples" / "dairy"


def _payload(
    values: str = '{"energy_import_total": 1.5}', events: str | None = None, ts: int = NOW
) -> bytes:
    text = (
        f'{{"schema": 1, "site": "dairy", "meter": "main-elec", "gateway": "gw", "seq": 1, "ts": {ts}, '
        f'"values": {values}' + (f', "events": {events}' if events is not None else "") + "}"
    )
    return text.encode()


HUGE = "1" + "0" * 400
POISON = {
    "events is a number": (_payload(events="5"), "wrong_type"),
    "events is an object": (_payload(events='{"a": 1}'), "wrong_type"),
    "a value past a double": (_payload(values=f'{{"energy_import_total": {HUGE}}}'), "not_finite"),
    "an event counter past a double": (
        _payload(
            events=f'[{{"quantity": "energy_import_total", "type": "reset", "previous": {HUGE}, "current": 0}}]'
        ),
        "not_finite",
    ),
    "an event counter of 1e400": (
        _payload(
            events='[{"quantity": "energy_import_total", "type": "reset", "previous": 1e400, "current": 0}]'
        ),
        "not_finite",
    ),
    "an event quantity that is no quantity name": (
        _payload(events='[{"quantity": "Bad Name", "type": "reset", "previous": 2, "current": 0}]'),
        "wrong_type",
    ),
}


@pytest.mark.parametrize("payload, reason", POISON.values(), ids=POISON.keys())
def test_a_malformed_reading_is_a_message_error(payload: bytes, reason: str) -> None:
    with pytest.raises(MessageError) as raised:
        decode_reading(payload, now_ms=NOW)
    assert raised.value.reason == reason


@pytest.mark.integration
def test_ingest_dead_letters_the_poison_messages_and_goes_on_storing(
    tmp_path: Path, mosquitto: MosquittoServer
) -> None:
    site = write_site(
        tmp_path / "site.yaml",
        mosquitto.url,
        f"sqlite:///{tmp_path}/s.db",
        "  - {id: b, transport: tcp, host: 127.0.0.1, port: 5020}\n",
        "  - {id: main-elec, bus: b, unit_id: 1, profile: eastron-sdm630, kind: electricity}\n",
        "ingest: " + json.dumps({"batch_interval": "100ms"}) + "\n",
    )
    store = SqliteStore(tmp_path / "s.db")
    service = IngestService(load_site(site, environ={}), store)
    service.start()
    topic = reading_topic("dairy", "main-elec")
    now = int(time.time() * 1000)
    poison = [
        _payload(events="5", ts=now),
        _payload(values=f'{{"energy_import_total": {HUGE}}}', ts=now),
    ]
    good = encode_reading(Reading("dairy", "main-elec", "gw", 2, now, {"energy_import_total": 7.0}))
    try:
        assert service.connected.wait(10)
        publish_all(mosquitto.port, [(topic, p) for p in poison] + [(topic, good)])
        wait_until(
            lambda: service.stats.stored_messages >= 1 or service.failure is not None,
            what="the good reading",
        )
        assert service.failure is None
    finally:
        service.stop()
    assert list(store.read("dairy", "main-elec")["energy_import_total"]) == [7.0]
    assert sorted(d.reason for d in store.read_dead_letters()) == ["not_finite", "wrong_type"]
    store.close()


def test_a_site_file_that_is_not_utf8_is_a_config_error_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "site.yaml"
    path.write_bytes(
        (EXAMPLE / "site.yaml")
        .read_text()
        .replace("milk reception", "recepci\xf3n")
        .encode("latin-1")
    )
    expected = rf"^{path}:3: not UTF-8 text \(byte 0xf3 at offset \d+\); save the file as UTF-8$"
    with pytest.raises(ConfigError, match=expected):
        load_site(path, {})


def test_a_nul_character_in_a_plan_is_a_config_error_with_its_line(tmp_path: Path) -> None:
    for name in ("site.yaml", "mv-plan.yaml"):
        (tmp_path / name).write_text((EXAMPLE / name).read_text())
    path = tmp_path / "mv-plan.yaml"
    lines = path.read_text().splitlines(keepends=True)
    lines[9] = "currency: US\x00D\n"
    path.write_text("".join(lines))
    with pytest.raises(ConfigError) as raised:
        load_plan(path, {})
    assert str(raised.value).startswith(f"{path}:10: invalid YAML: character #x0000 is not allowed")
    assert "<unicode string>" not in str(raised.value)


def test_encoding_a_value_beyond_float32_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="float32"):
        encode(1e39, "float32")
    assert encode(3.0e38, "float32") == encode(3.0e38, "float32", "big")


def test_a_key_with_a_control_character_is_quoted_in_the_error(tmp_path: Path) -> None:
    path = tmp_path / "site.yaml"
    path.write_text(
        (EXAMPLE / "site.yaml").read_text() + '"\\r": 1\n'
    )  # a carriage return as a key
    with pytest.raises(ConfigError) as raised:
        load_site(path, {})
    assert (
        str(raised.value)
        == f"{path}:26: ['\\r']: Extra inputs are not permitted; remove it or check its spelling"
    )


@pytest.mark.parametrize("odd", ["2025-10-26T05:15+0:00", "2025-10-26T05:15+05"])
@pytest.mark.parametrize("alone", [False, True], ids=["among-site-times", "alone"])
def test_a_timestamp_with_an_offset_iso_8601_does_not_allow_is_a_reported_bad_row(
    tmp_path: Path, odd: str, alone: bool
) -> None:
    """``+0:00`` is not an ISO 8601 offset, yet pandas reads it: among site-time rows that mixed
    naive and aware times (ValueError: Mixed timezones), alone it made the naive parse tz-aware
    (TypeError). Either way a traceback; now it is a skipped row named in the report."""
    csv = tmp_path / "m.csv"
    rows = [] if alone else ["2025-10-26 05:00,10.0"]
    csv.write_text(
        "\n".join(["timestamp,energy_import_total", *rows, f"{odd},11.0", "2025-10-26T05:30Z,12.0"])
        + "\n"
    )
    store = SqliteStore(tmp_path / "s.db")
    try:
        report = import_csv(
            store, "dairy", "m", csv, "UTC", {"energy_import_total": "kWh"}, progress=False
        )
        stored = list(store.read("dairy", "m")["energy_import_total"])
    finally:
        store.close()
    assert stored == ([10.0, 12.0] if not alone else [12.0])
    assert len(report.skipped_rows) == 1 and repr(odd) in report.skipped_rows[0]
    assert "is not ISO 8601" in report.skipped_rows[0]
