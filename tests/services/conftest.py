"""The simulated dairy history of tests/reports (one SQLite store, plan approved), reused here."""

from __future__ import annotations

from tests.reports.conftest import Dairy, dairy

__all__ = ["Dairy", "dairy"]
