"""PlantMeter's alert service: one notification per episode of trouble (opened, reminded,
closed), through e-mail, a webhook and MQTT, recorded in a durable ledger so that a
restart repeats nothing and a channel outage loses nothing (see alerts/README.md).

* ``evaluate(store, site, ledger, accounts=None, plan=None)``: flags since the last
  evaluation and offline meters -> episode changes and their notices, in one transaction
* ``dispatch(ledger, channels)``: send the due notices, retry the failed ones with backoff
* ``Ledger(path)``: ``DATA_DIR/alerts.db``; ``EmailChannel(config)``: SMTP;
  ``WebhookChannel(config)``: JSON POST; ``site_channels(site)``: those the site file names
"""

from __future__ import annotations

from .channels import site_channels
from .email import ChannelError, EmailChannel
from .ledger import Episode, Ledger, Notice, OutboxItem
from .service import Dispatch, Evaluation, dispatch, evaluate
from .webhook import WebhookChannel

__all__ = [
    "ChannelError",
    "Dispatch",
    "EmailChannel",
    "Episode",
    "Evaluation",
    "Ledger",
    "Notice",
    "OutboxItem",
    "WebhookChannel",
    "dispatch",
    "evaluate",
    "site_channels",
]
