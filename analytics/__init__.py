"""PlantMeter analytics: counters -> interval use, baselines, verified savings with
uncertainty, and anomaly flags.

Public interface (imported lazily so ``import analytics`` does not compile numba kernels):

* ``compute_savings`` / ``SavingsResult`` / ``ModelInfo`` (``analytics.api``)
* ``NonRoutineAdjustment``, ``avoided_energy``, ``normalized_savings`` (``analytics.savings``)
* ``SufficiencyWarning`` (``analytics.sufficiency``)
* ``ChangePointModel``, ``TOWTModel``, ``select_daily``, ``load_model`` (``analytics.models``)
* ``detect_meter``, ``detect_site``, ``MeterData``, ``rank_flags`` (``analytics.engine``: every detector,
  one meter or many, no store); ``run_flags`` (``analytics.jobs``, the only store-touching module)
* ``MeterReference``, ``Costing`` (``analytics.flagref``: what is normal, what excess costs)
* ``analytics.kernels``, ``analytics.stats``, ``analytics.anomalies`` as modules.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "ChangePointModel",
    "Costing",
    "MeterData",
    "MeterReference",
    "ModelInfo",
    "NonRoutineAdjustment",
    "SavingsResult",
    "SufficiencyWarning",
    "TOWTModel",
    "avoided_energy",
    "compute_savings",
    "detect_meter",
    "detect_site",
    "load_model",
    "normalized_savings",
    "rank_flags",
    "run_flags",
    "select_daily",
]

_WHERE = {
    "ChangePointModel": "models",
    "Costing": "flagref",
    "MeterData": "engine",
    "MeterReference": "flagref",
    "ModelInfo": "api",
    "NonRoutineAdjustment": "savings",
    "SavingsResult": "api",
    "SufficiencyWarning": "sufficiency",
    "TOWTModel": "models",
    "avoided_energy": "savings",
    "compute_savings": "api",
    "detect_meter": "engine",
    "detect_site": "engine",
    "load_model": "models",
    "normalized_savings": "savings",
    "rank_flags": "engine",
    "run_flags": "jobs",
    "select_daily": "models",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module 'analytics' has no attribute {name!r}")
