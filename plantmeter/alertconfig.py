"""The ``alerts:`` section of a site file: channels (e-mail, MQTT alert topic, webhook), who
is told what (rules), reminders, and the dashboard's address for links.

```yaml
alerts:
  dashboard_url: "https://plantmeter.dairy.example"
  email: {smtp_url: "smtp://mail.dairy.example:587", from: "plantmeter@dairy.example",
          username: plantmeter, password_file: /etc/plantmeter/smtp-password}
  mqtt: true                      # retained list of active alarms on plantmeter/<site>/alerts
  webhook: {url: "https://hooks.example/plantmeter", retries: 5}
  rules:
    - {to: ["manager@dairy.example"], severity: warning}
    - {to: ["night@dairy.example"], meters: [cip-water], types: [leak], quiet_hours: "22:00-06:00"}
  reminder_after: 24h
  reports: {loan_day: 5}          # last month's loan report (PDF) to each loan's financiers
```

SMTP: ``smtp://HOST[:PORT]`` is plain SMTP (port 25 by default) upgraded with STARTTLS on port
587 or when ``starttls: true``; ``smtps://HOST[:PORT]`` is TLS from the first byte (port 465).
``PLANTMETER_SMTP_URL``, ``PLANTMETER_SMTP_USERNAME`` and ``PLANTMETER_SMTP_PASSWORD`` override
the file (``plantmeter.config.load_site``). Validation never opens a socket.
"""

from __future__ import annotations

import re
from datetime import time
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from .durations import Duration
from .i18n import N_, _
from .redact import read_secret, redact_url

__all__ = [
    "ALERT_TYPES",
    "SEVERITIES",
    "AlertRule",
    "AlertsConfig",
    "EmailAddress",
    "EmailConfig",
    "ReportsConfig",
    "WebhookConfig",
    "check_address",
    "parse_quiet_hours",
]

SEVERITIES: tuple[str, ...] = ("info", "warning", "critical")
"""Flag severities, lowest first; a rule's ``severity`` is the lowest it sends."""

ALERT_TYPES: tuple[str, ...] = (
    "excess",
    "leak",
    "out_of_hours",
    "stuck",
    "counter_reset",
    "counter_rollover",
    "spike",
    "gap",
    "impossible",
    "offline",
    "gateway_down",
    "ingest_down",
)
"""What an alert can be about: the detectors' flag kinds (analytics.anomalies), ``offline``
(a meter whose readings stopped arriving), ``gateway_down`` and ``ingest_down`` (their status
topics say offline or failed, or went quiet)."""

_QUIET = re.compile(r"^\s*([01]\d|2[0-3]):([0-5]\d)\s*-\s*([01]\d|2[0-3]):([0-5]\d)\s*$")


def check_address(value: str) -> str:
    """``value`` if it is a plain e-mail address (``name@host.domain``), else ValueError with the form."""
    local, at, host = value.partition("@")
    if (
        not at
        or not local
        or "." not in host
        or host.startswith(".")
        or host.endswith(".")
        or "@" in host
        or len(value) > 254
        or any(c.isspace() or c in "<>,;\"'" for c in value)
    ):
        raise ValueError(
            _("{value} is not an e-mail address; write it like name@example.org").format(
                value=repr(value)
            )
        )
    return value


EmailAddress = Annotated[str, AfterValidator(check_address)]


def parse_quiet_hours(value: str) -> tuple[time, time]:
    """(start, end) of ``"HH:MM-HH:MM"`` (site local; the end may be the next morning)."""
    match = _QUIET.match(value)
    if not match:
        raise ValueError(
            _("{value} is not a quiet-hours range; write HH:MM-HH:MM, e.g. 22:00-06:00").format(
                value=repr(value)
            )
        )
    h0, m0, h1, m1 = (int(g) for g in match.groups())
    start, end = time(h0, m0), time(h1, m1)
    if start == end:
        raise ValueError(
            _("{value} is empty; give a start and an end that differ").format(value=repr(value))
        )
    return start, end


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


_NOT_A_URL = {
    "webhook": N_("{url} is not a webhook URL; write https://HOST/PATH"),
    "dashboard": N_("{url} is not a dashboard URL; write https://HOST/PATH"),
}
"""One whole sentence per kind of URL, so a translation never splices an English word in."""


def _http_url(value: str, what: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(_(_NOT_A_URL[what]).format(url=repr(redact_url(value))))
    try:
        _port = parts.port
    except ValueError:
        raise ValueError(
            _("{url} has an invalid port; write https://HOST:PORT/PATH").format(
                url=repr(redact_url(value))
            )
        ) from None
    return value


class EmailConfig(_Model):
    """The SMTP server alerts are sent through, and the sender."""

    smtp_url: str = "smtp://localhost:25"
    starttls: bool | None = Field(
        default=None, description="upgrade smtp:// with STARTTLS (default: only on port 587)"
    )
    sender: EmailAddress = Field(alias="from")
    username: str | None = None
    password: str | None = Field(default=None, repr=False)
    password_file: Path | None = Field(default=None, description="file holding the SMTP password")
    ca_file: Path | None = Field(
        default=None, description="CA bundle to verify the server (default: the system's)"
    )
    timeout: Duration = 30.0

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError(
                _(
                    "{url} is not an SMTP URL; write smtp://HOST:587 (STARTTLS), "
                    "smtps://HOST:465 (TLS) or smtp://HOST:25 (plain)"
                ).format(url=repr(redact_url(value)))
            )
        if parts.username or parts.password:
            raise ValueError(
                _(
                    "{url} carries a login; put it in username and password_file "
                    "(or PLANTMETER_SMTP_USERNAME / PLANTMETER_SMTP_PASSWORD)"
                ).format(url=repr(redact_url(value)))
            )
        try:
            _port = parts.port
        except ValueError:
            raise ValueError(
                _("{url} has an invalid port; write smtp://HOST:PORT").format(
                    url=repr(redact_url(value))
                )
            ) from None
        return value

    @model_validator(mode="after")
    def _tls_modes(self) -> EmailConfig:
        if self.implicit_tls and self.starttls:
            raise ValueError(
                _(
                    "starttls is for smtp://, and smtps:// is TLS from the start; use "
                    "smtp://HOST:587 for STARTTLS or remove starttls"
                )
            )
        if self.password is not None and self.password_file is not None:
            raise ValueError(_("give password or password_file, not both"))
        return self

    @property
    def host(self) -> str:
        return urlsplit(self.smtp_url).hostname or "localhost"

    @property
    def implicit_tls(self) -> bool:
        return urlsplit(self.smtp_url).scheme == "smtps"

    @property
    def port(self) -> int:
        return urlsplit(self.smtp_url).port or (465 if self.implicit_tls else 25)

    @property
    def use_starttls(self) -> bool:
        """STARTTLS on a plain connection: as configured, else on the submission port 587."""
        if self.implicit_tls:
            return False
        return self.starttls if self.starttls is not None else self.port == 587

    def resolved_password(self) -> str | None:
        """The password from ``password``, else from ``password_file``; never logged."""
        return read_secret(self.password, self.password_file)


class WebhookConfig(_Model):
    """A URL that receives each alert as a JSON POST."""

    url: str
    retries: int = Field(default=5, ge=0, le=20, description="resends with backoff after a failure")
    timeout: Duration = 10.0

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _http_url(value, "webhook")


class AlertRule(_Model):
    """Who gets e-mail about what: severity at least ``severity``, of ``meters`` and ``types``
    (all when left out), held back during ``quiet_hours`` (site local ``HH:MM-HH:MM``)."""

    to: list[EmailAddress] = Field(min_length=1)
    severity: Literal["info", "warning", "critical"] = "warning"
    meters: list[str] | None = None
    types: list[str] | None = None
    quiet_hours: str | None = None

    @field_validator("types")
    @classmethod
    def _types(cls, value: list[str] | None) -> list[str] | None:
        for t in value or []:
            if t not in ALERT_TYPES:
                raise ValueError(
                    _("unknown alert type {type}; use some of {types}").format(
                        type=repr(t), types=", ".join(ALERT_TYPES)
                    )
                )
        return value

    @field_validator("quiet_hours")
    @classmethod
    def _quiet(cls, value: str | None) -> str | None:
        if value is not None:
            parse_quiet_hours(value)
        return value

    def quiet(self) -> tuple[time, time] | None:
        return parse_quiet_hours(self.quiet_hours) if self.quiet_hours else None


Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


class ReportsConfig(_Model):
    """Scheduled report delivery (needs ``plantmeter alerts --plan``)."""

    loan_day: int | None = Field(
        default=None, ge=1, le=28,
        description="from this day of each month, e-mail last month's loan report (PDF) to each loan's financiers",
    )  # fmt: skip
    audit_day: int | None = Field(
        default=None, ge=1, le=28,
        description="from this day of each quarter's first month, e-mail the option audit to the site's auditors",
    )  # fmt: skip
    consumption_weekday: Weekday | None = Field(
        default=None,
        description="from this day of each week, e-mail last week's consumption report to plant managers",
    )


class AlertsConfig(_Model):
    """The site's alerting: channels, rules, reminders."""

    dashboard_url: str | None = Field(
        default=None, description="the dashboard's base URL, for links to a meter's page"
    )
    email: EmailConfig | None = None
    mqtt: bool = Field(
        default=False,
        description="publish the active alarms, retained, on plantmeter/<site>/alerts",
    )
    webhook: WebhookConfig | None = None
    rules: list[AlertRule] = []
    reminder_after: Duration | None = Field(
        default=86400.0,
        description="remind while an alarm is open and unacknowledged (null: never)",
    )
    reports: ReportsConfig = ReportsConfig()
    offline_after: Duration | None = Field(
        default=None, description="no data for this long is an offline alarm (default: 3 polls)"
    )
    status_topics: bool = Field(
        default=True,
        description="watch the gateway's and ingest's retained status on the site's broker",
    )
    status_stale_after: Duration = Field(
        default=300.0, description="a status older than this is a component down (hung)"
    )

    @field_validator("dashboard_url")
    @classmethod
    def _dashboard(cls, value: str | None) -> str | None:
        return None if value is None else _http_url(value, "dashboard").rstrip("/")

    @field_validator("reminder_after", "offline_after", "status_stale_after")
    @classmethod
    def _positive(cls, value: float | None) -> float | None:
        if value is not None and value <= 0:
            raise ValueError(_("must be above 0; leave it out (or null) for the default"))
        return value

    @model_validator(mode="after")
    def _rules_need_email(self) -> AlertsConfig:
        if self.rules and self.email is None:
            raise ValueError(
                _("rules send e-mail, but email is missing; add {example}").format(
                    example='email: {smtp_url: "smtp://HOST:587", from: "plantmeter@example.org"}'
                )
            )
        return self
