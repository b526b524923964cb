"""Readings fingerprints: the digest is the canonical SHA-256 and differences are counted."""

from __future__ import annotations

import hashlib
import struct

import numpy as np
import pandas as pd

from reports.readings import fingerprint, readings_differ


def _series(values: list[float], start: str = "2024-07-01", freq: str = "h") -> pd.Series:
    idx = pd.date_range(start, periods=len(values), freq=freq, tz="UTC")
    return pd.Series(values, index=idx, dtype=float)


def test_digest_is_the_documented_sha256() -> None:
    s = _series([1.0, 2.5, 4.0])
    fp = fingerprint({("m", "energy_import_total"): s})
    ts = [int(t.value // 1_000_000) for t in s.index]
    raw = (
        b"m\tenergy_import_total\t3\n" + struct.pack("<3q", *ts) + struct.pack("<3d", 1.0, 2.5, 4.0)
    )
    assert fp["digest"] == "sha256:" + hashlib.sha256(raw).hexdigest()
    assert fp["count"] == 3 and fp["series"]["m/energy_import_total"]["counts"] == [3]


def test_differences_are_counted_and_a_lower_bound_is_said() -> None:
    s = _series(list(np.arange(96.0)))  # four days of hourly readings
    base = fingerprint({("m", "q"): s})
    assert not readings_differ(base, fingerprint({("m", "q"): s}))
    # a late import into a day that had none: exactly those readings differ
    gap = s[(s.index.day != 2)]
    change = readings_differ(fingerprint({("m", "q"): gap}), base)
    assert (change.n, change.at_least) == (24, False) and change.describe() == "24 readings differ"
    # readings added to days that had some: the stored values could have changed besides
    added = pd.concat([s, _series([1.0, 2.0], "2024-07-01 00:30", "1D")]).sort_index()
    change = readings_differ(base, fingerprint({("m", "q"): added}))
    assert change.n == 2 and change.describe() == "at least 2 readings differ"
    edited = s.copy()
    edited.iloc[[3, 30]] += 1.0  # two values changed, on two days of 24 readings
    change = readings_differ(base, fingerprint({("m", "q"): edited}))
    assert change.n == 2 and change.describe() == "at least 2 readings differ"
    daily = _series([1.0, 2.0, 3.0], freq="D")  # one reading a day: a changed value is exact
    one = daily.copy()
    one.iloc[1] = 9.0
    change = readings_differ(fingerprint({("m", "q"): daily}), fingerprint({("m", "q"): one}))
    assert (change.n, change.at_least) == (1, False)
