"""Use per bucket from the bucket lasts of a cumulative counter (``SeriesStore.read_buckets``).

The use of bucket *i* is ``last[i] - last[i-1]``: what the counter advanced between the
previous bucket's last reading and this bucket's last one. The energy of the interval that
straddles a bucket boundary therefore goes to the later bucket (as Home Assistant's
statistics do); over a range the buckets add up exactly to ``last - before``.

* The first bucket has no previous last: its use is NaN unless ``before`` (the counter's last
  value before the first bucket, e.g. the last of one more bucket read before the range) is
  given. Ask for one bucket more than you show.
* A bucket after buckets without readings (absent from the frame) carries the use of the
  whole gap: check the index for missing buckets, or use the raw-reading path
  (``analytics.jobs.counter_to_hourly``), which spreads a gap's use over its hours.
* A drop between consecutive lasts is a wrap when ``rollover`` > 0 and the wrapped advance
  ``rollover - previous + last`` is under 10 % of ``rollover`` (as ``kernels.counter_deltas``
  decides); any other drop is a reset and that bucket's use is NaN (unknown), never a
  negative number.
* A reset *inside* a bucket that leaves the bucket's last above the previous last is not
  visible in lasts alone; pass ``minimum`` (the bucket mins) and any bucket whose min is
  below the previous last (the counter went down somewhere inside) gets NaN as well.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["use_per_bucket"]


def use_per_bucket(
    last: pd.Series,
    *,
    before: float | None = None,
    minimum: pd.Series | None = None,
    rollover: float = 0.0,
) -> pd.Series:
    """Counter advance per bucket from the bucket lasts (see the module docstring for the rules).

    ``last``: one value per bucket, in time order (a ``read_buckets`` column ``last``);
    returns a float Series on the same index, NaN where the use is unknown.
    """
    values = last.to_numpy(dtype=np.float64)
    previous = np.empty_like(values)
    if values.size:
        previous[0] = np.nan if before is None else float(before)
        previous[1:] = values[:-1]
    use = values - previous
    dropped = use < 0
    if rollover > 0:
        wrapped = rollover - previous + values
        plausible = dropped & (wrapped >= 0) & (wrapped <= 0.1 * rollover)
        use = np.where(plausible, wrapped, use)
        dropped &= ~plausible
    use[dropped] = np.nan
    if minimum is not None:
        mins = minimum.to_numpy(dtype=np.float64)
        wrapped_here = dropped | (use != values - previous)  # a plausible wrap explains a low min
        use[(mins < previous) & ~wrapped_here] = np.nan
    return pd.Series(use, index=last.index, name="use")
