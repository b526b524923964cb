"""Finance functions against independent closed forms (numpy-financial's formulas written out)."""

from __future__ import annotations

import math
from datetime import date

import pytest

from reports.finance import (
    add_months,
    annuity_payment,
    debt_service_by_month,
    irr,
    npv,
    repayment_schedule,
    simple_payback,
)


def _pmt(rate: float, nper: int, pv: float) -> float:
    # numpy_financial.pmt(rate, nper, pv) = -(pv * (1+r)^n * r) / ((1+r)^n - 1), sign flipped
    f = (1 + rate) ** nper
    return pv * f * rate / (f - 1)


def _balance(rate: float, k: int, pv: float, pmt: float) -> float:
    # numpy_financial.fv: balance after k payments
    f = (1 + rate) ** k
    return pv * f - pmt * (f - 1) / rate


@pytest.mark.parametrize(
    ("p", "rate", "n"), [(48000, 0.075, 48), (8000, 0.04, 24), (1e6, 0.12, 360)]
)
def test_annuity_schedule_matches_closed_form(p: float, rate: float, n: int) -> None:
    r = rate / 12
    pmt = _pmt(r, n, p)
    assert annuity_payment(p, rate, n) == pytest.approx(pmt, rel=1e-12)
    sched = repayment_schedule(p, rate, n, date(2025, 8, 1), "annuity")
    assert len(sched) == n
    for inst in sched:
        assert inst.payment == pytest.approx(pmt, rel=1e-9)
        assert inst.balance == pytest.approx(max(_balance(r, inst.number, p, pmt), 0), abs=1e-6 * p)
        # interest = r * balance before the payment (numpy_financial.ipmt)
        before = _balance(r, inst.number - 1, p, pmt)
        assert inst.interest == pytest.approx(r * before, rel=1e-9)
    assert sum(i.principal for i in sched) == pytest.approx(p, rel=1e-12)
    assert sched[0].due == date(2025, 9, 1) and sched[-1].balance == pytest.approx(0, abs=1e-6)


def test_annuity_example_figure() -> None:
    # 48,000 at 7.5 % over 48 months: 1,160.59 per month (independent bank calculator figure)
    assert annuity_payment(48000, 0.075, 48) == pytest.approx(1160.59, abs=0.01)
    assert annuity_payment(1200, 0.0, 12) == 100.0


def test_linear_schedule() -> None:
    sched = repayment_schedule(8000, 0.04, 24, date(2025, 3, 25), "linear")
    r = 0.04 / 12
    for inst in sched:
        assert inst.principal == pytest.approx(8000 / 24)
        assert inst.interest == pytest.approx(r * 8000 * (1 - (inst.number - 1) / 24))
    assert sched[-1].balance == pytest.approx(0, abs=1e-9)
    # total interest of a linear loan = r * P * (n + 1) / 2
    assert sum(i.interest for i in sched) == pytest.approx(r * 8000 * 25 / 2)


def test_debt_service_by_month_and_dates() -> None:
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert add_months(date(2025, 11, 15), 3) == date(2026, 2, 15)
    sched = repayment_schedule(1200, 0.0, 12, date(2025, 1, 31))
    by = debt_service_by_month(sched)
    assert by["2025-02"] == pytest.approx(100) and len(by) == 12 and "2026-01" in by


def test_npv_irr_payback() -> None:
    flows = [-48000] + [12000] * 10
    annuity_factor = (1 - 1.08**-10) / 0.08
    assert npv(0.08, flows) == pytest.approx(-48000 + 12000 * annuity_factor, rel=1e-12)
    rate = irr(flows)
    assert rate is not None and npv(rate, flows) == pytest.approx(0, abs=1e-6)
    assert (1 - (1 + rate) ** -10) / rate == pytest.approx(
        4.0, rel=1e-9
    )  # annuity factor = 48k/12k
    assert rate == pytest.approx(0.2141, abs=1e-4)
    assert irr([-100, -10]) is None
    assert simple_payback(48000, 12000) == 4.0
    assert simple_payback(0, 0) == 0.0 and simple_payback(1000, -5) is None
    assert math.isclose(irr([-100, 110]) or 0, 0.10, abs_tol=1e-10)
