"""A real ``influxd`` for tests: the one in ``bench.servers``, which benchmarks share."""

from __future__ import annotations

from bench.servers import InfluxServer

__all__ = ["InfluxServer"]
