"""Ingest end to end (Mosquitto -> IngestService -> InfluxDB) beside its two raw references.

    python -m bench.ingest [--messages 30000] [--meters 20] [--rounds 3]

Starts its own Mosquitto and influxd (Debian's packages, temporary directories). A publisher
in its own process (so it does not share the GIL with the client being measured) sends M
reading messages, each with the 28 quantities of an Eastron SDM630, at QoS 1. Per round:

* **mqtt raw**: a bare paho client (MQTT 5, QoS 1, automatic ack, no decoding) subscribed
  to the same topics receives the same messages: paho -> Mosquitto -> paho alone;
* **influx raw**: ``bench.influx_raw.raw_write_rate``: pre-built line protocol, 28 fields
  per line, 5,000-line POSTs straight into the same influxd;
* **ingest**: the real ``IngestService`` (shared subscription, persistent session, JSON
  validation, batches into ``InfluxStore``, manual ack after the write) until every message
  is stored.

Each MQTT rate runs from the publisher's go to the last message received (raw) or stored
(ingest). Rounds alternate so that load from elsewhere hits all three alike; the medians
are compared, and the ratio is ingest / the slower raw rate (target >= 0.70).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from statistics import median

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from plantmeter.message import Reading, encode_reading, reading_topic
from plantmeter.profile import load_profile

__all__ = ["build_payloads", "main", "run"]

SITE = "bench"
T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z


def build_payloads(n: int, meters: int, offset: int = 0) -> list[tuple[str, bytes]]:
    """``n`` SDM630 reading messages spread over ``meters`` meters, 10 ms apart per meter."""
    names = [p.name for p in load_profile("eastron-sdm630").points]
    out = []
    for i in range(offset, offset + n):
        meter = f"m{i % meters:03d}"
        seq = i // meters
        values = {name: round(1000.0 + 0.37 * k + 0.001 * seq, 3) for k, name in enumerate(names)}
        reading = Reading(SITE, meter, "bench-gw", seq, T0 + seq * 10, values)
        out.append((reading_topic(SITE, meter), encode_reading(reading)))
    return out


# --- the publisher (a child process) -----------------------------------------------------
def _publisher(port: int, n: int, meters: int, offset: int) -> None:
    """Connect, print ``ready``, wait for a line on stdin, publish, wait for every PUBACK."""
    payloads = build_payloads(n, meters, offset)
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-pub-{offset}")
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.connect("127.0.0.1", port)
    client.loop_start()
    print("ready", flush=True)
    sys.stdin.readline()
    infos = [client.publish(topic, payload, qos=1) for topic, payload in payloads]
    for info in infos:
        info.wait_for_publish(timeout=120)
    client.disconnect()
    client.loop_stop()
    print("done", flush=True)


class Publisher:
    """The publisher process: ``go()`` starts it and returns the start time."""

    def __init__(self, port: int, n: int, meters: int, offset: int) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bench.ingest",
                "--_publish",
                str(port),
                str(n),
                str(meters),
                str(offset),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None and self.proc.stdin is not None
        line = self.proc.stdout.readline().strip()
        if line != "ready":
            self.proc.kill()
            raise RuntimeError(f"publisher did not start (said {line!r})")

    def go(self) -> float:
        assert self.proc.stdin is not None
        started = time.perf_counter()
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()
        return started

    def wait(self) -> None:
        self.proc.communicate(timeout=180)


# --- the three measurements ---------------------------------------------------------------
def mqtt_raw_rate(port: int, n: int, meters: int, offset: int, mqtt5: bool = True) -> float:
    """Messages/s for paho -> Mosquitto -> paho at QoS 1 (automatic ack), in ingest's protocol."""
    done = threading.Event()
    count = [0]
    last = [0.0]

    def on_message(client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        count[0] += 1
        if count[0] >= n:
            last[0] = time.perf_counter()
            done.set()

    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id="bench-raw-sub",
        protocol=mqtt.MQTTv5 if mqtt5 else mqtt.MQTTv311,
    )
    client.on_message = on_message
    subscribed = threading.Event()
    client.on_subscribe = lambda *a: subscribed.set()
    if mqtt5:
        props = Properties(PacketTypes.CONNECT)
        props.ReceiveMaximum = 65535
        client.connect("127.0.0.1", port, properties=props)
    else:  # the test broker's max_inflight_messages is unlimited
        client.connect("127.0.0.1", port)
    client.loop_start()
    try:
        client.subscribe(f"plantmeter/{SITE}/+/reading", qos=1)
        if not subscribed.wait(10):
            raise RuntimeError("raw subscriber: no SUBACK")
        publisher = Publisher(port, n, meters, offset)
        started = publisher.go()
        if not done.wait(300):
            raise RuntimeError(f"raw subscriber got {count[0]} of {n} messages")
        publisher.wait()
    finally:
        client.disconnect()
        client.loop_stop()
    return n / (last[0] - started)


def _drop_session(port: int, client_id: str) -> None:
    """End ingest's persistent session, so the broker stops queueing the next rounds for it."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    client.connect("127.0.0.1", port, clean_start=True)
    client.loop_start()
    client.disconnect()
    client.loop_stop()


def _site(
    mqtt_url: str, store_url: str, meters: int, ingest: dict[str, object]
) -> dict[str, object]:
    """The bench site: ``meters`` SDM630s (never polled: only their ids matter to ingest)."""
    return {
        "site": {"id": SITE, "timezone": "UTC"},
        "broker": {"url": mqtt_url},
        "store": {"url": store_url},
        "ingest": {"client_id": "bench-ingest", **ingest},
        "buses": [{"id": "b", "transport": "tcp", "host": "127.0.0.1", "port": 5020}],
        "meters": [
            {
                "id": f"m{k:03d}",
                "bus": "b",
                "unit_id": k % 247 + 1,
                "profile": "eastron-sdm630",
                "kind": "electricity",
            }
            for k in range(meters)
        ],
    }


def ingest_rate(
    mqtt_url: str, store_url: str, n: int, meters: int, offset: int, ingest: dict[str, object]
) -> tuple[float, dict[str, object]]:
    """Messages/s through IngestService into InfluxDB (until every message is stored)."""
    from ingest.service import IngestService
    from ingest.stores import open_store
    from plantmeter.config import SiteConfig

    config = SiteConfig.model_validate(_site(mqtt_url, store_url, meters, ingest))
    store = open_store(store_url)
    service = IngestService(config, store, status_interval=3600)
    service.start()
    try:
        if not service.connected.wait(10):
            raise RuntimeError("ingest did not connect")
        time.sleep(0.3)  # the SUBACK
        publisher = Publisher(config.broker.port, n, meters, offset)
        started = publisher.go()
        deadline = time.monotonic() + 300
        while service.stats.stored_messages < n:
            if time.monotonic() > deadline:
                raise RuntimeError(f"ingest stored {service.stats.stored_messages} of {n}")
            time.sleep(0.005)
        elapsed = time.perf_counter() - started
        publisher.wait()
    finally:
        service.stop()
        store.close()
        _drop_session(config.broker.port, config.ingest.client_id)
    stats = service.stats.as_dict(0.0)
    if stats["dead_letters"]:
        raise RuntimeError(f"dead letters in the bench: {stats['dead_by_reason']}")
    return n / elapsed, stats


def _stored_count(influx_port: int) -> int:
    """Readings stored so far (one count query; cheap next to the writes it waits for)."""
    import urllib.parse
    import urllib.request

    q = urllib.parse.urlencode(
        {"db": "plantmeter", "q": 'SELECT count("power_total") FROM readings'}
    )
    with urllib.request.urlopen(
        f"http://127.0.0.1:{influx_port}/query?{q}", timeout=10
    ) as response:
        body = json.loads(response.read())
    series = body["results"][0].get("series")
    return int(series[0]["values"][0][1]) if series else 0


def ingest_processes_rate(
    mqtt_url: str,
    store_url: str,
    influx_port: int,
    n: int,
    meters: int,
    offset: int,
    ingest: dict[str, object],
    processes: int,
    workdir: Path,
) -> float:
    """Messages/s through ``plantmeter ingest --processes N`` (separate processes, one group)."""
    site = workdir / "bench-site.json"  # JSON is YAML
    site.write_text(json.dumps(_site(mqtt_url, store_url, meters, ingest)))
    online: set[str] = set()
    watcher = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-status")
    watcher.on_message = lambda c, u, m: online.add(m.topic) if b'"online"' in m.payload else None
    watcher.connect("127.0.0.1", int(mqtt_url.rsplit(":", 1)[1]))
    watcher.subscribe("plantmeter/_ingest/+/status", qos=1)
    watcher.loop_start()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "plantmeter_app",
            "--log-level",
            "WARNING",
            "ingest",
            str(site),
            "--processes",
            str(processes),
            "--status-interval",
            "3600",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while len(online) < processes:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError(f"ingest members did not come online: {sorted(online)}")
            time.sleep(0.05)
        time.sleep(0.5)  # the SUBACKs
        before = _stored_count(influx_port)
        publisher = Publisher(int(mqtt_url.rsplit(":", 1)[1]), n, meters, offset)
        started = publisher.go()
        deadline = time.monotonic() + 300
        while _stored_count(influx_port) < before + n:
            if time.monotonic() > deadline:
                raise RuntimeError("ingest processes did not store every message")
            time.sleep(0.1)
        elapsed = time.perf_counter() - started
        publisher.wait()
    finally:
        proc.terminate()
        proc.wait(60)
        watcher.disconnect()
        watcher.loop_stop()
        client_id = str(ingest.get("client_id", "bench-ingest"))
        # one process keeps the configured client id, N > 1 get <client_id>-1..N; a member's
        # persistent session left behind stays in the group and Mosquitto queues its share of
        # the next run's messages for it (offline) instead of handing them to the members online
        names = (
            [client_id] if processes == 1 else [f"{client_id}-{k}" for k in range(1, processes + 1)]
        )
        for name in names:
            _drop_session(int(mqtt_url.rsplit(":", 1)[1]), name)
    return n / elapsed


def run(
    messages: int, meters: int, rounds: int, ingest: dict[str, object], processes: int = 0
) -> dict[str, object]:
    """Start the servers, alternate the three measurements, return medians and the ratio."""
    from bench.influx_raw import raw_write_rate
    from bench.servers import InfluxServer, MosquittoServer

    fields = len(load_profile("eastron-sdm630").points)
    size = len(build_payloads(1, meters)[0][1])
    raw_mqtt: list[float] = []
    raw_influx: list[float] = []
    ingested: list[float] = []
    last_stats: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        with (
            MosquittoServer(Path(tmp) / "mosquitto") as broker,
            InfluxServer(Path(tmp) / "influxd") as influx,
        ):
            raw_write_rate(influx.url, 20_000, fields_per_line=fields, measurement="warmup")
            for r in range(rounds):
                offset = r * messages  # fresh timestamps each round: every write is a new point
                mqtt5 = ingest.get("mqtt_version", "5") == "5"
                raw_mqtt.append(mqtt_raw_rate(broker.port, messages, meters, offset, mqtt5))
                raw_influx.append(
                    raw_write_rate(influx.url, messages * fields, fields_per_line=fields) / fields
                )
                if processes:
                    rate = ingest_processes_rate(
                        broker.url,
                        influx.url,
                        influx.port,
                        messages,
                        meters,
                        offset,
                        ingest,
                        processes,
                        Path(tmp),
                    )
                else:
                    rate, last_stats = ingest_rate(
                        broker.url, influx.url, messages, meters, offset, ingest
                    )
                ingested.append(rate)
    slower = min(median(raw_mqtt), median(raw_influx))
    return {
        "messages": messages,
        "meters": meters,
        "rounds": rounds,
        "fields": fields,
        "payload_bytes": size,
        "mqtt_raw": raw_mqtt,
        "influx_raw": raw_influx,
        "ingest": ingested,
        "ratio": median(ingested) / slower,
        "ingest_stats": last_stats,
        "ingest_settings": ingest,
    }


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--_publish"]:
        port, n, meters, offset = (int(a) for a in argv[1:5])
        _publisher(port, n, meters, offset)
        return
    parser = argparse.ArgumentParser(
        prog="python -m bench.ingest",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--messages", type=int, default=30_000, help="reading messages per round")
    parser.add_argument(
        "--meters", type=int, default=20, help="meters the messages are spread over"
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="alternating rounds (medians are compared)"
    )
    parser.add_argument(
        "--batch-size", type=int, help="ingest.batch_size (default: the site default)"
    )
    parser.add_argument("--batch-interval", type=float, help="ingest.batch_interval in s")
    parser.add_argument("--receive-maximum", type=int, help="ingest.receive_maximum")
    parser.add_argument(
        "--mqtt-version",
        choices=["5", "3.1.1"],
        help="ingest.mqtt_version, for ingest and the raw subscriber alike (default 5)",
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=0,
        help="run `plantmeter ingest --processes N` "
        "(separate processes in one shared-subscription group) instead of one in-process service",
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    ingest: dict[str, object] = {}
    for key in ("batch_size", "batch_interval", "receive_maximum", "mqtt_version"):
        if getattr(args, key) is not None:
            ingest[key] = getattr(args, key)
    result = run(args.messages, args.meters, args.rounds, ingest, args.processes)
    if args.json:
        print(json.dumps(result, indent=1))
        return
    fields = int(result["fields"])  # type: ignore[call-overload]
    print(
        f"{result['messages']:,} SDM630 readings per round ({fields} values, {result['payload_bytes']} bytes each), "
        f"{result['meters']} meters, QoS 1, {result['rounds']} alternating rounds; medians"
    )
    rows = (
        ("paho -> Mosquitto -> paho (raw)", result["mqtt_raw"]),
        ("line protocol -> influxd (raw)", result["influx_raw"]),
        ("ingest: Mosquitto -> InfluxDB", result["ingest"]),
    )
    for name, rates in rows:
        rates = list(rates)  # type: ignore[call-overload]
        print(
            f"{name:32}: {median(rates):9,.0f} msg/s {median(rates) * fields:11,.0f} values/s"
            f"   runs: {', '.join(f'{r:,.0f}' for r in rates)}"
        )
    print(f"{'ingest / slower raw rate':32}: {result['ratio']:.2f}  (target >= 0.70)")
    stats = result["ingest_stats"]
    if stats:  # an in-process service (with --processes the members report on their status topics)
        print(
            f"last ingest round: {stats['batches']} batches, last batch {stats['batch_latency_ms']} ms"
        )  # type: ignore[index]
    else:
        print(f"ingest ran as {args.processes} processes in one shared-subscription group")


if __name__ == "__main__":
    main()
