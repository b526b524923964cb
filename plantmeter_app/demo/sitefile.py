"""The demo's own site and plan files: the example dairy pointed at what this run started.

``write_site`` copies the example ``site.yaml`` into the data directory with the store, the
broker, the simulator's ports, the gateway's outbox, the poll interval and an ``alerts:``
section (e-mail to the demo's mail sink, links to the running dashboard). Every other
command (``plantmeter export``, ``report``, ``flags``, ``alerts``, ``serve``) then runs on that
file unchanged, as it would on a real plant's. ``copy_plan`` copies the M&V plan beside it
(its approval record is written next to it, so the example stays untouched).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

__all__ = ["DEMO_EMAILS", "LiveEndpoints", "copy_plan", "write_site"]

# who the demo's alerts and reports go to (the demo users carry these addresses)
DEMO_EMAILS = {
    "admin": "admin@dairy.example",
    "manager": "manager@dairy.example",
    "lender": "credit@greenbank.example",
    "auditor": "auditor@cpcentre.example",
}


@dataclass(frozen=True)
class LiveEndpoints:
    """What this run listens on."""

    store_url: str
    broker_url: str
    bus_ports: dict[str, int]
    smtp_port: int
    dashboard_url: str
    poll_s: float | None  # None: the site file's own poll intervals


def write_site(
    example: Path, out: Path, live: LiveEndpoints, outbox: Path, locale: str | None = None
) -> Path:
    """Write the demo's ``site.yaml`` (``out``) from the example's, in ``locale`` (``--lang``;
    None: the example's); returns its path."""
    raw: dict[str, Any] = yaml.safe_load(example.read_text())
    if locale is not None:
        raw["site"] = {**raw["site"], "locale": locale}
    raw["store"] = {"url": live.store_url}
    raw["broker"] = {"url": live.broker_url}
    raw["gateway"] = {**raw.get("gateway", {}), "outbox": str(outbox)}
    # the embedded broker (amqtt) speaks MQTT 3.1.1 best; one ingest member, no shared group
    raw["ingest"] = {
        "client_id": "demo-ingest",
        "group": "",
        "mqtt_version": "3.1.1",
        "batch_interval": "0.5s",
    }
    for bus in raw["buses"]:
        if bus["id"] in live.bus_ports:
            bus["host"] = "127.0.0.1"
            bus["port"] = live.bus_ports[bus["id"]]
    if live.poll_s is not None:
        for meter in raw["meters"]:
            meter["poll"] = f"{live.poll_s:g}s"
    if live.smtp_port:  # (--chain-only has no alert service)
        raw["alerts"] = _alerts(live)
    header = (
        "# Written by `plantmeter demo` for this run (the simulator's ports, the embedded broker,\n"
        "# the demo's mail sink): every plantmeter command runs on it, e.g.\n"
        f"#   plantmeter export {out} --meter main-elec\n"
    )
    out.write_text(header + yaml.safe_dump(raw, sort_keys=False, allow_unicode=True))
    return out


def _alerts(live: LiveEndpoints) -> dict[str, Any]:
    return {
        "dashboard_url": live.dashboard_url,
        "email": {
            "smtp_url": f"smtp://127.0.0.1:{live.smtp_port}",
            "from": "plantmeter@dairy.example",
            "timeout": "10s",
        },
        "mqtt": True,
        "rules": [
            {"to": [DEMO_EMAILS["manager"]], "severity": "warning"},
            {"to": [DEMO_EMAILS["admin"]], "severity": "critical"},
        ],
        "reminder_after": "24h",
        # the newest month's loan report to the lender and the last quarter's audit right away
        "reports": {"loan_day": 1, "audit_day": 1, "consumption_weekday": "monday"},
    }


def copy_plan(example: Path, out: Path) -> Path:
    """Copy the example M&V plan beside the demo's site file (unchanged: its digest stays).

    A data directory of an older example plan gets the new one and loses the old approval
    record (the demo approves the new plan again)."""
    if not out.is_file() or out.read_bytes() != example.read_bytes():
        record = out.with_name(out.stem + ".approved.json")
        if out.is_file() and record.is_file():
            record.unlink()
        shutil.copyfile(example, out)
    return out
