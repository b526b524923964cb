"""Pure numpy parts of the SQLite store: day blocks of one series, encoded and aggregated.

A *block* holds the readings of one series (site, meter, quantity) in one UTC day
``[start, start + BLOCK_MS)``, sorted by time, one value per timestamp:

* timestamps: int64 deltas (the first from the block start), zlib-compressed; a regular
  poll interval makes the deltas one repeated number, which compresses to almost nothing;
* values: float64, byte-shuffled (all first bytes, then all second bytes, ...) and
  zlib-compressed; values decoded from float32 registers keep many zero bytes, so a
  value of an SDM630 takes about 2.5-3 bytes, 3.6 with the hour summaries and the row
  (``python -m bench.store``);
* hours: the block's summary per UTC hour, 24 x (first, last, min, max, sum, count) float64
  (1,152 bytes, count 0 for an hour without readings), so that buckets made of whole hours
  are aggregated without decoding a single value.

Aggregates are computed as *pieces*: (bucket, time, first, last, min, max, sum, count),
one per bucket touched by an hour summary or by a run of decoded readings; pieces of the
same bucket are then combined in time order.
"""

from __future__ import annotations

import zlib
from typing import NamedTuple

import numpy as np

__all__ = [
    "BLOCK_MS",
    "HOUR_MS",
    "decode_hours",
    "encode_hours",
    "hour_pieces",
    "Pieces",
    "block_starts",
    "combine_pieces",
    "decode_block",
    "encode_block",
    "merge_last_wins",
    "pieces_from_values",
]

BLOCK_MS = 86_400_000  # one UTC day
HOUR_MS = 3_600_000
_HOURS = BLOCK_MS // HOUR_MS
_LEVEL = 6  # zlib level: 6 is ~3 % smaller than 1 at the same decoding speed


class Pieces(NamedTuple):
    """Partial aggregates, one entry per (bucket, piece), sorted by bucket then time."""

    bucket: np.ndarray  # int64 bucket start, UTC ms
    time: np.ndarray  # int64 time of the piece's first reading (orders pieces of a bucket)
    first: np.ndarray
    last: np.ndarray
    min: np.ndarray
    max: np.ndarray
    sum: np.ndarray
    count: np.ndarray  # int64


def block_starts(ts: np.ndarray) -> np.ndarray:
    """The start (UTC ms) of the day block of each timestamp."""
    return (ts // BLOCK_MS) * BLOCK_MS


def encode_block(ts: np.ndarray, values: np.ndarray, start: int) -> tuple[bytes, bytes]:
    """(timestamp blob, value blob) of sorted, unique ``ts`` inside the block at ``start``."""
    deltas = np.diff(ts.astype(np.int64), prepend=np.int64(start)).astype("<i8")
    shuffled = np.ascontiguousarray(values, dtype="<f8").view(np.uint8).reshape(-1, 8).T
    return zlib.compress(deltas.tobytes(), _LEVEL), zlib.compress(shuffled.tobytes(), _LEVEL)


def decode_block(
    ts_blob: bytes, value_blob: bytes, start: int, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """The (timestamps, values) that ``encode_block`` packed; ``n`` is their number."""
    ts = np.cumsum(np.frombuffer(zlib.decompress(ts_blob), dtype="<i8")) + np.int64(start)
    shuffled = np.frombuffer(zlib.decompress(value_blob), dtype=np.uint8).reshape(8, n)
    values = np.ascontiguousarray(shuffled.T).view("<f8").reshape(n)
    return ts.astype(np.int64), values.astype(np.float64)


def merge_last_wins(ts: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sort by time; of equal timestamps keep the one that came last in the input."""
    order = np.argsort(ts, kind="stable")
    ts, values = ts[order], values[order]
    keep = np.ones(ts.size, dtype=bool)
    keep[:-1] = ts[1:] != ts[:-1]
    return ts[keep], values[keep]


def pieces_from_values(ts: np.ndarray, values: np.ndarray, labels: np.ndarray) -> Pieces:
    """One piece per bucket of sorted readings; ``labels`` is each reading's bucket start."""
    if ts.size == 0:
        empty, none = np.empty(0), np.empty(0, np.int64)
        return Pieces(none, none, empty, empty, empty, empty, empty, none)
    starts = np.flatnonzero(np.r_[True, labels[1:] != labels[:-1]])
    ends = np.r_[starts[1:], ts.size] - 1
    return Pieces(
        bucket=labels[starts].astype(np.int64),
        time=ts[starts].astype(np.int64),
        first=values[starts],
        last=values[ends],
        min=np.minimum.reduceat(values, starts),
        max=np.maximum.reduceat(values, starts),
        sum=np.add.reduceat(values, starts),
        count=(ends - starts + 1).astype(np.int64),
    )


def encode_hours(ts: np.ndarray, values: np.ndarray, start: int) -> bytes:
    """The hour summaries of one block's sorted readings (see the module docstring)."""
    p = pieces_from_values(ts, values, (ts // HOUR_MS) * HOUR_MS)
    table = np.zeros((_HOURS, 6), dtype="<f8")
    rows = (p.bucket - start) // HOUR_MS
    table[rows] = np.column_stack([p.first, p.last, p.min, p.max, p.sum, p.count])
    return table.tobytes()


def decode_hours(blobs: list[bytes], starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(hour start per row, 6 summary columns) of the hours holding readings, blocks in order."""
    table = np.frombuffer(b"".join(blobs), dtype="<f8").reshape(-1, 6)
    hours = (starts[:, None] + np.arange(_HOURS, dtype=np.int64) * HOUR_MS).reshape(-1)
    held = table[:, 5] > 0
    return hours[held], table[held]


def hour_pieces(hours: np.ndarray, table: np.ndarray, labels: np.ndarray) -> Pieces:
    """Pieces from hour summaries (one per hour; ``combine_pieces`` folds them per bucket)."""
    return Pieces(
        labels.astype(np.int64),
        hours.astype(np.int64),
        table[:, 0],
        table[:, 1],
        table[:, 2],
        table[:, 3],
        table[:, 4],
        table[:, 5].astype(np.int64),
    )


def combine_pieces(parts: list[Pieces]) -> Pieces:
    """Pieces of the same bucket folded into one, in the order of their ``time``."""
    if not parts:
        return pieces_from_values(np.empty(0, np.int64), np.empty(0), np.empty(0, np.int64))
    p = Pieces(*(np.concatenate(column) for column in zip(*parts, strict=True)))
    order = np.lexsort((p.time, p.bucket))
    p = Pieces(*(column[order] for column in p))
    starts = np.flatnonzero(np.r_[True, p.bucket[1:] != p.bucket[:-1]])
    ends = np.r_[starts[1:], p.bucket.size] - 1
    return Pieces(
        bucket=p.bucket[starts],
        time=p.time[starts],
        first=p.first[starts],
        last=p.last[ends],
        min=np.minimum.reduceat(p.min, starts),
        max=np.maximum.reduceat(p.max, starts),
        sum=np.add.reduceat(p.sum, starts),
        count=np.add.reduceat(p.count, starts).astype(np.int64),
    )
