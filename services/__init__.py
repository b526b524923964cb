"""PlantMeter's service layer: what every front end (CLI, dashboard, alert service) asks,
as plain typed functions over a SeriesStore object and the site / plan objects.

* ``latest_values(store, site)``: newest value per meter quantity, its age, fresh/stale/silent
* ``series(store, site, meter, quantity, start, end, points=800)``: a quantity at a chart's
  resolution, from store buckets (gauges mean/min/max, counters use per bucket)
* ``meter_use(store, site, meter, start, end, plan=None)``: use per hour/day/month
  (Home Assistant's period rule) with cost at the plan's tariff
* ``option_savings(loaded, store, month)``, ``loan_status(loaded, store, loan_id, month)``:
  verified savings per option and period; loan monitoring figures
* ``report_document(kind, loaded, store, period, loan_id=None)``, ``render``, ``write``:
  loan / audit / consumption documents with the CLI's defaults
* ``baseline_trace(loaded, store, meter, start, end)``: use vs the baseline's expectation per
  interval, its 90 % band, the CUSUM of savings; ``enpi_trend(store, site, start, end)``: use
  per unit of production per month; ``submeter_tree(site, use)``: sub-meters and unmetered rest
* ``site_flags(store, site, start, end)``: flags costliest first, and per meter whether they
  were ever computed for the window ("never computed" is not "none")
* ``meter_savings(store, site, meter, baseline, reporting)``: one stored meter's savings
  against a baseline fitted on its own history, drivers from their meters (no plan)
* ``stored_readings(store, site, meter, quantities, start, end)``: a meter's raw rows (export)
* ``compute_flags(store, site, since=None, plan=None)``: run the detectors, store the flags
  and their runs (the ``plantmeter flags`` command, a scheduled alert service)

Never opens a store from a URL: the caller (the application package) does, and closes it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .baseline import BaselinePoint, BaselineTrace, baseline_trace
    from .documents import (
        KINDS,
        ReportDocument,
        check_output,
        render,
        report_document,
        stamp_approval,
        write,
    )
    from .enpi import EnpiMonth, EnpiTrend, enpi_trend
    from .flags import FlagItem, SiteFlags, compute_flags, site_flags
    from .live import STALE_AFTER_POLLS, MeterFreshness, QuantityValue, latest_values
    from .mv import SavingsFigure, loan_status, month_of, option_savings
    from .readings import stored_readings
    from .savings import meter_savings
    from .timeseries import WIDTHS, Bucket, Series, bucket_width, series
    from .tree import TreeNode, submeter_tree
    from .use import UseBucket, UsePerPeriod, meter_use, period_for

# Names load on first use (PEP 562), so ``from services import stored_readings`` on a base
# install (no scipy, numba, matplotlib) does not import the M&V and report modules. No module
# is named like one of the names (``series`` lives in ``timeseries``): importing a submodule
# binds it on the package, and would hide a function of the same name.
_HOME = {
    "BaselinePoint": "baseline",
    "BaselineTrace": "baseline",
    "baseline_trace": "baseline",
    "EnpiMonth": "enpi",
    "EnpiTrend": "enpi",
    "enpi_trend": "enpi",
    "TreeNode": "tree",
    "submeter_tree": "tree",
    "KINDS": "documents",
    "ReportDocument": "documents",
    "check_output": "documents",
    "render": "documents",
    "report_document": "documents",
    "stamp_approval": "documents",
    "write": "documents",
    "FlagItem": "flags",
    "SiteFlags": "flags",
    "compute_flags": "flags",
    "site_flags": "flags",
    "STALE_AFTER_POLLS": "live",
    "MeterFreshness": "live",
    "QuantityValue": "live",
    "latest_values": "live",
    "SavingsFigure": "mv",
    "loan_status": "mv",
    "month_of": "mv",
    "option_savings": "mv",
    "stored_readings": "readings",
    "meter_savings": "savings",
    "WIDTHS": "timeseries",
    "Bucket": "timeseries",
    "Series": "timeseries",
    "bucket_width": "timeseries",
    "series": "timeseries",
    "UseBucket": "use",
    "UsePerPeriod": "use",
    "meter_use": "use",
    "period_for": "use",
}


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module 'services' has no attribute {name!r}")
    loaded = importlib.import_module(f".{module}", __name__)
    for other, home in _HOME.items():  # bind the module's every name at once
        if home == module:
            globals()[other] = getattr(loaded, other)
    return globals()[name]


__all__ = [
    "BaselinePoint",
    "BaselineTrace",
    "EnpiMonth",
    "EnpiTrend",
    "TreeNode",
    "baseline_trace",
    "enpi_trend",
    "submeter_tree",
    "KINDS",
    "STALE_AFTER_POLLS",
    "WIDTHS",
    "Bucket",
    "FlagItem",
    "MeterFreshness",
    "QuantityValue",
    "ReportDocument",
    "SavingsFigure",
    "Series",
    "SiteFlags",
    "UseBucket",
    "UsePerPeriod",
    "bucket_width",
    "check_output",
    "compute_flags",
    "latest_values",
    "loan_status",
    "meter_savings",
    "meter_use",
    "month_of",
    "option_savings",
    "period_for",
    "render",
    "report_document",
    "series",
    "site_flags",
    "stored_readings",
    "stamp_approval",
    "write",
]
