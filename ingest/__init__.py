"""ingest: MQTT reading messages -> SeriesStore (SQLite, InfluxDB).

Public interface: ``open_store(url)`` and the store classes; the subscriber service
is ``ingest.service.IngestService``; the CLI commands live in ``plantmeter_app.commands.ingest``.
"""

from __future__ import annotations

from .stores import SqliteStore, open_store

__all__ = ["SqliteStore", "open_store"]
