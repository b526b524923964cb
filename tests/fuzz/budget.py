"""How hard the property tests try, and how many inputs they tried.

Every property in tests/fuzz is decorated with ``@fuzz(N)`` under its ``@given``: N inputs on
CI (derandomized and without an example database, so every run tries the same inputs and a
failure reproduces), or ``PLANTMETER_FUZZ_EXAMPLES`` inputs per property for a long run, e.g.
``PLANTMETER_FUZZ_EXAMPLES=20000 .venv/bin/python -m pytest tests/fuzz``; a long run is
randomized, so each one explores new inputs (hypothesis prints the failing input to reproduce).

``fuzz`` counts the calls of the test body; the terminal summary (``pytest_terminal_summary``,
imported by tests/conftest.py) prints one line per property and the total.
"""

from __future__ import annotations

import functools
import os
from collections import Counter
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, settings

__all__ = ["ENV_EXAMPLES", "fuzz", "pytest_terminal_summary", "tried"]

ENV_EXAMPLES = "PLANTMETER_FUZZ_EXAMPLES"
F = TypeVar("F", bound=Callable[..., Any])

tried: Counter[str] = Counter()
"""Inputs each property's body was called with in this pytest run (key: module::function)."""


def _long_run() -> int | None:
    text = os.environ.get(ENV_EXAMPLES, "").strip()
    if not text:
        return None
    if not text.isdigit() or int(text) < 1:
        raise pytest.UsageError(
            f"{ENV_EXAMPLES}={text!r}: give a positive number of inputs per property"
        )
    return int(text)


def fuzz(examples: int) -> Callable[[F], F]:
    """Hypothesis settings for a property (``examples`` inputs on CI) and an input counter."""

    def wrap(test: F) -> F:
        key = f"{test.__module__.removeprefix('tests.fuzz.')}::{test.__name__}"

        @functools.wraps(test)
        def counted(*args: Any, **kwargs: Any) -> Any:
            tried[key] += 1
            return test(*args, **kwargs)

        long_run = _long_run()
        return settings(  # type: ignore[no-any-return]
            max_examples=long_run or examples,
            derandomize=long_run is None,
            database=None,
            deadline=None,
            print_blob=True,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        )(counted)

    return wrap


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """One line per property that ran: how many inputs it tried; then the total."""
    if not tried:
        return
    terminalreporter.section("fuzz: inputs tried per property")
    for key, count in sorted(tried.items()):
        terminalreporter.write_line(f"{count:>7,}  {key}")
    mode = (
        f"{ENV_EXAMPLES}={_long_run()}"
        if _long_run()
        else f"CI budget, derandomized; {ENV_EXAMPLES}=N for more"
    )
    terminalreporter.write_line(
        f"fuzz: {len(tried)} properties, {sum(tried.values()):,} inputs tried ({mode})"
    )
