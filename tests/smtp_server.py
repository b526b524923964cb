"""A real SMTP server (aiosmtpd) on a free loopback port that keeps every message it accepts.

Modes: ``plain`` (no TLS), ``starttls`` (STARTTLS offered and required before anything else),
``tls`` (TLS from the first byte); with ``login=(user, password)`` AUTH LOGIN/PLAIN is required.
Certificates come from ``servers.make_test_ca`` (openssl).
"""

from __future__ import annotations

import ssl
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from .servers import free_port, make_test_ca

__all__ = ["Received", "SmtpServer"]


@dataclass(frozen=True)
class Received:
    sender: str
    recipients: tuple[str, ...]
    message: EmailMessage


@dataclass
class _Handler:
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        msg = message_from_bytes(
            envelope.original_content or envelope.content, policy=policy.default
        )
        with self.lock:
            self.received.append(Received(envelope.mail_from, tuple(envelope.rcpt_tos), msg))  # type: ignore[arg-type]
        return "250 OK"


class SmtpServer:
    """``with SmtpServer(tmp, mode="starttls", login=("u", "p")) as s: ... s.messages()``."""

    def __init__(
        self,
        workdir: Path,
        mode: str = "plain",
        login: tuple[str, str] | None = None,
        port: int | None = None,
    ) -> None:
        self.mode = mode
        self.port = port or free_port()
        self.host = "127.0.0.1"
        self._handler = _Handler()
        self.ca_file: Path | None = None
        kwargs: dict[str, Any] = {}
        if mode in ("starttls", "tls"):
            ca, cert, key = make_test_ca(workdir / "smtp-tls")
            self.ca_file = ca
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(cert, key)
            if mode == "starttls":
                kwargs.update(tls_context=context, require_starttls=True)
            else:
                kwargs.update(ssl_context=context)
        if login is not None:
            user, password = login

            def check(
                server: Any, session: Any, envelope: Any, mechanism: str, data: Any
            ) -> AuthResult:
                ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
                    user.encode(),
                    password.encode(),
                )
                return AuthResult(success=ok, handled=False)

            kwargs.update(
                authenticator=check, auth_required=True, auth_require_tls=mode == "starttls"
            )  # an smtps socket is TLS already
        self._controller = Controller(self._handler, hostname=self.host, port=self.port, **kwargs)

    @property
    def url(self) -> str:
        return f"{'smtps' if self.mode == 'tls' else 'smtp'}://{self.host}:{self.port}"

    def start(self) -> SmtpServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> SmtpServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def messages(self) -> list[Received]:
        with self._handler.lock:
            return list(self._handler.received)
