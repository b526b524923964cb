"""What the services need to know of a site meter: its config, quantity units and counter."""

from __future__ import annotations

import logging
from pathlib import Path

from plantmeter.config import MeterConfig, SiteConfig
from plantmeter.counters import CounterSpec, meter_counter
from plantmeter.errors import ConfigError, PlantMeterError
from plantmeter.profile import Derived, Point

__all__ = ["counter_of", "quantity_kinds", "site_meter"]

logger = logging.getLogger(__name__)


def site_meter(site: SiteConfig, meter: str) -> MeterConfig:
    """The meter ``meter`` of the site; ConfigError listing the site's meters when absent."""
    try:
        return site.meter(meter)
    except KeyError:
        raise ConfigError(
            f"meter {meter!r} is not in site {site.site.id!r}; meters: "
            f"{', '.join(m.id for m in site.meters)}"
        ) from None


def quantity_kinds(
    site: SiteConfig, meter: MeterConfig, base_dir: Path | None = None
) -> dict[str, tuple[str, str]]:
    """Quantity -> (unit, "counter" | "gauge") from the meter's profile ({} when not loaded)."""
    try:
        profile = site.profile_for(meter, base_dir)
    except (PlantMeterError, OSError) as exc:
        logger.warning("meter %s: profile not loaded (%s); units unknown", meter.id, exc)
        return {}
    items: list[Point | Derived] = [*profile.points, *profile.derived]
    return {i.name: (i.unit, i.kind) for i in items}


def counter_of(meter: MeterConfig, base_dir: Path | None = None) -> CounterSpec | None:
    """The meter's counter (quantity, wrap modulus) by ``plantmeter.counters``' rule."""
    return meter_counter(meter, base_dir=base_dir)
