"""plantmeter: the contracts every PlantMeter package shares (see plantmeter/README.md)."""

from __future__ import annotations

from .config import SiteConfig, load_site
from .errors import PlantMeterError
from .message import Reading, decode_reading, encode_reading, reading_topic
from .profile import DeviceProfile, load_profile
from .store import DeadLetter, Flag, SeriesPoint, SeriesRow, SeriesStore

__all__ = [
    "DeadLetter",
    "DeviceProfile",
    "Flag",
    "PlantMeterError",
    "Reading",
    "SeriesPoint",
    "SeriesRow",
    "SeriesStore",
    "SiteConfig",
    "decode_reading",
    "encode_reading",
    "load_profile",
    "load_site",
    "reading_topic",
]
