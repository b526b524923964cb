"""Who gets which alert: a rule's lowest severity, its meters and types, and its quiet hours
(site local time, across midnight) that hold an e-mail back until they end; the webhook gets
every notice."""

from __future__ import annotations

from datetime import UTC, datetime

from alerts.service import notices_for
from plantmeter.alertconfig import AlertsConfig

TZ = "America/Guatemala"  # UTC-6, no DST
ALERTS = AlertsConfig.model_validate({
    "email": {"from": "plantmeter@dairy.example"},
    "webhook": {"url": "https://hooks.example/p"},
    "rules": [
        {"to": ["manager@dairy.example"], "severity": "warning"},
        {"to": ["boss@dairy.example"], "severity": "critical"},
        {"to": ["night@dairy.example"], "meters": ["cip-water"], "types": ["leak"], "quiet_hours": "22:00-06:00"},
    ],
})  # fmt: skip


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return (
        datetime(2025, 11, day, hour + 6, minute, tzinfo=UTC)
        if hour + 6 < 24
        else datetime(2025, 11, day + 1, hour + 6 - 24, minute, tzinfo=UTC)
    )


def who(kind: str, meter: str, severity: str, now: datetime) -> dict[str, int]:
    return {
        n.recipient: n.not_before_ms
        for n in notices_for(ALERTS, TZ, kind, meter, severity, {}, now)
    }


def ms(t: datetime) -> int:
    return int(t.timestamp() * 1000)


def test_severity_meters_and_types_choose_the_recipients() -> None:
    noon = local(5, 12)
    assert set(who("excess", "main-elec", "warning", noon)) == {
        "manager@dairy.example",
        "https://hooks.example/p",
    }
    assert set(who("leak", "cip-water", "critical", noon)) == {
        "manager@dairy.example", "boss@dairy.example", "night@dairy.example", "https://hooks.example/p",
    }  # fmt: skip
    assert set(who("info", "main-elec", "info", noon)) == {"https://hooks.example/p"}
    assert all(t == ms(noon) for t in who("leak", "cip-water", "critical", noon).values())


def test_quiet_hours_hold_the_email_until_they_end_across_midnight() -> None:
    late, early = local(5, 23, 30), local(6, 3)
    assert who("leak", "cip-water", "warning", late)["night@dairy.example"] == ms(local(6, 6))
    assert who("leak", "cip-water", "warning", early)["night@dairy.example"] == ms(local(6, 6))
    assert who("leak", "cip-water", "warning", local(6, 6))["night@dairy.example"] == ms(
        local(6, 6)
    )  # over at 06:00
    assert who("leak", "cip-water", "warning", late)["manager@dairy.example"] == ms(
        late
    )  # no quiet hours
