"""Savings per option and period, and loan status: thin calls over ``reports``' verifier.

Each function takes the loaded plan (``reports.load.LoadedPlan``) and an open store, builds
the report context of the plan version in force on the period's last day (the same
``as_of`` the reports use), and returns figures a front end formats.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from plantmeter.errors import ConfigError
from plantmeter.store import SeriesStore
from plantmeter.text import Text, english
from reports.common import ReportContext, check_in_plan, parse_month, report_context
from reports.load import LoadedPlan
from reports.loan import LoanReport, loan_report
from reports.verify import Verification, Window, month_window, periods_for

__all__ = ["SavingsFigure", "context", "loan_status", "month_of", "option_savings"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SavingsFigure:
    """Verified savings of one option over one period, or why there is no figure."""

    option: str
    title: str
    period: str  # "2025-06", "Q2 2025 to date", "2025 to date", "since 2025-01-15"
    period_kind: str  # month | quarter | ytd | since | custom
    start: date
    end: date  # exclusive
    status: str  # on track | below promise | insufficient data | not implemented
    reason: str | Text  # in the reader's language when shown (str()), English in to_dict()
    observed: Mapping[str, float]  # unit (kWh, m3) -> metered use attributed to the option
    adjusted_baseline: Mapping[str, float]  # unit -> what it would have used without it
    savings: Mapping[str, float]  # unit -> attributed savings (adjusted baseline - observed)
    band_90: Mapping[str, float]  # unit -> 90 % band
    promised: Mapping[str, float]  # unit or "cost" -> pro rata promise
    cost: float | None
    cost_band_90: float | None
    currency: str
    co2_kg: float | None
    completeness: float | None
    extrapolated: bool
    caveats: tuple[str | Text, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types: dates as ISO text, the per-unit mappings as objects."""
        return {
            "option": self.option,
            "title": self.title,
            "period": self.period,
            "period_kind": self.period_kind,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "status": self.status,
            "reason": english(self.reason),
            "observed": dict(self.observed),
            "adjusted_baseline": dict(self.adjusted_baseline),
            "savings": dict(self.savings),
            "band_90": dict(self.band_90),
            "promised": dict(self.promised),
            "cost": self.cost,
            "cost_band_90": self.cost_band_90,
            "currency": self.currency,
            "co2_kg": self.co2_kg,
            "completeness": self.completeness,
            "extrapolated": self.extrapolated,
            "caveats": [english(c) for c in self.caveats],
        }

    @classmethod
    def of(cls, v: Verification, currency: str) -> SavingsFigure:
        w = v.window
        observed: dict[str, float] = {}
        baseline: dict[str, float] = {}
        if v.has_number:
            for ms in v.meters:
                observed[ms.unit] = observed.get(ms.unit, 0.0) + ms.share * ms.observed
                baseline[ms.unit] = baseline.get(ms.unit, 0.0) + ms.share * ms.adjusted_baseline
        return cls(
            v.option,
            v.title,
            w.label,
            w.kind,
            w.start,
            w.end,
            v.status,
            v.reason,
            observed,
            baseline,
            dict(v.savings),
            dict(v.band_90),
            dict(v.promised),
            v.cost,
            v.cost_band_90,
            currency,
            v.co2_kg,
            v.completeness,
            v.extrapolated,
            tuple(v.caveats),
        )


def month_of(period: str | date) -> Window:
    """A calendar month: ``YYYY-MM`` or any day of it."""
    return month_window(period) if isinstance(period, date) else parse_month(period)


@contextmanager
def context(loaded: LoadedPlan, store: SeriesStore, as_of: date) -> Iterator[ReportContext]:
    """The reports' context (plan version in force on ``as_of``) over ``store`` (left open)."""
    with report_context(loaded, as_of, store) as ctx:
        yield ctx


def option_savings(
    loaded: LoadedPlan,
    store: SeriesStore,
    month: str | date,
    options: Sequence[str] | None = None,
) -> list[SavingsFigure]:
    """Per option (all of the plan's when None) the month, its quarter and year to date, and
    since implementation (``reports.verify.periods_for``), with the plan version in force on
    the month's last day."""
    w = month_of(month)
    with context(loaded, store, w.end - timedelta(days=1)) as ctx:
        check_in_plan(w, ctx.plan)
        known = [o.id for o in ctx.plan.options]
        chosen = list(options) if options is not None else known
        unknown = [o for o in chosen if o not in known]
        if unknown:
            raise ConfigError(
                f"option {unknown[0]!r} is not in plan {ctx.plan.id}; options: {', '.join(known)}"
            )
        out = []
        for oid in chosen:
            o = ctx.plan.option(oid)
            for window in periods_for(w.start, o.implemented):
                out.append(SavingsFigure.of(ctx.verifier.verify(oid, window), ctx.plan.currency))
        return out


def loan_status(
    loaded: LoadedPlan, store: SeriesStore, loan_id: str, month: str | date
) -> LoanReport:
    """The loan monitoring figures for ``month`` (``reports.loan.loan_report``): promised vs
    verified savings, debt service and coverage, covenants; ``to_dict()`` for JSON."""
    w = month_of(month)
    with context(loaded, store, w.end - timedelta(days=1)) as ctx:
        check_in_plan(w, ctx.plan)
        return loan_report(ctx, loan_id, w.start)
