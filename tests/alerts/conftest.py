from __future__ import annotations

import pandas as pd
import pytest

from .history import leak_history


@pytest.fixture(scope="session")
def leaky() -> pd.DataFrame:
    """The CIP water meter's readings with the simulator's leak (tests/alerts/history.py)."""
    return leak_history()
