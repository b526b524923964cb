"""A generic webhook: each notice POSTed as JSON (``Content-Type: application/json``) to the
configured URL (``alerts.webhook``); any 2xx answer is delivery.

A failed POST (connection refused, timeout, a non-2xx answer) is resent ``retries`` times with
a short backoff (0.5, 1, 2 ... s, at most 10 s); if every try fails the notice goes back to the
outbox as a ChannelError and the ledger retries it later with its own backoff, so nothing is
lost. The body is the outbox payload (``event``, ``site``, ``meter``, ``type``, ``severity``,
``start``, ``excess_per_day``, ``cost_per_day``, ``excess_so_far``, ``link``, ``subject``,
``text``...).
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from plantmeter.alertconfig import WebhookConfig
from plantmeter.redact import redact_url

from .email import ChannelError

__all__ = ["WebhookChannel"]

logger = logging.getLogger(__name__)


class WebhookChannel:
    """POSTs outbox payloads as JSON to ``config.url``."""

    name = "webhook"

    def __init__(self, config: WebhookConfig, sleep: Callable[[float], None] = time.sleep) -> None:
        self.config = config
        self._sleep = sleep

    def _post(self, url: str, body: bytes) -> None:
        request = urllib.request.Request(
            url, data=body, method="POST",
            headers={"Content-Type": "application/json", "User-Agent": "plantmeter-alerts"},
        )  # fmt: skip
        with urllib.request.urlopen(request, timeout=self.config.timeout) as answer:  # noqa: S310
            answer.read()

    def send(self, recipient: str, payload: dict[str, Any]) -> None:
        body = json.dumps(payload, sort_keys=True).encode()
        where = redact_url(recipient)
        problem = ""
        for attempt in range(self.config.retries + 1):
            if attempt:
                self._sleep(min(0.5 * 2 ** (attempt - 1), 10.0))
            try:
                self._post(recipient, body)
            except urllib.error.HTTPError as exc:
                problem = f"HTTP {exc.code} {exc.reason}"
            except (urllib.error.URLError, OSError) as exc:
                problem = f"{exc.__class__.__name__}: {getattr(exc, 'reason', exc)}"
            else:
                logger.info("webhook %s: %s delivered", where, payload.get("subject"))
                return
            logger.debug("webhook %s: try %d failed (%s)", where, attempt + 1, problem)
        raise ChannelError(f"webhook {where}: {problem} after {self.config.retries + 1} tries")
