"""Loan monitoring report: promised vs verified savings, debt service, covenants.

``loan_report(ctx, loan_id, month) -> LoanReport`` computes every number (JSON-ready via
``to_dict``); ``loan_document(report)`` formats it into a ``Document`` for rendering.
Covenants are judged against the 90 % interval: *met* when the whole interval clears the
threshold, *not met* when the whole interval misses it, *inconclusive* when the interval
straddles it (the data are in, the uncertainty is too wide to decide); *not yet determinable*
when there is no verified figure (insufficient data, nothing implemented yet); *not
determinable* when the figure is extrapolated (its drivers lie outside the baseline's range,
DOE EnPI Lite's rule): an extrapolated figure never reads "met" or "not met".
"""

from __future__ import annotations

import logging
import math
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any

import pandas as pd

from plantmeter.i18n import N_
from plantmeter.text import Num, Text, englished

from .common import ReportContext
from .finance import debt_service_by_month, irr, npv, repayment_schedule, simple_payback
from .flagstatus import flag_entries, flag_status
from .plan import Covenant
from .verify import Verification, Window, month_window, periods_for

__all__ = [
    "CovenantResult",
    "LoanReport",
    "MonthRow",
    "annualised_note",
    "evaluate_covenant",
    "loan_report",
]

logger = logging.getLogger(__name__)


@dataclass
class MonthRow:
    month: str
    promised: float
    verified: float | None
    band_90: float | None
    status: str
    completeness: float | None
    debt_service: float
    coverage: float | None
    cum_promised: float
    cum_verified: float | None
    cum_band_90: float | None
    cum_debt_service: float
    cum_coverage: float | None
    extrapolated: bool = False  # the month's figure rests on drivers outside the baseline range
    cum_extrapolated: bool = False


@dataclass
class CovenantResult:
    type: str
    description: str
    threshold: float
    basis: str
    result: str  # met | not met | inconclusive | not yet determinable | not determinable
    value: float | None
    low: float | None
    high: float | None
    evidence: Text  # the reader's language in a PDF, English in the JSON


@dataclass
class LoanReport:
    loan: dict[str, Any]
    month: str
    options: list[dict[str, Any]]
    verifications: list[Verification]
    rows: list[MonthRow]
    schedule: list[dict[str, Any]]
    financials: dict[str, Any]
    ghg: dict[str, Any]
    covenants: list[CovenantResult]
    anomalies: list[dict[str, Any]]
    quality: list[dict[str, Any]]
    flags_computed: dict[str, str] = field(default_factory=dict)  # meter -> computed or not
    extrapolation: list[Text] = field(default_factory=list)  # driver notes, month and since
    traces: dict[str, pd.DataFrame] = field(repr=False, default_factory=dict)
    implemented: dict[str, date] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d = {k: v for k, v in asdict(self).items() if k not in ("traces", "verifications")}
        d["verifications"] = [v.to_dict() for v in self.verifications]
        return englished(d)  # the JSON keeps the texts in English


def _combine(
    vs: list[Verification],
) -> tuple[float | None, float | None, str, float | None, bool]:
    """Sum cost savings over options (bands in quadrature); None if any has no number.

    The last item is True when any option's figure is extrapolated.
    """
    live = [v for v in vs if v.status != "not implemented"]
    if not live:
        return None, None, "not implemented", None, False
    comp = min((v.completeness or 0.0) for v in live)
    if any(not v.has_number for v in live):
        return None, None, "insufficient data", comp, False
    cost = sum(v.cost or 0.0 for v in live)
    band = math.sqrt(sum((v.cost_band_90 or 0.0) ** 2 for v in live))
    status = "below promise" if any(v.status == "below promise" for v in live) else "on track"
    return cost, band, status, comp, any(v.extrapolated for v in live)


def evaluate_covenant(
    c: Covenant,
    value: float | None,
    band: float | None,
    what: Text,
    unit: str = "",
    extrapolated: bool = False,
) -> CovenantResult:
    """Test ``value ± band`` against ``c.value`` (see the module docstring for the verdicts)."""
    if value is None:
        return CovenantResult(
            c.type,
            c.description,
            c.value,
            c.basis,
            "not yet determinable",
            None,
            None,
            None,
            Text(
                N_("{what}: no verified figure yet (insufficient data or nothing due)"), what=what
            ),
        )
    b = band or 0.0
    lo, hi = value - b, value + b
    if extrapolated:
        res = "not determinable"
    elif lo >= c.value:
        res = "met"
    elif hi < c.value:
        res = "not met"
    else:
        res = "inconclusive"
    ev = Text(
        N_("{what} {value} (90 % interval {low} to {high}) against {threshold}"),
        what=what,
        value=_sig3(value, unit),
        low=_sig3(lo, unit),
        high=_sig3(hi, unit),
        threshold=_sig3(c.value, unit),
    )
    if extrapolated:
        ev = Text(N_("extrapolated (drivers outside the baseline's range, EnPI Lite): ")) + ev
    elif res == "inconclusive":
        ev += Text(N_("; the interval straddles the threshold"))
    return CovenantResult(c.type, c.description, c.value, c.basis, res, value, lo, hi, ev)


def _sig3(x: float, unit: str) -> Num:
    """A covenant ratio with three significant digits (0.933, 1.1), as the evidence shows it."""
    return Num(x, None, unit, sig=3)


def loan_report(ctx: ReportContext, loan_id: str, month: date) -> LoanReport:
    plan, v = ctx.plan, ctx.verifier
    try:
        loan = plan.loan(loan_id)
    except KeyError:
        from plantmeter.errors import ConfigError

        raise ConfigError(
            f"loan {loan_id!r} is not in plan {plan.id}; loans: {', '.join(x.id for x in plan.loans)}"
        ) from None
    mw = month_window(month)
    _check_term(loan, mw)
    options = [plan.option(o) for o in loan.options]
    impl = {
        o.id: o.implemented
        for o in options
        if o.implemented and o.status in ("implemented", "verified")
    }
    first = min([*impl.values(), loan.disbursement])
    sched = repayment_schedule(
        loan.principal, loan.annual_rate, loan.term_months, loan.disbursement, loan.schedule
    )
    ds = debt_service_by_month(sched)
    total = sum(o.expected_annual.cost for o in options)
    weight = {
        o.id: (o.expected_annual.cost / total if total else 1 / len(options)) for o in options
    }
    rows: list[MonthRow] = []
    m = first.replace(day=1)
    cum_p = cum_ds = 0.0
    while m <= mw.start:
        w = month_window(m)
        promised = (
            loan.promised_annual_savings
            * sum(weight[o] * max((w.end - max(w.start, d)).days, 0) for o, d in impl.items())
            / 365.0
        )
        cost, band, status, comp, extra = _combine([v.verify(o.id, w) for o in options])
        since = [
            v.verify(o.id, Window("since", "since", impl.get(o.id, w.end), w.end)) for o in options
        ]
        ccost, cband, _, _, cextra = _combine(since)
        cum_p += promised
        cum_ds += ds.get(w.label, 0.0)
        d = ds.get(w.label, 0.0)
        rows.append(
            MonthRow(
                w.label,
                promised,
                cost,
                band,
                status,
                comp,
                d,
                cost / d if cost is not None and d else None,
                cum_p,
                ccost,
                cband,
                cum_ds,
                ccost / cum_ds if ccost is not None and cum_ds else None,
                extra,
                cextra,
            )
        )
        m = w.end
    verifs = [
        x for o in options for x in (v.verify(o.id, w) for w in periods_for(month, impl.get(o.id)))
    ]
    since_now = [x for x in verifs if x.window.kind == "since"]
    fin = _financials(ctx, options, since_now, loan.promised_annual_savings)
    ghg = {
        "month_kg": sum(
            x.co2_kg or 0.0 for x in verifs if x.window.kind == "month" and x.has_number
        ),
        "since_kg": sum(x.co2_kg or 0.0 for x in since_now if x.has_number),
    }
    last = rows[-1] if rows else None
    red = _reduction(since_now)
    m_extra = bool(last and last.extrapolated)
    c_extra = bool(last and last.cum_extrapolated)
    covs = []
    for c in loan.covenants:
        if c.type == "min_verified_savings":
            ok = last is not None and last.cum_verified is not None and last.cum_promised > 0
            covs.append(
                evaluate_covenant(
                    c,
                    last.cum_verified / last.cum_promised if ok and last else None,
                    (last.cum_band_90 or 0) / last.cum_promised if ok and last else None,
                    Text(N_("verified / promised savings since implementation")),
                    extrapolated=c_extra,
                )
            )
        elif c.type == "min_coverage":
            if c.basis == "month":
                val = last.coverage if last else None
                b = (last.band_90 or 0) / last.debt_service if last and last.debt_service else None
                covs.append(
                    evaluate_covenant(
                        c,
                        val,
                        b,
                        Text(N_("savings / debt service in {month}"), month=mw.label),
                        extrapolated=m_extra,
                    )
                )
            else:
                val = last.cum_coverage if last else None
                b = (
                    (last.cum_band_90 or 0) / last.cum_debt_service
                    if last and last.cum_debt_service
                    else None
                )
                covs.append(
                    evaluate_covenant(
                        c,
                        val,
                        b,
                        Text(N_("cumulative savings / debt service")),
                        extrapolated=c_extra,
                    )
                )
        else:
            covs.append(
                evaluate_covenant(
                    c,
                    red[0],
                    red[1],
                    Text(N_("reduction of the linked meters' use")),
                    extrapolated=any(x.extrapolated for x in since_now),
                )
            )
    meters = sorted({m for o in options for m in o.meters})
    tz = ctx.data.tz
    flags = ctx.data.flags(
        meters, pd.Timestamp(mw.start).tz_localize(tz), pd.Timestamp(mw.end).tz_localize(tz)
    )
    traces = {}
    for mid in meters:
        t0 = max(
            ctx.plan.reporting.start, min(impl.values(), default=mw.start) - timedelta(days=90)
        )
        try:
            t = v.trace(
                mid,
                t0,
                min(mw.end, ctx.data.data_end(mid).tz_convert(tz).date() + timedelta(days=1)),
            )
            traces[mid] = t.assign(cumulative_savings=t["cumulative_savings"].ffill())
        except Exception as exc:  # noqa: BLE001 - a chart never stops the report
            logger.warning("no trace for %s: %s", mid, exc)
    return LoanReport(
        loan=loan.model_dump(mode="json"),
        month=mw.label,
        options=[o.model_dump(mode="json") for o in options],
        verifications=verifs,
        rows=rows,
        schedule=[i.to_dict() for i in sched],
        financials=fin,
        ghg=ghg,
        covenants=covs,
        anomalies=flag_entries(flags, tz),
        flags_computed=flag_status(
            ctx.data.flag_coverage(
                meters, pd.Timestamp(mw.start).tz_localize(tz), pd.Timestamp(mw.end).tz_localize(tz)
            )
        ),
        quality=[
            {
                "option": x.option,
                "meter": ms.meter,
                "completeness": x.completeness,
                "measurement": ms.measurement,
                **ms.model,
                "g14_pass": ms.g14_pass,
            }
            for x in since_now
            for ms in x.meters
            if ms.measurement != "key-parameter"  # Option A: no regression baseline
        ],
        extrapolation=sorted(
            {
                Text(
                    N_("{option} ({period}): {note}"),
                    option=x.option,
                    period=x.window.text(),
                    note=n,
                )
                for x in verifs
                if x.window.kind in ("month", "since") and x.has_number
                for n in x.driver_notes
            }
        ),
        traces=traces,
        implemented={k: d for k, d in impl.items()},
    )


def _check_term(loan: Any, mw: Window) -> None:
    """A loan report covers a month of the loan's term, from its disbursement month on."""
    first = loan.disbursement.replace(day=1)
    n = first.year * 12 + first.month - 1 + loan.term_months
    end = date(n // 12, n % 12 + 1, 1)
    if not first <= mw.start < end:
        from plantmeter.errors import ConfigError

        raise ConfigError(
            f"--period {mw.label}: outside the term of loan {loan.id} (disbursed "
            f"{loan.disbursement}, {loan.term_months} months: {first:%Y-%m} to "
            f"{end - timedelta(days=1):%Y-%m}); choose a month within it"
        )


def annualised_note(days: int) -> Text | str:
    """'annualised from 4 months (122 days)' when a yearly figure rests on less than a year
    ('' when it rests on a year or more)."""
    if days >= 365:
        return ""
    months = days / (365.0 / 12)
    if months >= 1.5:
        return Text(
            N_(
                "annualised from {months} months ({days} days): a part-year figure carries its "
                "season"
            ),
            months=Num(months),
            days=Num(days),
        )
    return Text(
        N_("annualised from {days} days: a part-year figure carries its season"), days=Num(days)
    )


def _reduction(since: list[Verification]) -> tuple[float | None, float | None]:
    if not since or any(not x.has_number for x in since):
        return None, None
    sav = sum(ms.share * ms.savings for x in since for ms in x.meters)
    base = sum(ms.share * ms.adjusted_baseline for x in since for ms in x.meters)
    band = math.sqrt(sum((ms.share * (ms.band_90 or 0)) ** 2 for x in since for ms in x.meters))
    return (sav / base, band / base) if base else (None, None)


def _financials(
    ctx: ReportContext, options: list[Any], since: list[Verification], promised_annual: float
) -> dict[str, Any]:
    """Payback, NPV and IRR on verified savings, annualised from since implementation."""
    invest = sum(o.investment for o in options)
    annual = None
    days = min((x.days for x in since), default=0)
    if since and all(x.has_number for x in since):
        annual = sum((x.cost or 0.0) * 365.0 / max(x.days, 1) for x in since)
    life = max((o.lifetime_years for o in options), default=10.0)
    years = int(round(life))
    out: dict[str, Any] = {
        "investment": invest,
        "lifetime_years": life,
        "discount_rate": ctx.plan.discount_rate,
        "annual_verified_savings": annual,
        "annual_promised_savings": promised_annual,
        "annualised_from_days": days if annual is not None else None,
        "annualised_note": annualised_note(days) if annual is not None else "",
        "extrapolated": any(x.extrapolated for x in since),
    }
    for key, a in (("verified", annual), ("promised", promised_annual)):
        flows = [-invest] + [a] * years if a is not None else None
        out[f"payback_years_{key}"] = simple_payback(invest, a) if a is not None else None
        out[f"npv_{key}"] = npv(ctx.plan.discount_rate, flows) if flows else None
        out[f"irr_{key}"] = irr(flows) if flows else None
    return out
