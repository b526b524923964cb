"""Site configuration: one YAML file per site (buses, meters, broker, store).

``load_site(path)`` validates the file with the models below (``extra="forbid"``, so a
typo is an error), applies the ``PLANTMETER_*`` environment overrides, and raises
``ConfigError`` with one line per problem naming file, line, field and fix. Validation
never opens a socket.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal, TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from .alertconfig import AlertsConfig, EmailConfig
from .durations import Duration
from .errors import ConfigError, ProfileError
from .i18n import _, check_currency, check_locale
from .profile import DeviceProfile, available_profiles, load_profile, load_profile_file
from .redact import read_secret, redact_url
from .yamlconf import load_yaml_model

__all__ = [
    "BrokerConfig",
    "BusConfig",
    "ENV_BROKER_URL",
    "ENV_SMTP_PASSWORD",
    "ENV_SMTP_URL",
    "ENV_SMTP_USERNAME",
    "ENV_STORE_URL",
    "GatewayConfig",
    "CurrencyCode",
    "Ident",
    "IngestConfig",
    "LocaleName",
    "MeterConfig",
    "SiteConfig",
    "SiteInfo",
    "StoreConfig",
    "TimeZoneName",
    "TlsConfig",
    "load_site",
]

ENV_BROKER_URL = "PLANTMETER_BROKER_URL"
ENV_STORE_URL = "PLANTMETER_STORE_URL"
ENV_BROKER_USERNAME = "PLANTMETER_BROKER_USERNAME"
ENV_BROKER_PASSWORD = "PLANTMETER_BROKER_PASSWORD"
ENV_SMTP_URL = "PLANTMETER_SMTP_URL"
ENV_SMTP_USERNAME = "PLANTMETER_SMTP_USERNAME"
ENV_SMTP_PASSWORD = "PLANTMETER_SMTP_PASSWORD"

Ident = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=64)]
"""An id of a site, bus, meter, option or loan: letters, digits, ``_ . -``; what topics allow."""
_M = TypeVar("_M", bound=BaseModel)
MeterKind = Literal["electricity", "water", "gas", "thermal", "production", "temperature"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _known_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            _("unknown time zone {zone}; use an IANA name such as Europe/Madrid or UTC").format(
                zone=repr(value)
            )
        ) from None
    return value


TimeZoneName = Annotated[str, AfterValidator(_known_zone)]
"""An IANA time-zone name (``America/Guatemala``), checked when the config is read."""


LocaleName = Annotated[str, AfterValidator(check_locale)]
"""A full locale (``es_GT``, ``es_MX``, ``es_CO``, ``pt_BR``, ``en``); a bare ``es`` is refused."""
CurrencyCode = Annotated[str, AfterValidator(check_currency)]
"""An ISO 4217 currency code (``GTQ``, ``USD``), checked against Babel's list."""


class SiteInfo(_Model):
    """Who and where the site is, and the locale its reports, e-mails and dashboard default to."""

    id: Ident
    name: str = ""
    timezone: TimeZoneName = "UTC"
    locale: LocaleName = "en"
    sector: str | None = Field(
        default=None,
        description="the plant's sector in plantmeter/catalogue.yaml (dairy, textiles, tanning, "
        "sugar, coffee): the option audit lists what plants like it implemented",
    )


class TlsConfig(_Model):
    """TLS to the broker: CA bundle, optional client certificate."""

    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None
    insecure: bool = Field(default=False, description="skip hostname verification (testing only)")


class BrokerConfig(_Model):
    """The MQTT broker. ``url`` is ``mqtt://host:port`` or ``mqtts://host:port`` (TLS)."""

    url: str = "mqtt://127.0.0.1:1883"
    username: str | None = None
    password: str | None = Field(default=None, repr=False)
    password_file: Path | None = Field(default=None, description="file holding the password")
    tls: TlsConfig | None = None
    keepalive: Duration = 30.0

    @field_validator("url")
    @classmethod
    def _mqtt_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
            raise ValueError(
                _("{url} is not a broker URL; write mqtt://HOST:PORT or mqtts://HOST:PORT").format(
                    url=repr(redact_url(value))
                )
            )
        try:
            _port = parts.port
        except ValueError:
            raise ValueError(
                _("{url} has an invalid port; write mqtt://HOST:PORT").format(
                    url=repr(redact_url(value))
                )
            ) from None
        return value

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or "127.0.0.1"

    @property
    def port(self) -> int:
        parts = urlsplit(self.url)
        return parts.port or (8883 if parts.scheme == "mqtts" else 1883)

    @property
    def use_tls(self) -> bool:
        return urlsplit(self.url).scheme == "mqtts" or self.tls is not None

    def resolved_password(self) -> str | None:
        """The password from ``password``, else from ``password_file``; never logged."""
        return read_secret(self.password, self.password_file)


class StoreConfig(_Model):
    """Where readings are kept: ``sqlite:///path.db`` or ``influxdb://...`` (see ingest/README.md)."""

    url: str = "sqlite:///var/plantmeter.db"

    @field_validator("url")
    @classmethod
    def _store_url(cls, value: str) -> str:
        scheme = urlsplit(value).scheme
        if scheme not in ("sqlite", "influxdb", "influxdb2"):
            raise ValueError(
                _(
                    "{url} is not a store URL; write sqlite:///PATH or influxdb://HOST:PORT/DB "
                    "or influxdb2://TOKEN@HOST:PORT/ORG/BUCKET"
                ).format(url=repr(redact_url(value)))
            )
        return value


class BusConfig(_Model):
    """A Modbus line: TCP, RTU over TCP (a serial server), or a serial RTU port."""

    id: Ident
    transport: Literal["tcp", "rtu-over-tcp", "rtu"] = "tcp"
    host: str | None = None
    port: int | None = Field(default=None, ge=1, le=65535)
    device: str | None = Field(default=None, description="serial device for transport rtu")
    baudrate: int = 9600
    parity: Literal["N", "E", "O"] = "N"
    stopbits: Literal[1, 2] = 1
    timeout: Duration = 1.0
    retries: int = Field(
        default=0, ge=0, le=10, description="immediate resends of a timed-out request"
    )

    @model_validator(mode="after")
    def _endpoint(self) -> BusConfig:
        if self.transport in ("tcp", "rtu-over-tcp") and (not self.host or not self.port):
            raise ValueError(
                _("bus {bus} uses {transport}: set host and port").format(
                    bus=repr(self.id), transport=self.transport
                )
            )
        if self.transport == "rtu" and not self.device:
            raise ValueError(
                _("bus {bus} uses rtu: set device (e.g. /dev/ttyUSB0)").format(bus=repr(self.id))
            )
        if self.timeout <= 0:
            raise ValueError(_("bus {bus}: timeout must be above 0").format(bus=repr(self.id)))
        return self


class MeterConfig(_Model):
    """A meter on a bus, read with a device profile."""

    id: Ident
    bus: str
    unit_id: int = Field(ge=1, le=247, description="Modbus unit (slave) id, 1-247")
    profile: str = Field(description="a library profile id, or a path to a profile YAML file")
    kind: MeterKind
    poll: Duration = 10.0
    parent: str | None = None
    area: str | None = None
    word_order: Literal["big", "little"] | None = Field(
        default=None, description="override the profile's word order (flow meters differ by site)"
    )
    quantities: list[str] | None = Field(
        default=None,
        description="publish only these quantities (default: all the profile's points)",
    )

    @field_validator("unit_id", mode="before")
    @classmethod
    def _unit_range(cls, value: object) -> object:
        if isinstance(value, int) and not isinstance(value, bool) and not 1 <= value <= 247:
            raise ValueError(
                _("{value} is out of range; Modbus unit ids are 1-247").format(value=value)
            )
        return value

    @field_validator("poll")
    @classmethod
    def _poll_positive(cls, value: float) -> float:
        if value < 0.1:
            raise ValueError(_("poll interval must be at least 100ms"))
        return value

    @field_validator("profile")
    @classmethod
    def _profile_exists(cls, value: str, info: ValidationInfo) -> str:
        if value.endswith((".yaml", ".yml")):
            base = _base_dir(info)
            if not (base / value).is_file():
                raise ValueError(
                    _("profile file {file} not found next to the site file").format(
                        file=repr(value)
                    )
                )
            return value
        if value not in available_profiles():
            raise ValueError(
                _(
                    "unknown profile {profile}; use one of {profiles} or a path to your own "
                    "profile .yaml"
                ).format(profile=repr(value), profiles=", ".join(available_profiles()))
            )
        return value


class GatewayConfig(_Model):
    """Gateway settings: identity, on-disk outbox and its cap."""

    id: Ident = "gateway-1"
    outbox: Path = Path("var/outbox.db")
    outbox_max_messages: int = Field(default=1_000_000, ge=100)
    outbox_full_policy: Literal["drop-oldest", "drop-newest"] = "drop-oldest"
    replay_rate: float = Field(
        default=500.0, gt=0, description="backlog messages per second after an outage"
    )
    broker_replay_window: Duration = Field(
        default=60.0,
        description="after a reconnection, send again what the broker acknowledged this long "
        "before the connection was lost (a crashed broker loses what it had not saved)",
    )
    homeassistant_discovery: bool = False


class IngestConfig(_Model):
    """Ingest settings: batching, shared-subscription group, unknown-meter policy."""

    client_id: Ident = "plantmeter-ingest-1"
    group: str = Field(
        default="plantmeter-ingest",
        pattern=r"^([A-Za-z0-9][A-Za-z0-9_.-]*)?$",
        max_length=64,
        description="shared-subscription group (ingest processes in one group split the load); "
        "empty for a plain subscription",
    )
    mqtt_version: Literal["5", "3.1.1"] = Field(
        default="5",
        description="5 sets Receive Maximum and session expiry; 3.1.1 for brokers without MQTT 5",
    )
    batch_size: int = Field(default=500, ge=1, le=50_000)
    batch_interval: Duration = 0.5
    receive_maximum: int = Field(default=5000, ge=1, le=65535)
    unknown_meters: Literal["store", "reject"] = "store"


class SiteConfig(_Model):
    """A site: its buses, meters, broker and store."""

    site: SiteInfo
    broker: BrokerConfig = BrokerConfig()
    store: StoreConfig = StoreConfig()
    gateway: GatewayConfig = GatewayConfig()
    ingest: IngestConfig = IngestConfig()
    buses: list[BusConfig] = Field(min_length=1)
    meters: list[MeterConfig] = Field(min_length=1)
    alerts: AlertsConfig | None = None

    @model_validator(mode="after")
    def _references(self) -> SiteConfig:
        bus_ids = [b.id for b in self.buses]
        _no_duplicates("buses", bus_ids)
        meter_ids = [m.id for m in self.meters]
        _no_duplicates("meters", meter_ids)
        seen: dict[tuple[str, int], str] = {}
        for i, m in enumerate(self.meters):
            if m.bus not in bus_ids:
                raise ValueError(
                    _(
                        "meters[{i}].bus: meter {meter} is on bus {bus}, which is not defined; "
                        "use one of {buses}"
                    ).format(i=i, meter=repr(m.id), bus=repr(m.bus), buses=", ".join(bus_ids))
                )
            if m.parent is not None and m.parent not in meter_ids:
                raise ValueError(
                    _(
                        "meters[{i}].parent: {parent} is not a meter of this site; "
                        "name an existing meter id or remove parent"
                    ).format(i=i, parent=repr(m.parent))
                )
            if m.quantities is not None and not m.profile.endswith((".yaml", ".yml")):
                known = load_profile(m.profile).quantities
                unknown = [q for q in m.quantities if q not in known]
                if unknown:
                    raise ValueError(
                        _(
                            "meters[{i}].quantities: {quantity} is not a quantity of profile "
                            "{profile}; use some of {known}"
                        ).format(
                            i=i,
                            quantity=repr(unknown[0]),
                            profile=m.profile,
                            known=", ".join(known),
                        )
                    )
            key = (m.bus, m.unit_id)
            if key in seen:
                raise ValueError(
                    _(
                        "meters[{i}].unit_id: meters {first} and {second} share unit id "
                        "{unit_id} on bus {bus}; give each meter on a bus its own unit id"
                    ).format(
                        i=i,
                        first=repr(seen[key]),
                        second=repr(m.id),
                        unit_id=m.unit_id,
                        bus=repr(m.bus),
                    )
                )
            seen[key] = m.id
        for i, rule in enumerate(self.alerts.rules if self.alerts else []):
            for meter in rule.meters or []:
                if meter not in meter_ids:
                    raise ValueError(
                        _(
                            "alerts.rules[{i}].meters: {meter} is not a meter of this site; "
                            "use some of {meters}"
                        ).format(i=i, meter=repr(meter), meters=", ".join(meter_ids))
                    )
        return self

    def bus(self, bus_id: str) -> BusConfig:
        return next(b for b in self.buses if b.id == bus_id)

    def meter(self, meter_id: str) -> MeterConfig:
        for m in self.meters:
            if m.id == meter_id:
                return m
        raise KeyError(meter_id)

    def profile_for(self, meter: MeterConfig, base_dir: Path | None = None) -> DeviceProfile:
        """The meter's device profile (library id or file relative to ``base_dir``)."""
        if meter.profile.endswith((".yaml", ".yml")):
            return load_profile_file((base_dir or Path(".")) / meter.profile)
        try:
            return load_profile(meter.profile)
        except ProfileError as exc:
            raise ConfigError(f"meter {meter.id!r}: {exc}") from exc


def _no_duplicates(field: str, ids: list[str]) -> None:
    for index, ident in enumerate(ids):
        if ident in ids[:index]:
            raise ValueError(
                _(
                    "{field}[{index}].id: duplicate id {id}; every id in {field} must be unique"
                ).format(field=field, index=index, id=repr(ident))
            )


def _base_dir(info: ValidationInfo) -> Path:
    path = (info.context or {}).get("path")
    return Path(path).parent if path else Path(".")


def load_site(path: str | Path, environ: Mapping[str, str] | None = None) -> SiteConfig:
    """Load and validate a site file, then apply ``PLANTMETER_*`` environment overrides.

    A bad override names its variable (``PLANTMETER_STORE_URL: ...``), never its secret.
    """
    env = os.environ if environ is None else environ
    config = load_yaml_model(path, SiteConfig)
    broker = config.broker.model_dump()
    overridden: list[str] = []
    for variable, key in (
        (ENV_BROKER_URL, "url"),
        (ENV_BROKER_USERNAME, "username"),
        (ENV_BROKER_PASSWORD, "password"),
    ):
        if env.get(variable):
            broker[key] = env[variable]
            overridden.append(variable)
    if overridden:
        config = config.model_copy(
            update={"broker": _validated(BrokerConfig, broker, " or ".join(overridden))}
        )
    if env.get(ENV_STORE_URL):
        store = _validated(StoreConfig, {"url": env[ENV_STORE_URL]}, ENV_STORE_URL)
        config = config.model_copy(update={"store": store})
    if config.alerts is not None and config.alerts.email is not None:
        email = config.alerts.email.model_dump()
        overridden = []
        for variable, key in (
            (ENV_SMTP_URL, "smtp_url"),
            (ENV_SMTP_USERNAME, "username"),
            (ENV_SMTP_PASSWORD, "password"),
        ):
            if env.get(variable):
                email[key] = env[variable]
                overridden.append(variable)
        if env.get(ENV_SMTP_PASSWORD):
            email["password_file"] = None  # the environment's password wins over the file's
        if overridden:
            alerts = config.alerts.model_copy(
                update={"email": _validated(EmailConfig, email, " or ".join(overridden))}
            )
            config = config.model_copy(update={"alerts": alerts})
    return config


def _validated(model: type[_M], data: dict[str, object], variable: str) -> _M:
    """``model`` from an environment override; the error names the variable, not the value."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(k) for k in e['loc'])}: {e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors()
        )
        raise ConfigError(
            _("environment override {variable}: {problems}").format(
                variable=variable, problems=problems
            )
        ) from None
