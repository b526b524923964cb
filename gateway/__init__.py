"""gateway: Modbus meters -> MQTT reading messages, through an on-disk outbox.

Public interface: ``Gateway`` (``gateway.service``), the ``plantmeter gateway`` command
(``plantmeter_app.commands.gateway``); building blocks ``plan_requests``, ``decode_response``, ``Outbox``.
See gateway/README.md.
"""

from __future__ import annotations

from .decoding import CounterWatch, decode_response
from .outbox import Outbox
from .requests import ReadRequest, plan_requests
from .service import Gateway

__all__ = ["CounterWatch", "Gateway", "Outbox", "ReadRequest", "decode_response", "plan_requests"]
