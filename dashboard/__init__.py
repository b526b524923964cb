"""dashboard: FastAPI live view, M&V view and report pages. Not built yet: no issue asks for it."""

__all__: list[str] = []
