"""Request and response models of the JSON API (``/api/v1``); what OpenAPI documents.

Request models are what a client may send (validated, ``extra="forbid"``); response models
are what the API answers with (built from the services' results in the routes, never the
services' own objects). Times are ISO 8601 in UTC; a series' bucket starts are Unix seconds
(what uPlot draws).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "AckIn",
    "AckOut",
    "AuditOut",
    "FlagOut",
    "FlagsOut",
    "Health",
    "LatestOut",
    "LoanOut",
    "LoanStatusOut",
    "Me",
    "MeterOut",
    "OptionOut",
    "QuantityOut",
    "SavingsFigureOut",
    "SavingsOut",
    "SeriesOut",
    "SiteOut",
    "TokenOut",
    "UserOut",
]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Health(BaseModel):
    status: Literal["ok"]
    version: str
    sites: int = Field(description="sites served")


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="seconds the token stays valid")


class Me(BaseModel):
    username: str
    role: str
    sites: list[str]
    loans: list[str]
    email: str | None
    locale: str


class MeterOut(BaseModel):
    site: str
    id: str
    kind: str
    profile: str
    poll_s: float
    parent: str | None
    area: str | None


class SiteOut(BaseModel):
    id: str
    name: str
    timezone: str
    has_plan: bool
    meters: list[MeterOut]


class QuantityOut(BaseModel):
    quantity: str
    value: float
    unit: str
    time: datetime


class LatestOut(BaseModel):
    site: str
    meter: str
    kind: str
    state: Literal["fresh", "stale", "silent"]
    last_time: datetime | None
    age_s: float | None
    poll_s: float
    stale_after_s: float
    values: list[QuantityOut]


class SeriesOut(BaseModel):
    """One quantity of a meter in buckets, as columns (index i of every list is bucket i)."""

    site: str
    meter: str
    quantity: str
    unit: str
    kind: Literal["gauge", "counter"] = Field(
        description="gauge: mean/min/max per bucket; counter: use per bucket"
    )
    start: datetime
    end: datetime
    resolution: str = Field(description="bucket width as a duration, e.g. 1m, 1h, 1d")
    width_s: int
    local_days: bool = Field(description="day buckets are the site's local days")
    completeness: float = Field(description="buckets holding a reading / buckets")
    time: list[int] = Field(description="bucket starts, Unix seconds")
    readings: list[int]
    mean: list[float | None]
    min: list[float | None]
    max: list[float | None]
    use: list[float | None]
    estimated: list[bool] = Field(description="counter use spread over buckets without readings")


class AckIn(_In):
    """Acknowledge one flag (the flag is named by meter, detector, quantity and start)."""

    meter: str = Field(min_length=1, max_length=64)
    detector: str = Field(min_length=1, max_length=64)
    quantity: str = Field(min_length=1, max_length=64)
    start: datetime
    comment: str = Field(min_length=1, max_length=1000)


class AckOut(BaseModel):
    site: str
    meter: str
    detector: str
    quantity: str
    start: datetime
    username: str
    time: datetime
    comment: str


class FlagOut(BaseModel):
    meter: str
    kind: str
    severity: str
    reason: str
    start: datetime
    end: datetime
    quantity: str
    detector: str
    excess_per_day: float | None
    cost_per_day: float | None
    acknowledgements: list[AckOut]


class FlagsOut(BaseModel):
    site: str
    start: datetime
    end: datetime
    state: str = Field(description="flags, none, partly computed or never computed")
    computed: dict[str, str] = Field(
        description="meter -> computed / partly computed (N %) / never computed"
    )
    flags: list[FlagOut]


class OptionOut(BaseModel):
    id: str
    title: str
    level: str
    status: str
    meters: list[str]
    implemented: str | None
    investment: float


class SavingsFigureOut(BaseModel):
    option: str
    title: str
    period: str
    period_kind: str
    start: str
    end: str
    status: str
    reason: str
    observed: dict[str, float]
    adjusted_baseline: dict[str, float]
    savings: dict[str, float]
    band_90: dict[str, float] = Field(
        description="unit -> half width of the 90 % band (savings ± band)"
    )
    promised: dict[str, float]
    cost: float | None
    cost_band_90: float | None
    currency: str
    co2_kg: float | None
    completeness: float | None
    extrapolated: bool
    caveats: list[str]


class SavingsOut(BaseModel):
    site: str
    month: str
    figures: list[SavingsFigureOut]


class LoanOut(BaseModel):
    id: str
    site: str
    lender: str
    borrower: str
    principal: float
    currency: str
    annual_rate: float
    term_months: int
    disbursement: str
    options: list[str]
    promised_annual_savings: float


class LoanStatusOut(BaseModel):
    loan: str
    month: str
    status: dict[str, Any] = Field(
        description="the loan report's figures (as in its JSON document)"
    )


class UserOut(BaseModel):
    username: str
    role: str
    sites: list[str]
    loans: list[str]
    email: str | None
    created: datetime


class AuditOut(BaseModel):
    time: datetime
    username: str | None
    action: str
    detail: str
    client: str
