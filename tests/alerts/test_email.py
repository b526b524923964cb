"""The e-mail channel against a real SMTP server (aiosmtpd): plain, STARTTLS with login, TLS
from the first byte; a server that is down or refuses the login is a ChannelError."""

from __future__ import annotations

from pathlib import Path

import pytest

from alerts.email import ChannelError, EmailChannel
from plantmeter.alertconfig import EmailConfig
from tests.servers import free_port
from tests.smtp_server import SmtpServer

PAYLOAD = {
    "subject": "[PlantMeter dairy] cip-water: leak, ≈ 15.1 USD a day",
    "text": "Meter cip-water: leak.\n",
}


def config(url: str, **more: object) -> EmailConfig:
    return EmailConfig.model_validate({"smtp_url": url, "from": "plantmeter@dairy.example", **more})


def test_plain_smtp_delivers_subject_body_and_envelope(tmp_path: Path) -> None:
    with SmtpServer(tmp_path) as server:
        EmailChannel(config(server.url)).send("manager@dairy.example", PAYLOAD)
        [got] = server.messages()
    assert got.sender == "plantmeter@dairy.example" and got.recipients == ("manager@dairy.example",)
    assert got.message["Subject"] == PAYLOAD["subject"]
    assert got.message.get_content().replace("\r\n", "\n") == PAYLOAD["text"]


def test_starttls_with_login_from_a_password_file(tmp_path: Path) -> None:
    secret = tmp_path / "smtp-password"
    secret.write_text("s3cret\n")
    with SmtpServer(tmp_path, mode="starttls", login=("plantmeter", "s3cret")) as server:
        assert server.ca_file is not None
        email = config(
            server.url,
            starttls=True,
            username="plantmeter",
            password_file=str(secret),
            ca_file=str(server.ca_file),
        )
        assert email.use_starttls and not email.implicit_tls
        EmailChannel(email).send("manager@dairy.example", PAYLOAD)
        assert len(server.messages()) == 1


def test_tls_from_the_first_byte(tmp_path: Path) -> None:
    with SmtpServer(tmp_path, mode="tls", login=("plantmeter", "s3cret")) as server:
        assert server.url.startswith("smtps://") and server.ca_file is not None
        email = config(
            server.url, username="plantmeter", password="s3cret", ca_file=str(server.ca_file)
        )
        EmailChannel(email).send("manager@dairy.example", PAYLOAD)
        assert len(server.messages()) == 1


def test_a_wrong_password_is_a_channel_error_that_names_the_fix(tmp_path: Path) -> None:
    with SmtpServer(tmp_path, mode="plain", login=("plantmeter", "s3cret")) as server:
        email = config(server.url, username="plantmeter", password="wrong")
        with pytest.raises(ChannelError, match="login refused.*check username and password") as err:
            EmailChannel(email).send("manager@dairy.example", PAYLOAD)
        assert "wrong" not in str(err.value) and not server.messages()


def test_starttls_refused_by_a_server_without_it(tmp_path: Path) -> None:
    with SmtpServer(tmp_path) as server:
        with pytest.raises(ChannelError, match="STARTTLS"):
            EmailChannel(config(server.url, starttls=True)).send("manager@dairy.example", PAYLOAD)
        assert not server.messages()


def test_a_server_that_is_down_is_a_channel_error() -> None:
    with pytest.raises(ChannelError, match="SMTP 127.0.0.1"):
        EmailChannel(config(f"smtp://127.0.0.1:{free_port()}", timeout="2s")).send(
            "a@b.example", PAYLOAD
        )
