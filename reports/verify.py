"""The verification engine: verified savings per option and period, with their data basis.

For an option and a period (month, quarter, year to date, since implementation) it fits
each of the option's meters' baselines with ``analytics.compute_savings`` over the plan's
baseline period and reports, for the part of the period after implementation: savings in
kWh / m3, cost (plan tariffs) and CO2 (plan emission factors), each with its 90 % band
(``fsu_90 × |savings|``), the data completeness, ASHRAE Guideline 14 pass/fail and a status:

* ``insufficient data`` — under ``min_completeness`` of the period's days are valid (every
  meter and driver ≥ 90 % of its hours), or the analytics disqualified the data; no savings
  number is given, only the completeness and the reason;
* ``on track`` — the promise (expected annual savings, pro rata by days) is inside or below
  the 90 % interval: savings + band ≥ promise;
* ``below promise`` — the whole interval is below the promise;
* ``not implemented`` — the option was not implemented before the period ended.

Attribution: a meter with sub-meters (or ``measurement: whole-facility``) is IPMVP Option C
and carries the caveat that it sees every change at the site; a meter shared by several
implemented options is split in proportion to their expected savings (stated). An option with
a ``key_parameter`` is IPMVP Option A: (baseline − reporting measurement) × the stipulated
values, per year, pro rata by day; it has no statistical band (the stipulations carry the
uncertainty, as the signatories agreed).

Pinned baselines: given the approved fits (``pins``), every meter's savings use the model
pinned at approval (or at the amendment that refitted it) instead of a fit on today's
readings. Routine adjustments of a meter's baseline (usage per unit of a production meter,
beyond the regression's drivers) and non-routine adjustments of the plan's ledger (over their
period) are added to the adjusted baseline on the intervals that have savings, and listed
with their effect; they add no statistical uncertainty.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any, Literal, Protocol

import pandas as pd

from analytics.api import SavingsResult, compute_savings
from plantmeter.errors import AnalyticsError, DataSufficiencyError
from plantmeter.i18n import N_
from plantmeter.text import Day, Num, Pct, Term, Text, englished, joined

from .adjust import apply_adjustments
from .data import SiteData, hourly_prices, interval_prices, local_ts
from .plan import UNITS, KeyParameter, MVPlan, OptionSpec
from .readings import ReadingsChange

__all__ = [
    "MeterSavings",
    "Pin",
    "Verification",
    "Verifier",
    "Window",
    "month_window",
    "periods_for",
]

logger = logging.getLogger(__name__)

NOTE_SHARE = 0.01  # driver-range findings below this share of intervals stay in the JSON only
WindowKind = Literal["month", "quarter", "ytd", "since", "custom"]
OPTION_C = N_(
    "IPMVP Option C (whole facility): {meter} sees every change at the site, not only this "
    "option; the figure is the whole facility's savings attributed to it"
)
OPTION_A = N_(
    "IPMVP Option A (key parameter): {parameter} measured {b} {unit} before ({bsrc}, "
    "{bdate}) and {r} {unit} after ({rsrc}, {rdate}); stipulated: {stip}. No statistical band: "
    "the stipulated values carry the uncertainty"
)


class Pin(Protocol):
    """A pinned baseline (``reports.approval.PinnedFit``) as the verifier needs it."""

    @property
    def model(self) -> dict[str, Any]: ...

    @property
    def fitted_at(self) -> str: ...

    @property
    def readings_digest(self) -> str: ...

    @property
    def entry(self) -> int: ...

    @property
    def entry_kind(self) -> str: ...

    @property
    def data(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Window:
    kind: WindowKind
    label: str
    start: date
    end: date  # exclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def text(self) -> str | Text:
        """The period as a reader says it: '2025-11' (as --period takes it), 'Q4 2025 to date',
        'since 1/09/2025' (``label`` keeps the English form the JSON carries)."""
        if self.kind == "quarter":
            return Text(
                N_("Q{quarter} {year} to date"),
                quarter=(self.start.month + 2) // 3,
                year=self.start.year,
            )
        if self.kind == "ytd":
            return Text(N_("{year} to date"), year=self.start.year)
        if self.kind == "since":
            return Text(N_("since {date}"), date=Day(self.start))
        return self.label


def month_window(month: date) -> Window:
    start = month.replace(day=1)
    end = (start + timedelta(days=32)).replace(day=1)
    return Window("month", start.strftime("%Y-%m"), start, end)


def periods_for(month: date, implemented: date | None) -> list[Window]:
    """The month, its quarter and year to date up to its end, and since implementation."""
    m = month_window(month)
    q0 = date(m.start.year, 3 * ((m.start.month - 1) // 3) + 1, 1)
    out = [
        m,
        Window("quarter", f"Q{(q0.month + 2) // 3} {q0.year} to date", q0, m.end),
        Window("ytd", f"{m.start.year} to date", date(m.start.year, 1, 1), m.end),
    ]
    if implemented is not None and implemented < m.end:
        out.append(Window("since", f"since {implemented}", implemented, m.end))
    return out


def _shown(warning: dict[str, Any]) -> str:
    """A stored ``SufficiencyWarning.to_dict()`` in the current locale (its English
    description when it carries no message)."""
    message = warning.get("message")
    if not message:
        return str(warning["description"])
    try:
        return str(Text.from_json(message))
    except ValueError:
        return str(warning["description"])


def _finite(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


@dataclass
class MeterSavings:
    """One meter's savings over a verified window (share = part attributed to the option)."""

    meter: str
    unit: str
    measurement: str
    share: float
    observed: float
    adjusted_baseline: float
    savings: float
    band_90: float | None
    savings_fraction: float
    cost: float | None
    co2_kg: float | None
    g14_pass: bool
    model: dict[str, Any]
    checks: list[dict[str, Any]]
    warnings: list[str]
    caveat: str | Text = ""  # a Text in the reader's language; English in the JSON
    driver_range: list[dict[str, Any]] = field(default_factory=list)  # EnPI Lite range check
    extrapolated: bool = False
    adjustments: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Verification:
    """Verified savings of one option over one window, or why there is no number."""

    option: str
    title: str
    level: str
    window: Window
    status: str
    reason: str | Text  # why this status, in the reader's language (English in the JSON)
    completeness: float | None = None
    valid_days: int = 0
    days: int = 0
    verified_from: date | None = None
    verified_to: date | None = None
    meters: list[MeterSavings] = field(default_factory=list)
    savings: dict[str, float] = field(default_factory=dict)  # unit -> attributed savings
    band_90: dict[str, float] = field(default_factory=dict)
    cost: float | None = None
    cost_band_90: float | None = None
    co2_kg: float | None = None
    promised: dict[str, float] = field(default_factory=dict)  # unit or "cost" -> pro rata
    g14_pass: bool | None = None
    caveats: list[str | Text] = field(default_factory=list)
    adjustments: list[dict[str, Any]] = field(default_factory=list)  # non-routine, with effect

    @property
    def has_number(self) -> bool:
        return self.status in ("on track", "below promise")

    @property
    def extrapolated(self) -> bool:
        """The figure rests on drivers outside the baseline's range (see ``driver_notes``)."""
        return self.has_number and any(ms.extrapolated for ms in self.meters)

    @property
    def driver_notes(self) -> list[str]:
        """One line per meter and driver outside the baseline's range, for the reports."""
        return [
            f"{ms.meter}: {_shown(d)}"  # analytics' own sentence, in the reader's language
            for ms in self.meters
            for d in ms.driver_range
            if d["data"]["extrapolated"] or d["data"]["share_outside"] >= NOTE_SHARE
        ]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["window"] = {
            **asdict(self.window),
            "start": self.window.start.isoformat(),
            "end": self.window.end.isoformat(),
        }
        for k in ("verified_from", "verified_to"):
            d[k] = d[k].isoformat() if d[k] else None
        d["extrapolated"] = self.extrapolated
        return englished(d)  # the JSON keeps the texts in English


class Verifier:
    """Verifies options of one plan against one site's data (fits are cached per window)."""

    def __init__(
        self,
        plan: MVPlan,
        data: SiteData,
        pins: Mapping[str, Pin] | None = None,
        changed: Mapping[str, ReadingsChange] | None = None,
    ) -> None:
        self.plan = plan
        self.data = data
        self.pins = dict(pins or {})
        self.changed = dict(changed or {})  # meter -> baseline readings differing since approval
        self._results: dict[tuple[str, date, date], SavingsResult] = {}
        self._adjustments: dict[tuple[str, date, date], list[dict[str, Any]]] = {}

    # -- per meter -------------------------------------------------------------------------
    def measurement(self, option: OptionSpec, meter: str) -> str:
        if option.measurement:
            return option.measurement
        has_children = any(m.parent == meter for m in self.data.site.meters)
        return "whole-facility" if has_children else "isolation"

    def drivers(self, meter: str) -> list[str]:
        b = self.plan.baselines[meter]
        return [m for m in (b.production,) if m]

    def usage(self, meter: str) -> pd.Series:
        """Hourly use with the plan's holidays left out (NaN)."""
        use = self.data.hourly(meter)
        if not self.plan.holidays:
            return use
        days = pd.DatetimeIndex(use.index.normalize().tz_localize(None))
        return use.where(~days.isin(pd.DatetimeIndex(self.plan.holidays)))

    def result(self, meter: str, start: date, end: date) -> SavingsResult:
        """compute_savings for ``meter`` over [start, end) against the plan's baseline.

        The pinned model when the plan is approved; non-routine adjustments included.
        """
        key = (meter, start, end)
        if key not in self._results:
            b = self.plan.baselines[meter]
            tz = self.data.tz
            pin = self.pins.get(meter)
            r = compute_savings(
                self.usage(meter),
                (local_ts(self.plan.baseline.start, tz), local_ts(self.plan.baseline.end, tz)),
                (local_ts(start, tz), local_ts(end, tz)),
                temperature=self.data.temperature(b.temperature) if b.temperature else None,
                production=self.data.hourly(b.production) if b.production else None,
                granularity=b.granularity,
                model=b.model,
                baseline_model=pin.model if pin is not None else None,
            )
            if pin is not None:
                r.model.selection_reason = (
                    f"approved model pinned by approval-record entry {pin.entry}, fitted "
                    f"{pin.fitted_at} on readings {pin.readings_digest[:19]}…"
                )
            self._results[key], self._adjustments[key] = apply_adjustments(
                self.plan, self.data, meter, r
            )
        return self._results[key]

    def adjustments(self, meter: str, start: date, end: date) -> list[dict[str, Any]]:
        """The non-routine adjustments applied to ``meter`` over [start, end), with effect."""
        self.result(meter, start, end)
        return self._adjustments[(meter, start, end)]

    def completeness(self, meters: list[str], start: date, end: date) -> tuple[float, int]:
        """Share and number of valid local days in [start, end) over meters and drivers."""
        temps = {self.plan.baselines[m].temperature for m in meters} - {None}
        cover = self.data.daily_coverage(
            sorted(set(meters) | {d for m in meters for d in self.drivers(m)}),
            next(iter(temps)) if temps else None,
        )
        days = pd.date_range(
            local_ts(start, self.data.tz), local_ts(end, self.data.tz), freq="D", inclusive="left"
        )
        days = days[~days.tz_localize(None).isin(pd.DatetimeIndex(self.plan.holidays))]
        valid = int(cover.reindex(days).fillna(0.0).sum())
        return (valid / len(days) if len(days) else 0.0), valid

    def _share(self, option: OptionSpec, meter: str, until: date) -> float:
        sharing = [
            o
            for o in self.plan.options
            if meter in o.meters
            and o.key_parameter is None
            and o.status in ("implemented", "verified")
            and o.implemented is not None
            and o.implemented < until
        ]
        if len(sharing) <= 1:
            return 1.0
        key = "kwh" if UNITS[self.data.kind(meter)] == "kWh" else "m3"
        weights = {o.id: getattr(o.expected_annual, key) or o.expected_annual.cost for o in sharing}
        total = sum(weights.values())
        return weights[option.id] / total if total else 1.0 / len(sharing)

    def _meter(self, option: OptionSpec, meter: str, start: date, end: date) -> MeterSavings:
        r = self.result(meter, start, end)
        kind = self.data.kind(meter)
        share = self._share(option, meter, end)
        band = _finite(r.fsu_90 * abs(r.savings))
        cost = None
        tariff = self.plan.tariffs.get(kind)  # type: ignore[call-overload]
        if tariff is not None:
            b = self.plan.baselines[meter]
            hourly = self.data.hourly(meter)
            hourly = hourly[
                (hourly.index >= local_ts(start, self.data.tz))
                & (hourly.index < local_ts(end, self.data.tz))
            ]
            prices = interval_prices(hourly, tariff, b.granularity).reindex(r.frame.index)
            cost = float((r.frame["savings"] * prices).sum())
        ef = self.plan.emission_factors.get(kind)  # type: ignore[call-overload]
        measurement = self.measurement(option, meter)
        g14 = [c for c in r.checks if c.name in ("cvrmse", "nmbe")]
        pin = self.pins.get(meter)
        pinned = (
            {
                "entry": pin.entry,
                "fitted_at": pin.fitted_at,
                "readings_digest": pin.readings_digest,
                "readings_changed": self.changed.get(meter, ReadingsChange()).n,
                "readings_changed_text": self.changed.get(meter, ReadingsChange()).describe(),
            }
            if pin is not None
            else None
        )
        return MeterSavings(
            meter=meter,
            unit=UNITS[kind],
            measurement=measurement,
            share=share,
            observed=r.observed,
            adjusted_baseline=r.adjusted_baseline,
            savings=r.savings,
            band_90=band,
            savings_fraction=r.savings_fraction,
            cost=cost,
            co2_kg=r.savings * ef if ef is not None else None,
            g14_pass=bool(g14) and all(c.passed for c in g14),
            model={
                "type": r.model.type,
                "r2": r.model.r2,
                "cvrmse": r.model.cvrmse,
                "nmbe": r.model.nmbe,
                "n": r.model.n,
                "fsu_90": _finite(r.fsu_90),
                "reason": r.model.selection_reason,
                "pinned": pinned,
            },
            checks=[c.to_dict() for c in r.checks],
            warnings=[w.description for w in r.data_sufficiency],
            caveat=Text(OPTION_C, meter=meter) if measurement == "whole-facility" else "",
            driver_range=[w.to_dict() for w in r.driver_range],
            extrapolated=r.extrapolated,
            adjustments=self.adjustments(meter, start, end),
        )

    # -- per option ------------------------------------------------------------------------
    def verify(self, option_id: str, window: Window) -> Verification:
        o = self.plan.option(option_id)
        v = Verification(o.id, o.title, o.level, window, "not implemented", "", days=window.days)
        done = o.status in ("implemented", "verified") and o.implemented is not None
        if not done or o.implemented is None or o.implemented >= window.end:
            v.reason = (
                Text(
                    N_("status {status}, implementation {date}"),
                    status=Term(o.status),
                    date=Day(o.implemented),
                )
                if o.implemented
                else Text(N_("status {status}"), status=Term(o.status))
            )
            return v
        start = max(window.start, o.implemented)
        v.days = (window.end - start).days
        v.verified_from = start
        years = v.days / 365.0
        e = o.expected_annual
        v.promised = {
            k: x * years for k, x in (("kWh", e.kwh), ("m3", e.m3), ("cost", e.cost)) if x
        }
        if o.key_parameter is not None:  # Option A: measured and stipulated, not metered daily
            v.completeness, v.valid_days = 1.0, v.days
            self._option_a(o, o.key_parameter, v, window.end)
            return v
        try:
            v.completeness, v.valid_days = self.completeness(o.meters, start, window.end)
        except DataSufficiencyError as exc:  # a meter or driver without readings at all
            v.completeness, v.valid_days = 0.0, 0
            v.status = "insufficient data"
            v.reason = Text(N_("{error}; no savings figure is given"), error=str(exc))
            return v
        if v.completeness < self.plan.min_completeness:
            v.status = "insufficient data"
            v.reason = Text(
                N_(
                    "{valid} of {days} days have complete data ({completeness} < {required} "
                    "required); no savings figure is given"
                ),
                valid=Num(v.valid_days),
                days=Num(v.days),
                completeness=Pct(v.completeness),
                required=Pct(self.plan.min_completeness),
            )
            return v
        ends = [min(local_ts(window.end, self.data.tz), self.data.data_end(m)) for m in o.meters]
        end = min(
            window.end, min(ends).tz_convert(self.data.tz).normalize().date() + timedelta(days=1)
        )
        v.verified_to = end
        try:
            v.meters = [self._meter(o, m, start, end) for m in o.meters]
        except AnalyticsError as exc:
            v.status = "insufficient data"
            error = exc.text if isinstance(getattr(exc, "text", None), Text) else str(exc)
            v.reason = Text(N_("the analytics refused the data: {error}"), error=error)
            return v
        self._aggregate(v)
        return v

    def _option_a(self, o: OptionSpec, kp: KeyParameter, v: Verification, end: date) -> None:
        """IPMVP Option A over [verified_from, end): measured difference × stipulated values."""
        assert v.verified_from is not None
        v.verified_to = end
        years = (end - v.verified_from).days / 365.0
        factor = 1.0
        for st in kp.stipulated:
            factor *= st.value
        meter = o.meters[0]
        kind = self.data.kind(meter)
        base = kp.baseline.value * factor * years
        used = kp.reporting.value * factor * years
        sav = kp.annual_savings * years
        tariff = self.plan.tariffs.get(kind)  # type: ignore[call-overload]
        price = None
        if tariff is not None:  # time of use: the time-weighted mean price of the window
            hours = pd.date_range(
                local_ts(v.verified_from, self.data.tz),
                local_ts(end, self.data.tz),
                freq="h",
                inclusive="left",
            )
            price = float(hourly_prices(hours, tariff).mean()) if len(hours) else None
        ef = self.plan.emission_factors.get(kind)  # type: ignore[call-overload]
        stip = joined(
            Text(
                N_("{name} {value} {unit} ({source})"),
                name=st.name,
                value=Num(st.value, None),
                unit=st.unit,
                source=st.source,
            )
            for st in kp.stipulated
        )
        caveat = Text(
            OPTION_A,
            parameter=kp.parameter,
            b=Num(kp.baseline.value, None),
            r=Num(kp.reporting.value, None),
            unit=kp.unit,
            bsrc=kp.baseline.source,
            bdate=Day(kp.baseline.measured),
            rsrc=kp.reporting.source,
            rdate=Day(kp.reporting.measured),
            stip=stip,
        )
        v.meters = [
            MeterSavings(
                meter=meter,
                unit=kp.savings_unit,
                measurement="key-parameter",
                share=1.0,
                observed=used,
                adjusted_baseline=base,
                savings=sav,
                band_90=None,
                savings_fraction=sav / base if base else math.nan,
                cost=sav * price if price is not None else None,
                co2_kg=sav * ef if ef is not None else None,
                g14_pass=True,
                model={
                    "type": "IPMVP Option A",
                    "r2": math.nan,
                    "cvrmse": math.nan,
                    "nmbe": math.nan,
                    "n": 0,
                    "fsu_90": None,
                    "reason": "key parameter measured, the rest stipulated",
                    "pinned": None,
                    "annual_savings": kp.annual_savings,
                },
                checks=[],
                warnings=[],
                caveat=caveat,
            )
        ]
        self._aggregate(v)

    def _aggregate(self, v: Verification) -> None:
        var: dict[str, float] = {}
        cost_var = 0.0
        for ms in v.meters:
            v.savings[ms.unit] = v.savings.get(ms.unit, 0.0) + ms.share * ms.savings
            var[ms.unit] = var.get(ms.unit, 0.0) + (ms.share * (ms.band_90 or 0.0)) ** 2
            if ms.cost is not None:
                v.cost = (v.cost or 0.0) + ms.share * ms.cost
                rel = (ms.band_90 or 0.0) / abs(ms.savings) if ms.savings else 0.0
                cost_var += (ms.share * rel * ms.cost) ** 2
            if ms.co2_kg is not None:
                v.co2_kg = (v.co2_kg or 0.0) + ms.share * ms.co2_kg
            if ms.caveat:
                v.caveats.append(ms.caveat)
            pinned = ms.model.get("pinned")
            if pinned and pinned["readings_changed"]:
                v.caveats.append(
                    Text(
                        N_(
                            "{meter}: baseline data changed since approval: {change}; the "
                            "approved model (fitted {fitted}) is kept — only a dated amendment "
                            "refits it"
                        ),
                        meter=ms.meter,
                        change=self.changed[ms.meter].text(),
                        fitted=pinned["fitted_at"],
                    )
                )
            for a in ms.adjustments:
                v.adjustments.append(a)
                if a["kind"] == "routine":
                    v.caveats.append(
                        Text(
                            N_(
                                "Routine adjustment {id} on {meter} (agreed in the plan): "
                                "{effect} added to the adjusted baseline in this period ({rule}) "
                                "— {reason}"
                            ),
                            id=a["id"],
                            meter=a["meter"],
                            effect=Num(a["effect"], 0, a["unit"], signed=True),
                            rule=a["rule"],
                            reason=a["reason"],
                        )
                    )
                    continue
                v.caveats.append(
                    Text(
                        N_(
                            "Non-routine adjustment {id} on {meter} ({period}, agreed {agreed}, "
                            "approved by {approved_by}): {effect} added to the adjusted baseline "
                            "in this period ({rule}) — {reason}"
                        ),
                        id=a["id"],
                        meter=a["meter"],
                        period=a["period"],
                        agreed=Day(a["agreed"]),
                        approved_by=a["approved_by"],
                        effect=Num(a["effect"], 0, a["unit"], signed=True),
                        rule=a["rule"],
                        reason=a["reason"],
                    )
                )
            if ms.share < 1.0:
                v.caveats.append(
                    Text(
                        N_(
                            "{meter} is shared with other implemented options: {share} of its "
                            "savings are attributed to this option, in proportion to expected "
                            "savings"
                        ),
                        meter=ms.meter,
                        share=Pct(ms.share),
                    )
                )
        v.band_90 = {u: math.sqrt(x) for u, x in var.items()}
        v.cost_band_90 = math.sqrt(cost_var) if v.cost is not None else None
        v.g14_pass = all(ms.g14_pass for ms in v.meters)
        unit = next((u for u in ("kWh", "m3") if u in v.promised and u in v.savings), None)
        got, band, promise = (
            (v.savings[unit], v.band_90[unit], v.promised[unit])
            if unit
            else (v.cost or 0.0, v.cost_band_90 or 0.0, v.promised.get("cost", 0.0))
        )
        shown = unit or self.plan.currency
        figures = {"got": Num(got), "band": Num(band), "unit": shown, "promise": Num(promise)}
        if got + band >= promise:
            v.status = "on track"
            reason = Text(N_("verified {got} ± {band} {unit} vs promised {promise}"), **figures)
        else:
            v.status = "below promise"
            reason = Text(
                N_(
                    "verified {got} ± {band} {unit}: the 90 % interval is below the promised "
                    "{promise}"
                ),
                **figures,
            )
        if not v.g14_pass:
            reason += Text(
                N_("; the baseline fails ASHRAE Guideline 14 calibration: treat with caution")
            )
        if any(ms.extrapolated for ms in v.meters):
            reason += Text(N_("; extrapolated: drivers outside the baseline's range"))
        v.reason = reason

    def trace(self, meter: str, start: date, end: date) -> pd.DataFrame:
        """Per-interval observed / adjusted baseline / savings / cumulative over [start, end)."""
        return self.result(meter, start, end).frame
