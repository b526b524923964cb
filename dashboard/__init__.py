"""dashboard: the FastAPI dashboard (issue #13): live meter data, savings, loans, users and roles.

``create_app(settings, store)`` builds the app over a read-only SeriesStore; ``DashboardSettings``
is its one settings object. The application package (``plantmeter serve``) opens the store and
runs uvicorn; ``plantmeter user ...`` manages the users database (``dashboard.users``).
``create_app`` is imported on first use, so ``plantmeter --help`` does not load FastAPI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import create_app
    from .settings import DashboardSettings

__all__ = ["DashboardSettings", "create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from .app import create_app

        return create_app
    if name == "DashboardSettings":
        from .settings import DashboardSettings

        return DashboardSettings
    raise AttributeError(f"module 'dashboard' has no attribute {name!r}")
