"""Fingerprints of stored readings: what an approved baseline was fitted on.

``fingerprint(series)`` takes the raw readings a baseline fit read, one series per
(meter, quantity), and returns

* ``digest``: SHA-256 over the series in (meter, quantity) order; for each series the UTF-8
  line ``meter<TAB>quantity<TAB>count\\n`` followed by its timestamps (UTC ms, little-endian
  int64) and then its values (little-endian float64), in time order. Anyone holding the same
  readings computes the same digest, whatever store they came from.
* per series and per UTC day: the number of readings and a sum (mod 2^64) of a 64-bit hash
  of each (timestamp, value). ``readings_differ`` compares two fingerprints day by day and
  counts the readings that differ: on a day whose count and hash sum both match nothing
  differs; otherwise the difference in count, or one reading when the count is the same (a
  changed value). The count is exact when readings were only added or removed, or on days
  holding a single reading; when values changed on a day of several readings it is a lower
  bound, and ``ReadingsChange.at_least`` says so ("at least N readings differ").
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from plantmeter.i18n import N_
from plantmeter.text import Num, Text

__all__ = ["ReadingsChange", "fingerprint", "readings_differ", "series_arrays"]

logger = logging.getLogger(__name__)

DAY_MS = 86_400_000
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser, element-wise on uint64 (wrapping arithmetic)."""
    with np.errstate(over="ignore"):
        z = x + _GOLDEN
        z = (z ^ (z >> np.uint64(30))) * _M1
        z = (z ^ (z >> np.uint64(27))) * _M2
        return z ^ (z >> np.uint64(31))


def series_arrays(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(UTC ms int64, float64 values) of a tz-aware series, NaN dropped, sorted by time."""
    s = s.dropna().sort_index()
    idx = pd.DatetimeIndex(s.index)
    idx = idx.tz_convert("UTC") if idx.tz is not None else idx.tz_localize("UTC")
    return idx.as_unit("ms").asi8.astype("<i8"), s.to_numpy(dtype="<f8")


def _days(ts: np.ndarray, values: np.ndarray) -> dict[str, Any]:
    if ts.size == 0:
        return {"first_day": 0, "counts": [], "sums": []}
    bits = values.view(np.uint64)
    h = _mix(ts.view(np.uint64)) ^ _mix(bits ^ _M2)
    day = ts // DAY_MS
    d0 = int(day.min())
    nd = int(day.max()) - d0 + 1
    pos = (day - d0).astype(np.int64)
    counts = np.bincount(pos, minlength=nd)
    sums = np.zeros(nd, dtype=np.uint64)
    with np.errstate(over="ignore"):
        np.add.at(sums, pos, h)
    return {
        "first_day": d0,
        "counts": [int(c) for c in counts],
        "sums": [f"{int(v):016x}" for v in sums],
    }


def fingerprint(series: Mapping[tuple[str, str], pd.Series]) -> dict[str, Any]:
    """Digest and per-day fingerprints of readings keyed by (meter, quantity)."""
    sha = hashlib.sha256()
    out: dict[str, Any] = {"series": {}}
    total = 0
    for meter, quantity in sorted(series):
        ts, values = series_arrays(series[(meter, quantity)])
        sha.update(f"{meter}\t{quantity}\t{ts.size}\n".encode())
        sha.update(ts.tobytes())
        sha.update(values.tobytes())
        total += int(ts.size)
        out["series"][f"{meter}/{quantity}"] = {
            "count": int(ts.size),
            "first": int(ts[0]) if ts.size else None,
            "last": int(ts[-1]) if ts.size else None,
            **_days(ts, values),
        }
    out["digest"] = "sha256:" + sha.hexdigest()
    out["count"] = total
    return out


@dataclass(frozen=True)
class ReadingsChange:
    """How many readings differ from the approved ones; ``at_least``: a lower bound."""

    n: int = 0
    at_least: bool = False

    def __bool__(self) -> bool:
        return self.n > 0

    def describe(self) -> str:
        """In English, as the JSON keeps it."""
        return self.text().english()

    def text(self) -> Text:
        """'at least 3 readings differ', in the reader's language when shown."""
        if self.at_least:
            return Text(N_("at least {n} readings differ"), n=Num(self.n))
        return Text(N_("{n} readings differ"), n=Num(self.n))


def _by_day(fp: Mapping[str, Any]) -> dict[int, tuple[int, str]]:
    d0 = int(fp.get("first_day", 0))
    return {
        d0 + i: (int(c), str(s))
        for i, (c, s) in enumerate(zip(fp.get("counts", []), fp.get("sums", []), strict=True))
        if c
    }


def readings_differ(approved: Mapping[str, Any], now: Mapping[str, Any]) -> ReadingsChange:
    """How many readings differ between two fingerprints (none when the digests match)."""
    if approved.get("digest") == now.get("digest"):
        return ReadingsChange()
    n, at_least = 0, False
    names = set(approved.get("series", {})) | set(now.get("series", {}))
    for name in sorted(names):
        a = _by_day(approved.get("series", {}).get(name, {}))
        b = _by_day(now.get("series", {}).get(name, {}))
        for day in set(a) | set(b):
            ca, sa = a.get(day, (0, ""))
            cb, sb = b.get(day, (0, ""))
            if (ca, sa) == (cb, sb):
                continue
            if ca == cb:  # same count, other values: one changed, maybe more
                n += 1
                at_least = at_least or ca > 1
            else:  # added or removed (values changed besides would go uncounted)
                n += abs(ca - cb)
                at_least = at_least or min(ca, cb) > 0
    return ReadingsChange(max(n, 1), at_least or n == 0)  # the digests differ: >= 1
