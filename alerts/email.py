"""E-mail over SMTP (``smtplib``): plain, STARTTLS or TLS from the first byte, with a login.

The modes come from ``alerts.email`` (``plantmeter.alertconfig.EmailConfig``): ``smtp://`` on
port 587 (or ``starttls: true``) upgrades with STARTTLS and refuses to go on if the server
cannot; ``smtps://`` wraps the socket in TLS before the greeting. Certificates are verified
against ``ca_file`` or the system's CAs. The password (``password_file`` or
``PLANTMETER_SMTP_PASSWORD``) is read at send time and never logged.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any

from plantmeter.alertconfig import EmailConfig
from plantmeter.errors import PlantMeterError

__all__ = ["ChannelError", "EmailChannel", "build_message"]

logger = logging.getLogger(__name__)


class ChannelError(PlantMeterError):
    """A notification could not be delivered now (the server is down, refused, timed out)."""


def build_message(sender: str, recipient: str, payload: dict[str, Any]) -> EmailMessage:
    """The e-mail of one outbox payload (``subject``, ``text``)."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = recipient
    msg["Subject"] = str(payload["subject"])
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=sender.partition("@")[2] or None)
    msg.set_content(str(payload["text"]))
    for path in payload.get("attachments", ()):  # WIP: scheduled reports (PDF files)
        data = Path(path).read_bytes()
        maintype, subtype = (
            ("application", "pdf")
            if str(path).endswith(".pdf")
            else ("application", "octet-stream")
        )
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=Path(path).name)
    return msg


class EmailChannel:
    """Sends outbox payloads as e-mail through the configured SMTP server."""

    name = "email"

    def __init__(self, config: EmailConfig) -> None:
        self.config = config

    def _tls(self) -> ssl.SSLContext:
        cafile = str(self.config.ca_file) if self.config.ca_file else None
        return ssl.create_default_context(cafile=cafile)

    def send(self, recipient: str, payload: dict[str, Any]) -> None:
        """Deliver one e-mail; ChannelError (with the server's answer) when it cannot be now."""
        c = self.config
        msg = build_message(c.sender, recipient, payload)
        where = f"{c.host}:{c.port}"
        try:
            smtp: smtplib.SMTP
            if c.implicit_tls:
                smtp = smtplib.SMTP_SSL(c.host, c.port, timeout=c.timeout, context=self._tls())
            else:
                smtp = smtplib.SMTP(c.host, c.port, timeout=c.timeout)
            with smtp:
                smtp.ehlo()
                if c.use_starttls:
                    smtp.starttls(context=self._tls())
                    smtp.ehlo()
                if c.username:
                    password = c.resolved_password()
                    if password is None:
                        raise ChannelError(
                            f"SMTP {where}: a username but no password; set email.password_file "
                            "or PLANTMETER_SMTP_PASSWORD"
                        )
                    smtp.login(c.username, password)
                smtp.send_message(msg)
        except smtplib.SMTPAuthenticationError as exc:
            raise ChannelError(
                f"SMTP {where}: login refused ({exc.smtp_code}); check username and password"
            ) from exc
        except smtplib.SMTPNotSupportedError as exc:
            raise ChannelError(
                f"SMTP {where}: {exc}; the server offers no STARTTLS or login"
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise ChannelError(f"SMTP {where}: {exc.__class__.__name__}: {exc}") from exc
        logger.info("e-mail %r sent to %s via %s", msg["Subject"], recipient, where)
