"""The demo's mail sink: a real SMTP server (aiosmtpd) on a free loopback port that keeps
every message the alert service sends as a ``.eml`` file in ``DATA_DIR/mail/``, so a visitor
sees the alerts and the e-mailed reports on the dashboard (``/demo/mail``) without a mail
server. Nothing is relayed anywhere."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from plantmeter.i18n import _

__all__ = ["MailSink", "StoredMail", "stored_mail"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StoredMail:
    """One received e-mail, as the page shows it."""

    name: str
    sender: str
    recipients: tuple[str, ...]
    subject: str
    date: str
    text: str
    attachments: tuple[str, ...]


class _Handler:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        data = envelope.original_content or envelope.content
        rcpt = ",".join(envelope.rcpt_tos)
        with self.lock:
            n = len(list(self.folder.glob("*.eml"))) + 1
            path = self.folder / f"{n:05d}.eml"
            tmp = path.with_suffix(".part")
            # the envelope recipients first (a Bcc never shows in the headers)
            tmp.write_bytes(f"X-Demo-Envelope-To: {rcpt}\r\n".encode() + data)
            tmp.replace(path)
        logger.info(
            _("demo mail sink: message for {recipient} kept as {file}").format(
                recipient=rcpt, file=path.name
            )
        )
        return "250 OK kept by the PlantMeter demo"


class MailSink:
    """``with MailSink(folder) as sink: sink.port``: an SMTP server until the block ends."""

    def __init__(self, folder: Path, port: int) -> None:
        self.folder = folder
        self.port = port
        self._controller: Any = None

    def __enter__(self) -> MailSink:
        from aiosmtpd.controller import Controller

        self.folder.mkdir(parents=True, exist_ok=True)
        logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd: a line per command
        self._controller = Controller(_Handler(self.folder), hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


def _text(msg: EmailMessage) -> str:
    body = msg.get_body(preferencelist=("plain",))
    return body.get_content() if body is not None else ""


def stored_mail(folder: Path, recipient: str | None = None, limit: int = 100) -> list[StoredMail]:
    """The newest messages first; only those sent to ``recipient`` when given."""
    out: list[StoredMail] = []
    for path in sorted(folder.glob("*.eml"), reverse=True):
        msg = message_from_bytes(path.read_bytes(), policy=policy.default)
        assert isinstance(msg, EmailMessage)
        rcpts = tuple(r.strip() for r in str(msg.get("X-Demo-Envelope-To", "")).split(",") if r)
        if recipient is not None and recipient not in rcpts:
            continue
        out.append(
            StoredMail(
                name=path.stem,
                sender=str(msg.get("From", "")),
                recipients=rcpts,
                subject=str(msg.get("Subject", "")),
                date=str(msg.get("Date", "")),
                text=_text(msg),
                attachments=tuple(p.get_filename() or "" for p in msg.iter_attachments()),
            )
        )
        if len(out) >= limit:
            break
    return out
