"""Loan and investment arithmetic: repayment schedules, debt service, NPV, IRR, payback.

Pure functions. Conventions: a nominal annual rate is paid monthly (r = rate / 12);
the first instalment falls due one month after disbursement (same day of month, or the
month's last day); cash flows for NPV/IRR are yearly, the first at t = 0.
"""

from __future__ import annotations

import calendar
import logging
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any, Literal

from scipy.optimize import brentq

__all__ = [
    "Installment",
    "add_months",
    "annuity_payment",
    "debt_service_by_month",
    "irr",
    "npv",
    "repayment_schedule",
    "simple_payback",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Installment:
    number: int
    due: date
    payment: float
    interest: float
    principal: float
    balance: float  # outstanding after this payment

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["due"] = self.due.isoformat()
        return d


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months (clipped to the month's last day)."""
    m = day.month - 1 + months
    year, month = day.year + m // 12, m % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def annuity_payment(principal: float, annual_rate: float, term_months: int) -> float:
    """The constant monthly instalment that repays ``principal`` in ``term_months``."""
    r = annual_rate / 12.0
    if r == 0:
        return principal / term_months
    return principal * r / (1.0 - (1.0 + r) ** -term_months)


def repayment_schedule(
    principal: float,
    annual_rate: float,
    term_months: int,
    disbursement: date,
    kind: Literal["annuity", "linear"] = "annuity",
) -> list[Installment]:
    """Monthly instalments: ``annuity`` (constant payment) or ``linear`` (constant principal)."""
    if principal <= 0 or term_months < 1 or annual_rate < 0:
        raise ValueError("principal > 0, term_months >= 1 and annual_rate >= 0 are required")
    r = annual_rate / 12.0
    balance = principal
    fixed = annuity_payment(principal, annual_rate, term_months)
    out: list[Installment] = []
    for n in range(1, term_months + 1):
        interest = balance * r
        if kind == "annuity":
            repaid = fixed - interest if n < term_months else balance
        else:
            repaid = principal / term_months if n < term_months else balance
        balance = balance - repaid
        out.append(
            Installment(
                n, add_months(disbursement, n), interest + repaid, interest, repaid, abs(balance)
            )
        )
    return out


def debt_service_by_month(schedule: Sequence[Installment]) -> dict[str, float]:
    """Total instalments falling due in each calendar month, keyed ``YYYY-MM``."""
    out: dict[str, float] = {}
    for inst in schedule:
        key = f"{inst.due.year:04d}-{inst.due.month:02d}"
        out[key] = out.get(key, 0.0) + inst.payment
    return out


def npv(rate: float, cashflows: Sequence[float]) -> float:
    """Net present value of yearly ``cashflows`` (the first at t = 0)."""
    return float(sum(cf / (1.0 + rate) ** t for t, cf in enumerate(cashflows)))


def irr(cashflows: Sequence[float]) -> float | None:
    """Internal rate of return (Brent's method on NPV = 0); None when NPV has no root."""
    lo, hi = -0.99, 10.0
    f_lo, f_hi = npv(lo, cashflows), npv(hi, cashflows)
    if not (math.isfinite(f_lo) and math.isfinite(f_hi)) or f_lo * f_hi > 0:
        return None
    return float(brentq(lambda r: npv(r, cashflows), lo, hi, xtol=1e-12, maxiter=500))


def simple_payback(investment: float, annual_savings: float) -> float | None:
    """Years to recover ``investment`` from ``annual_savings``; 0 for no investment, None if never."""
    if investment <= 0:
        return 0.0
    if annual_savings <= 0:
        return None
    return investment / annual_savings
