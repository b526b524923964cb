from __future__ import annotations

import pytest

from plantmeter.redact import redact_url


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("influxdb://ops:hunter2@db:8086/plant", "influxdb://ops:***@db:8086/plant"),
        ("influxd://ops:hunter2@db:8086/plant", "influxd://ops:***@db:8086/plant"),  # mistyped
        (
            "influxdb2://T0KEN@db:8086/org/b",
            "influxdb2://***@db:8086/org/b",
        ),  # the token is the user-info
        (
            "influxd2://T0KEN@db:8086/org/b",
            "influxd2://***@db:8086/org/b",
        ),  # unknown scheme: masked
        ("mqtt://bob@h:1883", "mqtt://bob@h:1883"),  # a user name alone is not a secret
        ("mqtts://bob:pw@h:8883", "mqtts://bob:***@h:8883"),
        ("influxdb://db:8086/plant?rp=a&token=T0KEN", "influxdb://db:8086/plant?rp=a&token=***"),
        ("sqlite:///var/plantmeter.db", "sqlite:///var/plantmeter.db"),  # untouched, to the letter
        ("sqlite:////abs/plant.db", "sqlite:////abs/plant.db"),
        ("user:pw@host", "***@host"),  # not a URL, still masked
        ("http://[::1", "http://[::1"),
    ],
)
def test_redact_url(url: str, shown: str) -> None:
    assert redact_url(url) == shown
