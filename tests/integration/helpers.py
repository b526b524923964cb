"""Small helpers shared by the integration tests (real broker, real stores)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

__all__ = [
    "GatewayThread",
    "Recorder",
    "contiguous_seqs",
    "publish_all",
    "run_chain",
    "wait_until",
    "write_site",
]


def wait_until(
    predicate: Callable[[], bool], timeout: float = 20.0, what: str = "condition"
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def publish_all(port: int, messages: list[tuple[str, bytes]]) -> None:
    """Publish (topic, payload) pairs at QoS 1 and wait for every PUBACK."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"test-pub-{time.monotonic_ns()}")
    client.connect("127.0.0.1", port)
    client.loop_start()
    try:
        infos = [client.publish(t, p, qos=1) for t, p in messages]
        for info in infos:
            info.wait_for_publish(timeout=10)
    finally:
        client.disconnect()
        client.loop_stop()


def write_site(
    path: Path, broker_url: str, store_url: str, buses: str, meters: str, extra: str = ""
) -> Path:
    path.write_text(
        "site: {id: dairy, timezone: UTC}\n"
        f"broker: {{url: '{broker_url}'}}\n"
        f"store: {{url: '{store_url}'}}\n"
        f"{extra}"
        f"buses:\n{buses}"
        f"meters:\n{meters}"
    )
    return path


class GatewayThread:
    """Runs a Gateway in a background thread with its own event loop; stop() shuts it down cleanly."""

    def __init__(self, config, base_dir: Path) -> None:  # type: ignore[no-untyped-def]
        import asyncio
        import threading

        from gateway.service import Gateway

        self.gateway = Gateway(config, base_dir=base_dir, status_interval=1.0)
        self._loop = asyncio.new_event_loop()
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, name="test-gateway")

    def _main(self) -> None:
        import asyncio

        asyncio.set_event_loop(self._loop)

        async def run() -> None:
            self._stop = asyncio.Event()
            self._ready.set()
            await self.gateway.run(self._stop)

        try:
            self._loop.run_until_complete(run())
        finally:
            self._loop.close()

    def start(self) -> GatewayThread:
        self._thread.start()
        self._ready.wait(5)
        return self

    def stop(self) -> None:
        if self._stop is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)


class Recorder:
    """A plain (non-shared) MQTT subscriber that keeps every reading message it sees."""

    def __init__(
        self, port: int, topic: str = "plantmeter/+/+/reading", client_id: str | None = None
    ) -> None:
        """With a ``client_id`` the session is persistent: messages sent while away are kept."""
        import json
        import threading

        self.messages: list[dict] = []
        self.retained: dict[str, bytes] = {}
        self._lock = threading.Lock()
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id or f"recorder-{time.monotonic_ns()}",
            clean_session=client_id is None,
        )
        self.client.reconnect_delay_set(0.2, 1)

        def on_message(client, userdata, msg) -> None:  # type: ignore[no-untyped-def]
            with self._lock:
                if msg.topic.endswith("/reading"):
                    self.messages.append(json.loads(msg.payload) | {"_received": time.time()})
                else:
                    self.retained[msg.topic] = msg.payload

        self.client.on_message = on_message
        self.client.on_connect = lambda c, u, f, r, p: c.subscribe(
            [(topic, 1), ("plantmeter/+/+/status", 1), ("plantmeter/+/_gateway/+/status", 1)]
        )
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def by_meter(self) -> dict[str, list[dict]]:
        out: dict[str, list[dict]] = {}
        with self._lock:
            for m in self.messages:
                out.setdefault(m["meter"], []).append(m)
        return out

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def contiguous_seqs(messages: list[dict]) -> bool:
    """True when the distinct seq numbers form one run with no gap."""
    seqs = sorted({m["seq"] for m in messages})
    return bool(seqs) and seqs == list(range(seqs[0], seqs[-1] + 1))


def run_chain(
    config, store, mosquitto_port: int, workdir: Path, polls: int
) -> dict[str, list[dict]]:  # type: ignore[no-untyped-def]
    """Gateway + ingest into ``store`` until every meter was polled ``polls`` times and ingest
    stored every message; returns the reading messages a plain subscriber saw, per meter."""
    from ingest.service import IngestService

    ingest = IngestService(config, store)
    recorder = Recorder(mosquitto_port)
    ingest.start()
    try:
        gateway = GatewayThread(config, workdir).start()
        try:
            wait_until(
                lambda: (
                    len(recorder.by_meter()) == len(config.meters)
                    and all(len(v) >= polls for v in recorder.by_meter().values())
                ),
                timeout=30,
                what=f"{polls} polls of every meter",
            )
        finally:
            gateway.stop()
        published = recorder.by_meter()
        total = sum(len(v) for v in published.values())
        wait_until(
            lambda: ingest.stats.stored_messages >= total, what="ingest to store every message"
        )
    finally:
        ingest.stop()
        recorder.close()
    return published
