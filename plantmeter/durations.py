"""Typed durations for config files: ``500ms``, ``10s``, ``5m``, ``1h``, ``1d`` or a number of seconds."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BeforeValidator, PlainSerializer

__all__ = ["Duration", "format_duration", "parse_duration"]

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "d": 86400.0}
_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|min|m|h|d)\s*$")


def parse_duration(value: object) -> float:
    """Return seconds for ``value`` (``"10s"``, ``"5m"``, ``2.5``); raise ValueError with the accepted forms."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration; write e.g. 500ms, 10s, 5m, 1h or 1d")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and (match := _PATTERN.match(value)):
        seconds = float(match.group(1)) * _UNITS[match.group(2)]
    else:
        raise ValueError(f"{value!r} is not a duration; write e.g. 500ms, 10s, 5m, 1h or 1d")
    if seconds < 0:
        raise ValueError(f"{value!r} is negative; a duration is 0 or more")
    return seconds


def format_duration(seconds: float) -> str:
    """Shortest readable form of ``seconds`` (``10s``, ``15m``, ``250ms``)."""
    for unit, factor in (("d", 86400.0), ("h", 3600.0), ("m", 60.0), ("s", 1.0)):
        if seconds >= factor and (seconds / factor).is_integer():
            return f"{int(seconds / factor)}{unit}"
    return f"{round(seconds * 1000)}ms"


Duration = Annotated[
    float,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str),
]
"""Seconds, written in config files as ``10s`` / ``5m`` / ``1h``."""
