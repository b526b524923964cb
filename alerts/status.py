"""Is the chain itself running? The gateway's and ingest's retained status topics, read on the
site's broker each round, turned into ``gateway_down`` / ``ingest_down`` observations.

* The gateway publishes ``plantmeter/<site>/_gateway/<id>/status`` (``state: online`` with
  ``ts`` every 30 s; its last will and its clean stop say ``state: offline``).
* Ingest publishes ``plantmeter/_ingest/<client_id>/status`` (every 10 s; ``failed`` when it is
  connected but storing nothing; its last will says ``offline``).

Down: ``state`` is ``offline`` or ``failed``, or the last status is older than
``alerts.status_stale_after`` (5 min: a process that hangs keeps its connection, and its will
is never sent). A component that never published is not an alarm (never started here; the
dashboard shows its meters silent). A broker that cannot be reached says nothing either way:
logged, and the store's freshness (``offline`` meters) still speaks.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from plantmeter.config import SiteConfig
from plantmeter.i18n import N_
from plantmeter.message import gateway_status_topic
from plantmeter.mqtt import broker_label, make_client
from plantmeter.text import Num, Text

from .episodes import Observation

__all__ = ["Component", "components", "read_retained", "status_observations"]

logger = logging.getLogger(__name__)
_warned: set[str] = set()  # sites whose unreachable broker was warned about (once a process)


@dataclass(frozen=True, slots=True)
class Component:
    """A process of the chain whose retained status the alert service watches."""

    type: str  # gateway_down | ingest_down
    name: str  # the episode's "meter": _gateway/<id> or _ingest/<client_id>
    topic: str
    what: str  # in words


def components(site: SiteConfig) -> list[Component]:
    """The site's gateway and ingest, from the site file."""
    gw, client = site.gateway.id, site.ingest.client_id
    return [
        Component("gateway_down", f"_gateway/{gw}", gateway_status_topic(site.site.id, gw),
                  f"gateway {gw}"),
        Component("ingest_down", f"_ingest/{client}", f"plantmeter/_ingest/{client}/status",
                  f"ingest {client}"),
    ]  # fmt: skip


def read_retained(
    site: SiteConfig, topics: list[str], wait_s: float = 2.0
) -> dict[str, bytes] | None:
    """The retained payload of each topic that has one (None: the broker cannot be reached)."""
    client = make_client(site.broker, f"plantmeter-alerts-status-{site.site.id}")
    got: dict[str, bytes] = {}
    ready = threading.Event()
    done = threading.Event()

    def on_connect(c: Any, userdata: Any, flags: Any, reason: Any, props: Any = None) -> None:
        if reason.is_failure:
            logger.warning(
                "status topics: %s refused the connection (%s)", broker_label(site.broker), reason
            )
            done.set()
            return
        for t in topics:
            c.subscribe(t, qos=1)
        ready.set()

    def on_message(c: Any, userdata: Any, msg: Any) -> None:
        if msg.retain:
            got[msg.topic] = bytes(msg.payload)
            if len(got) == len(topics):
                done.set()

    client.on_connect = on_connect
    client.on_message = on_message
    try:
        client.connect(site.broker.host, site.broker.port, keepalive=int(site.broker.keepalive))
    except OSError as exc:
        level = logging.WARNING if site.site.id not in _warned else logging.INFO
        _warned.add(site.site.id)
        logger.log(level, "status topics: cannot reach %s (%s): gateway and ingest not checked "
                   "(no gateway runs for this site? set alerts.status_topics: false)",
                   broker_label(site.broker), exc)  # fmt: skip
        return None
    client.loop_start()
    try:
        deadline = time.monotonic() + wait_s
        if not ready.wait(wait_s):
            return None
        # retained messages come right after the SUBACK; a topic without one sends nothing
        done.wait(max(deadline - time.monotonic(), 0.2))
        return dict(got)
    finally:
        client.disconnect()
        client.loop_stop()


def status_observations(
    site: SiteConfig, retained: Mapping[str, bytes], now: datetime, stale_after_s: float
) -> list[Observation]:
    """What the status payloads say is down now."""
    out = []
    now_ms = int(now.timestamp() * 1000)
    for comp in components(site):
        raw = retained.get(comp.topic)
        if raw is None:
            continue  # never published: not started here
        try:
            status = json.loads(raw)
            state = str(status.get("state", ""))
            ts = status.get("ts")
            ts_ms = int(ts) if isinstance(ts, int | float) else None
        except (ValueError, AttributeError):
            state, ts_ms = "unreadable", None
        reason: Text | None = None
        if state == "offline":
            reason = Text(
                N_("{what} is offline (its last message on {topic})"),
                what=comp.what,
                topic=comp.topic,
            )
        elif state == "failed":
            reason = Text(
                N_("{what} is connected but stores nothing ({errors} store errors)"),
                what=comp.what,
                errors=str(status.get("store_errors")),
            )
        elif state == "unreadable":
            reason = Text(
                N_("{what}'s status on {topic} is not JSON"), what=comp.what, topic=comp.topic
            )
        elif ts_ms is not None and now_ms - ts_ms > stale_after_s * 1000:
            last = datetime.fromtimestamp(ts_ms / 1000.0, UTC)
            reason = Text(
                N_(
                    "{what} has not reported since {last} UTC ({minutes} min): hung or cut off "
                    "from the broker"
                ),
                what=comp.what,
                last=f"{last:%Y-%m-%d %H:%M}",
                minutes=Num((now_ms - ts_ms) / 60000),
            )
        if reason is None:
            continue
        since = ts_ms if ts_ms is not None and state not in ("offline", "failed") else now_ms
        out.append(
            Observation(
                comp.name,
                comp.type,
                "",
                "status",
                "critical",
                reason.english(),
                since,
                now_ms,
                message=reason.dumps(),
            )
        )
    return out
