"""Small helpers shared by the integration tests (real broker, real stores)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

__all__ = ["publish_all", "wait_until", "write_site"]


def wait_until(predicate: Callable[[], bool], timeout: float = 20.0, what: str = "condition") -> None:
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


def write_site(path: Path, broker_url: str, store_url: str, buses: str, meters: str, extra: str = "") -> Path:
    path.write_text(
        "site: {id: dairy, timezone: UTC}\n"
        f"broker: {{url: '{broker_url}'}}\n"
        f"store: {{url: '{store_url}'}}\n"
        f"{extra}"
        f"buses:\n{buses}"
        f"meters:\n{meters}"
    )
    return path
