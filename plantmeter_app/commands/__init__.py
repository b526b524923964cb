"""The ``plantmeter`` subcommands, one module per job; each has ``register(subparsers)``."""

from __future__ import annotations

__all__: list[str] = []
