"""Real receivers for the alert channels: a local HTTP server for the webhook, an MQTT
subscriber of the alert topics, and all three (with the SMTP server) at once for the fault
tests, counting what each fault caused on every channel."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from tests.smtp_server import SmtpServer

__all__ = ["Hook", "MqttEvents", "Sinks"]


class Hook:
    """A local HTTP server that records every POST and answers 500 to the first ``fail`` ones."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.fail = 0
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hook.calls.append((self.headers["Content-Type"], json.loads(body)))
                status = 500 if hook.fail > 0 else 204
                hook.fail -= 1
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/plantmeter"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join()


class MqttEvents:
    """Every message on ``plantmeter/+/alerts`` and ``plantmeter/+/alerts/event``."""

    def __init__(self, port: int) -> None:
        self.messages: list[tuple[str, bool, dict[str, Any]]] = []
        ready = threading.Event()
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=f"events-{time.monotonic_ns()}"
        )
        self.client.on_message = lambda c, u, m: self.messages.append(
            (m.topic, m.retain, json.loads(m.payload))
        )
        self.client.on_subscribe = lambda *a: ready.set()
        self.client.on_connect = lambda c, *a: c.subscribe(
            [("plantmeter/+/alerts", 1), ("plantmeter/+/alerts/event", 1)]
        )
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        assert ready.wait(10)

    def events(self, event_type: str = "open") -> list[dict[str, Any]]:
        time.sleep(0.3)  # what was published has arrived
        return [
            p for t, _, p in self.messages if t.endswith("/event") and p["event_type"] == event_type
        ]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


class Sinks:
    """SMTP server, webhook receiver and MQTT listener; ``alerts_yaml`` points a site at them."""

    def __init__(self, tmp: Path, mqtt_port: int) -> None:
        self.smtp = SmtpServer(tmp)
        self.hook = Hook()
        self.mqtt_port = mqtt_port

    def __enter__(self) -> Sinks:
        self.smtp.__enter__()
        self.mqtt = MqttEvents(self.mqtt_port)
        return self

    def __exit__(self, *exc: object) -> None:
        self.mqtt.close()
        self.hook.close()
        self.smtp.__exit__(*exc)

    def alerts_yaml(self, severity: str = "info") -> str:
        return (
            "alerts:\n"
            f'  email: {{smtp_url: "{self.smtp.url}", from: "plantmeter@dairy.example"}}\n'
            f'  webhook: {{url: "{self.hook.url}"}}\n'
            "  mqtt: true\n"
            f'  rules: [{{to: ["manager@dairy.example"], severity: {severity}}}]\n'
        )

    def openings(self) -> tuple[list[str], list[dict[str, Any]], list[dict[str, Any]]]:
        """(e-mail subjects, webhook bodies, MQTT events) of every opening so far."""
        mails = [m.message["Subject"] for m in self.smtp.messages()]
        opened = [m for m in mails if "still open: " not in m and "] over: " not in m]
        hooks = [body for _, body in self.hook.calls if body["event"] == "open"]
        return opened, hooks, self.mqtt.events("open")
