"""Every analytics module declares __all__, and every exported name exists."""

from __future__ import annotations

import importlib

import pytest

MODULES = [
    "analytics",
    "analytics.api",
    "analytics.anomalies",
    "analytics.jobs",
    "analytics.prepare",
    "analytics.savings",
    "analytics.stats",
    "analytics.sufficiency",
    "analytics.kernels",
    "analytics.kernels.changepoint",
    "analytics.kernels.control",
    "analytics.kernels.counters",
    "analytics.kernels.detect",
    "analytics.kernels.regression",
    "analytics.kernels.towt",
    "analytics.models",
    "analytics.models.base",
    "analytics.models.changepoint",
    "analytics.models.selection",
    "analytics.models.towt",
]


@pytest.mark.parametrize("name", MODULES)
def test_all_is_declared_and_resolves(name: str) -> None:
    mod = importlib.import_module(name)
    assert isinstance(mod.__all__, list | tuple) and mod.__all__
    for attr in mod.__all__:
        assert getattr(mod, attr) is not None, f"{name}.{attr}"
