"""Numba kernels: pure functions on float64/int64 numpy arrays (no pandas, no I/O).

Every kernel has a plain-numpy or statsmodels reference in tests/analytics/.
"""

from __future__ import annotations

from .changepoint import (
    KIND_NAMES,
    candidate_balance_points,
    candidate_sse,
    changepoint_design,
    grid_search,
    n_balance_points,
    n_params,
)
from .changepoint_fast import grid_search_fast
from .control import cusum, ewma, rolling_median_mad, run_lengths
from .counters import (
    DUPLICATE,
    FIRST,
    GAP,
    MISSING,
    OK,
    RESET,
    ROLLOVER,
    bin_intervals,
    bin_mean,
    counter_deltas,
)
from .detect import (
    cusum_episodes,
    equal_runs,
    ewma_excursions,
    excess_cusum,
    night_minimum,
    spike_mask,
    threshold_runs,
)
from .regression import block_inflation, cholesky_solve, degree_days, ols_normal, ols_qr
from .towt import (
    N_TOW,
    occupancy,
    segments,
    towt_design,
    towt_fit,
    towt_leverage,
    towt_leverage_parts,
    towt_predict,
)
from .towt_fast import towt_fit_fast

__all__ = [
    "threshold_runs",
    "spike_mask",
    "night_minimum",
    "ewma_excursions",
    "equal_runs",
    "cusum_episodes",
    "excess_cusum",
    "DUPLICATE",
    "FIRST",
    "GAP",
    "KIND_NAMES",
    "MISSING",
    "N_TOW",
    "OK",
    "RESET",
    "ROLLOVER",
    "bin_intervals",
    "block_inflation",
    "bin_mean",
    "changepoint_design",
    "cholesky_solve",
    "counter_deltas",
    "cusum",
    "degree_days",
    "ewma",
    "candidate_balance_points",
    "candidate_sse",
    "grid_search",
    "grid_search_fast",
    "n_balance_points",
    "n_params",
    "occupancy",
    "ols_normal",
    "ols_qr",
    "rolling_median_mad",
    "run_lengths",
    "segments",
    "towt_design",
    "towt_fit",
    "towt_fit_fast",
    "towt_leverage",
    "towt_leverage_parts",
    "towt_predict",
]
