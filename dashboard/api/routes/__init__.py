"""One module per API resource; each exposes ``router``."""

__all__: list[str] = []
