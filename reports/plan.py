"""The M&V plan: one YAML file per site, agreed before implementation (IPMVP style).

``load_plan(path)`` reads the plan, loads the site config it names (path relative to the
plan; its store — or ``PLANTMETER_STORE_URL`` — holds the series), validates both with
``extra="forbid"`` models and cross-checks them; a problem raises ``ConfigError`` with one
line per problem: ``file:line: field: message; fix``.

Versioning: ``plantmeter plan approve`` freezes the plan (``reports.approval``): it records who
approved which body digest and pins the fitted baselines in ``<plan>.approved.json``. A change
after approval goes under ``amendments`` (date, reason, changes, optional ``refit``); documented
non-routine adjustments go in the dated ``adjustments`` ledger. Both ledgers are approved entry
by entry, and reports use the plan as amended up to the end of their period and print which
approved version that is (see ``load.py``).

IPMVP options: a meter's regression baseline is Option B (a sub-meter) or Option C (a meter
with sub-meters, or ``measurement: whole-facility``); an option with ``key_parameter`` is
Option A: the key parameter measured before and after, the rest stipulated with its source.
"""

from __future__ import annotations

import logging
from datetime import date, time
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, model_validator

from plantmeter.config import CurrencyCode, Ident, SiteConfig
from plantmeter.i18n import _

__all__ = [
    "AdjustmentEffect",
    "Amendment",
    "Covenant",
    "ExpectedSavings",
    "FlatTariff",
    "KeyParameter",
    "LoanSpec",
    "MVPlan",
    "MeterBaseline",
    "NonRoutineAdjustment",
    "OptionSpec",
    "Period",
    "RoutineAdjustment",
    "SpotMeasurement",
    "Stipulation",
    "TimeOfUseBand",
    "TimeOfUseTariff",
    "UNITS",
]

logger = logging.getLogger(__name__)

Level = Literal["housekeeping", "low-cost", "investment"]
Status = Literal["proposed", "approved", "implemented", "verified", "rejected"]
Kind = Literal["electricity", "water", "gas", "thermal"]
Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_Date = date  # for models that also have a field named "date"
ALL_DAYS: list[Day] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
UNITS = {"electricity": "kWh", "water": "m3", "gas": "kWh", "thermal": "kWh"}
"""Usage unit per meter kind, as the counters record it."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Period(_Model):
    """[start, end): local dates of the site's time zone."""

    start: date
    end: date

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.end <= self.start:
            raise ValueError(
                _("end {end} is not after start {start}; swap or fix them").format(
                    end=self.end, start=self.start
                )
            )
        return self


class ExpectedSavings(_Model):
    """Expected annual savings as proposed (any of energy, water, money)."""

    kwh: float = Field(default=0.0, ge=0)
    m3: float = Field(default=0.0, ge=0)
    cost: float = Field(default=0.0, ge=0, description="in the plan's currency")


class SpotMeasurement(_Model):
    """A measurement of an Option A key parameter: value, date and where it is documented."""

    value: float = Field(ge=0)
    measured: date
    source: str = Field(min_length=3, description="the measurement report, logger file, ...")


class Stipulation(_Model):
    """An agreed (not measured) value of an Option A calculation, with its source."""

    name: str = Field(min_length=1)
    value: float = Field(gt=0)
    unit: str = Field(min_length=1)
    source: str = Field(min_length=3, description="why this value: survey, schedule, datasheet")


class KeyParameter(_Model):
    """IPMVP Option A: savings per year = (baseline - reporting) × the stipulated values.

    The product must come out in ``savings_unit`` per year (e.g. kW × h/year = kWh/year).
    """

    parameter: str = Field(min_length=1, description="e.g. lighting power")
    unit: str = Field(min_length=1, description="unit of the measured values, e.g. kW")
    baseline: SpotMeasurement
    reporting: SpotMeasurement
    stipulated: list[Stipulation] = Field(min_length=1)
    savings_unit: Literal["kWh", "m3"]

    @property
    def annual_savings(self) -> float:
        """(baseline - reporting) × every stipulated value, in ``savings_unit`` per year."""
        out = self.baseline.value - self.reporting.value
        for s in self.stipulated:
            out *= s.value
        return out


class OptionSpec(_Model):
    """A cleaner-production option and the meters that see its effect."""

    id: Ident
    title: str
    level: Level
    status: Status = "proposed"
    meters: list[str] = Field(min_length=1)
    implemented: date | None = Field(default=None, description="implementation date (local)")
    investment: float = Field(default=0.0, ge=0)
    expected_annual: ExpectedSavings = ExpectedSavings()
    lifetime_years: float = Field(default=10.0, gt=0, le=50)
    measurement: Literal["isolation", "whole-facility"] | None = Field(
        default=None,
        description="IPMVP option B (sub-meter) or C (whole facility); default: from the site's meters",
    )
    key_parameter: KeyParameter | None = Field(
        default=None,
        description="IPMVP Option A: key parameter measured, the rest stipulated; the option's "
        "meters then only give the tariff and the emission factor",
    )

    @model_validator(mode="after")
    def _dated(self) -> OptionSpec:
        if self.status in ("implemented", "verified") and self.implemented is None:
            raise ValueError(
                _(
                    "implemented: option {option} is {status} but has no implementation date; "
                    "add implemented: YYYY-MM-DD"
                ).format(option=repr(self.id), status=self.status)
            )
        return self


class RoutineAdjustment(_Model):
    """A routine adjustment agreed in the plan beyond the regression's drivers.

    Usage per unit of a production meter's interval value, added to the adjusted baseline
    over the whole reporting period (e.g. a product the regression cannot see, at its
    engineered specific use); ``method`` says where the figure comes from.
    """

    name: str = Field(min_length=1)
    driver: str = Field(description="a production meter id")
    per_unit: float
    method: str = Field(min_length=3)


class MeterBaseline(_Model):
    """The baseline model of one meter and its independent variables (driver meters)."""

    model: Literal["auto", "1P", "2P", "3PH", "3PC", "4P", "5P", "towt"] = "auto"
    granularity: Literal["daily", "hourly"] = "daily"
    temperature: str | None = Field(default=None, description="temperature meter id")
    production: str | None = Field(default=None, description="production counter meter id")
    routine: list[RoutineAdjustment] = Field(
        default_factory=list, description="routine adjustments beyond the regression drivers"
    )

    @model_validator(mode="after")
    def _towt_hourly(self) -> MeterBaseline:
        if (self.model == "towt") != (self.granularity == "hourly"):
            raise ValueError(
                _(
                    "model: the time-of-week-and-temperature model (towt) is the hourly model; "
                    "use model: towt with granularity: hourly, or a daily model (auto, 1P..5P)"
                )
            )
        return self


class FlatTariff(_Model):
    type: Literal["flat"] = "flat"
    price: float = Field(ge=0, description="currency per usage unit")


class TimeOfUseBand(_Model):
    name: str
    start: time
    end: time = Field(description="exclusive; 00:00 means midnight at the end of the day")
    days: list[Day] = Field(default_factory=lambda: list(ALL_DAYS))
    price: float = Field(ge=0)


class TimeOfUseTariff(_Model):
    type: Literal["time-of-use"]
    default_price: float = Field(ge=0, description="price outside every band")
    bands: list[TimeOfUseBand] = Field(min_length=1)


Tariff = Annotated[FlatTariff | TimeOfUseTariff, Field(discriminator="type")]


class Covenant(_Model):
    """A performance condition on a loan, checked each period."""

    type: Literal["min_verified_savings", "reduction_threshold", "min_coverage"]
    value: float = Field(
        gt=0,
        description="min_verified_savings: fraction of the promised savings; reduction_threshold: "
        "fractional reduction of the linked meters' use; min_coverage: savings / debt service",
    )
    basis: Literal["month", "cumulative"] = "cumulative"
    description: str = ""


class LoanSpec(_Model):
    """A cleaner-production loan: terms, linked options, promised savings and covenants."""

    id: Ident
    lender: str
    borrower: str = Field(description="the site id of the borrower")
    principal: float = Field(gt=0)
    currency: CurrencyCode = Field(
        default="USD", description="ISO 4217; the loan is reported in it (the plan's currency)"
    )
    annual_rate: float = Field(ge=0, lt=1, description="nominal annual rate, 0.08 = 8 %")
    term_months: int = Field(ge=1, le=600)
    disbursement: date
    schedule: Literal["annuity", "linear"] = "annuity"
    options: list[str]
    promised_annual_savings: float = Field(ge=0, description="in the loan's currency per year")
    covenants: list[Covenant] = []


class Amendment(_Model):
    """A change after approval: ``changes`` maps ``options[air-leaks].status`` -> new value.

    ``refit`` names meters whose baselines are refitted when the amendment is approved (e.g.
    corrected baseline readings); a change of a meter's baseline model, of the baseline period
    or of its holidays refits that meter in any case.
    """

    date: date
    reason: str = Field(min_length=3)
    changes: dict[str, Any] = Field(default_factory=dict)
    refit: list[str] = []

    @model_validator(mode="after")
    def _does_something(self) -> Amendment:
        if not self.changes and not self.refit:
            raise ValueError(
                _(
                    "changes: the amendment changes nothing; give changes (path: value) or refit "
                    "(meter ids)"
                )
            )
        return self


class AdjustmentEffect(_Model):
    """What a non-routine adjustment adds to one meter's adjusted baseline (usage units).

    Exactly one of: ``per_day`` (a constant load), ``total`` (spread evenly over the period's
    days; the period needs an end) or ``per_unit`` × the interval value of ``driver`` (a
    production meter: a documented model change, e.g. a new product's specific use).
    Positive: the baseline would have used more (a load added after the baseline).
    """

    per_day: float | None = None
    total: float | None = None
    per_unit: float | None = None
    driver: str | None = None

    @model_validator(mode="after")
    def _one(self) -> AdjustmentEffect:
        given = [k for k in ("per_day", "total", "per_unit") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                _(
                    "give exactly one of per_day (usage per day), total (usage over the period) or "
                    "per_unit with driver (usage per unit of a production meter); got {given}"
                ).format(given=given or _("none"))
            )
        if (self.per_unit is not None) != (self.driver is not None):
            raise ValueError(
                _("per_unit needs driver (a production meter id), and driver needs per_unit")
            )
        return self


class NonRoutineAdjustment(_Model):
    """A dated entry of the non-routine adjustment ledger (IPMVP: static factors changed)."""

    id: Ident
    start: _Date
    end: _Date | None = Field(default=None, description="exclusive; open when absent")
    date: _Date = Field(description="when the adjustment was agreed")
    reason: str = Field(min_length=3)
    meters: dict[str, AdjustmentEffect] = Field(min_length=1)
    method: str = Field(
        default="", description="how the figures were found (engineering calculation, submeter)"
    )
    approved_by: str = Field(min_length=1)

    @model_validator(mode="after")
    def _sane(self) -> NonRoutineAdjustment:
        if self.end is not None and self.end <= self.start:
            raise ValueError(
                _("end {end} is not after start {start}; fix the period").format(
                    end=self.end, start=self.start
                )
            )
        for mid, e in self.meters.items():
            if e.total is not None and self.end is None:
                raise ValueError(
                    _(
                        "meters.{meter}.total: a total needs the period's end; add end: YYYY-MM-DD "
                        "or give per_day"
                    ).format(meter=mid)
                )
            if e.per_unit is not None and len(self.method) < 3:
                raise ValueError(
                    _(
                        "method: meters.{meter} is a model change (per_unit); document how it was "
                        "found under method"
                    ).format(meter=mid)
                )
        return self


class MVPlan(_Model):
    """One site's M&V plan. Validated against its site config (passed in the context)."""

    id: Ident
    version: int = Field(default=1, ge=1)
    site_config: Path = Field(description="the site YAML, relative to this plan")
    currency: CurrencyCode = Field(
        default="USD", description="ISO 4217: the tariffs' prices, investments and savings"
    )
    discount_rate: float = Field(default=0.08, ge=0, lt=1)
    min_completeness: float = Field(default=0.9, gt=0, le=1)
    baseline: Period
    reporting: Period
    baselines: dict[str, MeterBaseline] = Field(min_length=1)
    holidays: list[date] = Field(
        default_factory=list,
        description="plant holidays: left out of baseline fits and of verified savings "
        "(the baseline models have no holiday term)",
    )
    options: list[OptionSpec] = Field(min_length=1)
    tariffs: dict[Kind, Tariff] = {}
    emission_factors: dict[Kind, float] = Field(
        default_factory=dict, description="kg CO2e per usage unit (kWh, m3)"
    )
    loans: list[LoanSpec] = []
    amendments: list[Amendment] = []
    adjustments: list[NonRoutineAdjustment] = Field(
        default_factory=list, description="the dated non-routine adjustment ledger"
    )

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> MVPlan:
        site: SiteConfig | None = (info.context or {}).get("site")
        if self.reporting.start < self.baseline.end:
            raise ValueError(
                _(
                    "reporting.start: the reporting period starts {start}, before the baseline "
                    "ends {end}; start reporting on or after {end}"
                ).format(start=self.reporting.start, end=self.baseline.end)
            )
        meters = {m.id: m for m in site.meters} if site is not None else {}
        if site is not None:
            _check_baselines(self, meters)
        opt_ids = [o.id for o in self.options]
        for i, o in enumerate(self.options):
            if o.id in opt_ids[:i]:
                raise ValueError(
                    _("options[{i}].id: duplicate option id {option}; ids must be unique").format(
                        i=i, option=repr(o.id)
                    )
                )
            for j, m in enumerate(o.meters):
                if site is not None and m not in meters:
                    raise ValueError(
                        _(
                            "options[{i}].meters[{j}]: {meter} is not a meter of site {site} "
                            "({file}); use one of {meters}"
                        ).format(
                            i=i,
                            j=j,
                            meter=repr(m),
                            site=repr(site.site.id),
                            file=self.site_config,
                            meters=", ".join(meters),
                        )
                    )
                if o.key_parameter is None and m not in self.baselines:
                    raise ValueError(
                        _(
                            "options[{i}].meters[{j}]: meter {meter} has no baseline model; add it "
                            "under baselines (e.g. baselines: {example})"
                        ).format(i=i, j=j, meter=repr(m), example="{" + m + ": {model: auto}}")
                    )
            if o.implemented is not None and o.implemented < self.baseline.end:
                raise ValueError(
                    _(
                        "options[{i}].implemented: {date} falls inside the baseline period "
                        "(ends {end}); move the baseline earlier or fix the date"
                    ).format(i=i, date=o.implemented, end=self.baseline.end)
                )
        if site is not None:
            _check_option_a(self, meters)
            _check_adjustments(self, meters)
        loan_ids = [ln.id for ln in self.loans]
        for i, ln in enumerate(self.loans):
            if ln.id in loan_ids[:i]:
                raise ValueError(
                    _("loans[{i}].id: duplicate loan id {loan}; ids must be unique").format(
                        i=i, loan=repr(ln.id)
                    )
                )
            if not ln.options:
                raise ValueError(
                    _(
                        "loans[{i}].options: loan {loan} is linked to no option; list the option "
                        "ids it finances (one of {options})"
                    ).format(i=i, loan=repr(ln.id), options=", ".join(opt_ids))
                )
            for j, oid in enumerate(ln.options):
                if oid not in opt_ids:
                    raise ValueError(
                        _(
                            "loans[{i}].options[{j}]: {option} is not an option of this plan; use "
                            "one of {options}"
                        ).format(i=i, j=j, option=repr(oid), options=", ".join(opt_ids))
                    )
            if ln.currency != self.currency:
                raise ValueError(
                    _(
                        "loans[{i}].currency: loan {loan} is in {currency} but the plan's tariffs, "
                        "investments and savings are in {plan_currency}, and PlantMeter converts "
                        "no currency; set the plan's currency: {currency} (with its tariffs' "
                        "prices in {currency}) or the loan's currency: {plan_currency}"
                    ).format(
                        i=i, loan=repr(ln.id), currency=ln.currency, plan_currency=self.currency
                    )
                )
            if site is not None and ln.borrower != site.site.id:
                raise ValueError(
                    _(
                        "loans[{i}].borrower: {borrower} is not this plan's site ({site}); a plan "
                        "covers one site"
                    ).format(i=i, borrower=repr(ln.borrower), site=repr(site.site.id))
                )
        return self

    def option(self, option_id: str) -> OptionSpec:
        for o in self.options:
            if o.id == option_id:
                return o
        raise KeyError(option_id)

    def loan(self, loan_id: str) -> LoanSpec:
        for ln in self.loans:
            if ln.id == loan_id:
                return ln
        raise KeyError(loan_id)


def _check_baselines(plan: MVPlan, meters: dict[str, Any]) -> None:
    for mid, b in plan.baselines.items():
        if mid not in meters:
            raise ValueError(
                _("baselines: {meter} is not a meter of the site; use one of {meters}").format(
                    meter=repr(mid), meters=", ".join(meters)
                )
            )
        if meters[mid].kind not in UNITS:
            raise ValueError(
                _(
                    "baselines: meter {meter} is a {kind} meter, a driver; baselines are for "
                    "electricity, water, gas or thermal meters"
                ).format(meter=repr(mid), kind=meters[mid].kind)
            )
        for j, ra in enumerate(b.routine):
            if ra.driver not in meters or meters[ra.driver].kind != "production":
                raise ValueError(
                    _(
                        "baselines: {meter}.routine[{j}].driver = {driver} is not a production "
                        "meter of the site; name one of {meters}"
                    ).format(
                        meter=mid,
                        j=j,
                        driver=repr(ra.driver),
                        meters=_of_kind(meters, "production"),
                    )
                )
        for role in ("temperature", "production"):
            ref = getattr(b, role)
            if ref is not None and (ref not in meters or meters[ref].kind != role):
                raise ValueError(
                    _(
                        "baselines: {meter}.{role} = {ref} is not a {role} meter of the site; name "
                        "one of {meters}"
                    ).format(meter=mid, role=role, ref=repr(ref), meters=_of_kind(meters, role))
                )


def _of_kind(meters: dict[str, Any], kind: str) -> str:
    """The site's meters of ``kind``, listed for a message (``(none)`` when there are none)."""
    return ", ".join(k for k, m in meters.items() if m.kind == kind) or _("(none)")


def _check_option_a(plan: MVPlan, meters: dict[str, Any]) -> None:
    for i, o in enumerate(plan.options):
        if o.key_parameter is None:
            continue
        for j, m in enumerate(o.meters):
            unit = UNITS.get(meters[m].kind)
            if unit != o.key_parameter.savings_unit:
                raise ValueError(
                    _(
                        "options[{i}].meters[{j}]: {meter} records {unit}, but the Option A savings "
                        "are in {savings_unit}; name a meter of that unit (it prices the savings)"
                    ).format(
                        i=i,
                        j=j,
                        meter=repr(m),
                        unit=unit or meters[m].kind,
                        savings_unit=o.key_parameter.savings_unit,
                    )
                )


def _check_adjustments(plan: MVPlan, meters: dict[str, Any]) -> None:
    ids = [a.id for a in plan.adjustments]
    for i, a in enumerate(plan.adjustments):
        if a.id in ids[:i]:
            raise ValueError(
                _("adjustments[{i}].id: duplicate adjustment id {adjustment}").format(
                    i=i, adjustment=repr(a.id)
                )
            )
        if a.start < plan.baseline.end:
            raise ValueError(
                _(
                    "adjustments[{i}].start: {start} is before the baseline ends ({end}); a "
                    "non-routine adjustment applies to the reporting period"
                ).format(i=i, start=a.start, end=plan.baseline.end)
            )
        for mid, e in a.meters.items():
            if mid not in plan.baselines:
                raise ValueError(
                    _(
                        "adjustments[{i}].meters: {meter} has no baseline in this plan; use one of "
                        "{meters}"
                    ).format(i=i, meter=repr(mid), meters=", ".join(plan.baselines))
                )
            if e.driver is not None and (
                e.driver not in meters or meters[e.driver].kind != "production"
            ):
                raise ValueError(
                    _(
                        "adjustments[{i}].meters.{meter}.driver: {driver} is not a production "
                        "meter of the site"
                    ).format(i=i, meter=mid, driver=repr(e.driver))
                )
