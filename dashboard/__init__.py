"""dashboard: the FastAPI dashboard (issue #13): live meter data, savings, loans, users and roles.

``create_app(settings, store)`` builds the app over a read-only SeriesStore; ``DashboardSettings``
is its one settings object. The application package (``plantmeter serve``) opens the store and
runs uvicorn; ``plantmeter user ...`` manages the users database (``dashboard.users``).
"""

from .app import create_app
from .settings import DashboardSettings

__all__ = ["DashboardSettings", "create_app"]
