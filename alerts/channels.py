"""The channels a site's ``alerts:`` section names, ready for ``dispatch``."""

from __future__ import annotations

from plantmeter.config import SiteConfig

from .email import EmailChannel
from .service import Channel
from .topic import MqttEventChannel
from .webhook import WebhookChannel

__all__ = ["site_channels"]


def site_channels(site: SiteConfig) -> list[Channel]:
    """E-mail (with ``email``), the webhook (``webhook``), the MQTT event topic (``mqtt: true``)."""
    alerts = site.alerts
    if alerts is None:
        return []
    out: list[Channel] = []
    if alerts.email is not None:
        out.append(EmailChannel(alerts.email))
    if alerts.webhook is not None:
        out.append(WebhookChannel(alerts.webhook))
    if alerts.mqtt:
        out.append(MqttEventChannel(site.broker, f"plantmeter-alerts-{site.site.id}-events"))
    return out
