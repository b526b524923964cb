"""Build paho-mqtt clients from a ``BrokerConfig``: credentials, TLS, protocol, last will.

Gateway and ingest both connect through ``make_client`` so that security options
behave the same everywhere. Passwords are passed to paho, never logged.
"""

from __future__ import annotations

import ssl
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from .config import BrokerConfig

__all__ = ["broker_label", "make_client"]


def broker_label(config: BrokerConfig) -> str:
    """``host:port`` for log lines (no credentials)."""
    parts = urlsplit(config.url)
    return f"{parts.hostname}:{config.port}"


def make_client(
    config: BrokerConfig,
    client_id: str,
    *,
    mqtt5: bool = False,
    will: tuple[str, bytes] | None = None,
    manual_ack: bool = False,
) -> mqtt.Client:
    """A configured, not yet connected, paho client (callback API v2)."""
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=mqtt.MQTTv5 if mqtt5 else mqtt.MQTTv311,
        clean_session=None if mqtt5 else False,
        manual_ack=manual_ack,
    )
    if config.username:
        client.username_pw_set(config.username, config.resolved_password())
    if config.use_tls:
        tls = config.tls
        client.tls_set(
            ca_certs=str(tls.ca_file) if tls and tls.ca_file else None,
            certfile=str(tls.cert_file) if tls and tls.cert_file else None,
            keyfile=str(tls.key_file) if tls and tls.key_file else None,
            cert_reqs=ssl.CERT_REQUIRED,
        )
        if tls and tls.insecure:
            client.tls_insecure_set(True)
    if will is not None:
        client.will_set(will[0], will[1], qos=1, retain=True)
    client.reconnect_delay_set(min_delay=1, max_delay=10)
    return client
