"""The site file's ``alerts:`` section: channels, rules, SMTP modes, environment overrides and
errors that name the key and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from plantmeter.config import load_site
from plantmeter.errors import ConfigError

SITE = """\
site: {id: dairy, timezone: America/Guatemala}
buses:
  - {id: board-1, transport: tcp, host: 127.0.0.1, port: 5020}
meters:
  - {id: main-elec, bus: board-1, unit_id: 1, profile: eastron-sdm630, kind: electricity, poll: 10s}
  - {id: cip-water, bus: board-1, unit_id: 10, profile: tuf2000, kind: water, poll: 30s}
"""

ALERTS = """\
alerts:
  dashboard_url: "https://plantmeter.dairy.example/"
  email: {smtp_url: "smtp://mail.dairy.example:587", from: "plantmeter@dairy.example",
          username: plantmeter, password_file: smtp-password}
  mqtt: true
  webhook: {url: "https://hooks.example/plantmeter", retries: 3}
  rules:
    - {to: ["manager@dairy.example"], severity: warning}
    - {to: ["night@dairy.example"], meters: [cip-water], types: [leak, offline], quiet_hours: "22:00-06:00"}
  reminder_after: 12h
"""


def site(tmp_path: Path, alerts: str = ALERTS) -> Path:
    path = tmp_path / "site.yaml"
    path.write_text(SITE + alerts)
    return path


def test_the_documented_example_loads(tmp_path: Path) -> None:
    alerts = load_site(site(tmp_path), environ={}).alerts
    assert alerts is not None and alerts.email is not None and alerts.webhook is not None
    assert alerts.dashboard_url == "https://plantmeter.dairy.example"
    assert (alerts.email.host, alerts.email.port, alerts.email.use_starttls) == (
        "mail.dairy.example",
        587,
        True,
    )
    assert alerts.email.sender == "plantmeter@dairy.example"
    assert alerts.mqtt and alerts.webhook.retries == 3 and alerts.reminder_after == 12 * 3600
    assert alerts.rules[1].types == ["leak", "offline"] and alerts.rules[1].severity == "warning"
    assert [str(t) for t in alerts.rules[1].quiet() or ()] == ["22:00:00", "06:00:00"]


def test_no_alerts_section_means_no_alerts(tmp_path: Path) -> None:
    assert load_site(site(tmp_path, ""), environ={}).alerts is None


@pytest.mark.parametrize(
    ("url", "starttls", "port", "tls", "upgrade"),
    [
        ("smtp://m.example", None, 25, False, False),
        ("smtp://m.example:587", None, 587, False, True),
        ("smtp://m.example:2525", True, 2525, False, True),
        ("smtp://m.example:587", False, 587, False, False),
        ("smtps://m.example", None, 465, True, False),
    ],
)
def test_smtp_modes(
    tmp_path: Path, url: str, starttls: bool | None, port: int, tls: bool, upgrade: bool
) -> None:
    extra = "" if starttls is None else f", starttls: {str(starttls).lower()}"
    text = f'alerts:\n  email: {{smtp_url: "{url}", from: "a@b.example"{extra}}}\n'
    email = load_site(site(tmp_path, text), environ={}).alerts.email  # type: ignore[union-attr]
    assert email is not None
    assert (email.port, email.implicit_tls, email.use_starttls) == (port, tls, upgrade)


@pytest.mark.parametrize(
    ("alerts", "where", "fix"),
    [
        (
            'alerts:\n  emial: {from: "a@b.example"}\n',
            "alerts.emial",
            "remove it or check its spelling",
        ),
        (
            'alerts:\n  email: {from: "a@b.example", tls: true}\n',
            "alerts.email.tls",
            "remove it or check its spelling",
        ),
        (
            'alerts:\n  email: {from: "plantmeter"}\n',
            "alerts.email.from",
            "write it like name@example.org",
        ),
        (
            'alerts:\n  email: {from: "a@b.example"}\n  rules: [{to: ["boss at dairy"]}]\n',
            "alerts.rules[0].to[0]",
            "write it like name@example.org",
        ),
        (
            'alerts:\n  email: {smtp_url: "http://m.example", from: "a@b.example"}\n',
            "alerts.email.smtp_url",
            "smtp://HOST:587",
        ),
        (
            'alerts:\n  email: {smtp_url: "smtps://m.example", starttls: true, from: "a@b.example"}\n',
            "alerts.email",
            "remove starttls",
        ),
        (
            'alerts:\n  email: {smtp_url: "smtp://u:secret@m.example", from: "a@b.example"}\n',
            "alerts.email.smtp_url",
            "password_file",
        ),
        ('alerts:\n  rules: [{to: ["a@b.example"]}]\n', "alerts", "email is missing"),
        (
            'alerts:\n  email: {from: "a@b.example"}\n  rules: [{to: ["a@b.example"], meters: [boiler]}]\n',
            "alerts.rules[0].meters",
            "use some of main-elec, cip-water",
        ),
        (
            'alerts:\n  email: {from: "a@b.example"}\n  rules: [{to: ["a@b.example"], types: [leaks]}]\n',
            "alerts.rules[0].types",
            "use some of excess, leak",
        ),
        (
            'alerts:\n  email: {from: "a@b.example"}\n  rules: [{to: ["a@b.example"], quiet_hours: "10pm-6am"}]\n',
            "alerts.rules[0].quiet_hours",
            "write HH:MM-HH:MM",
        ),
        (
            'alerts:\n  email: {from: "a@b.example"}\n  rules: [{to: ["a@b.example"], severity: urgent}]\n',
            "alerts.rules[0].severity",
            "'critical'",
        ),
        (
            'alerts:\n  webhook: {url: "hooks.example/x"}\n',
            "alerts.webhook.url",
            "https://HOST/PATH",
        ),
        ("alerts:\n  reminder_after: 0s\n", "alerts.reminder_after", "must be above 0"),
        (
            "alerts:\n  reports: {loan_day: 31}\n",
            "alerts.reports.loan_day",
            "less than or equal to 28",
        ),
        (
            "alerts:\n  reports: {audit_day: 0}\n",
            "alerts.reports.audit_day",
            "greater than or equal to 1",
        ),
        (
            "alerts:\n  reports: {consumption_weekday: mon}\n",
            "alerts.reports.consumption_weekday",
            "'monday'",
        ),
        (
            "alerts:\n  reports: {weekly: monday}\n",
            "alerts.reports.weekly",
            "remove it or check its spelling",
        ),
        ("alerts:\n  rules: []\n  mqtt: yes please\n", "alerts.mqtt", "bool"),
    ],
)
def test_bad_alerts_name_the_key_and_the_fix(
    tmp_path: Path, alerts: str, where: str, fix: str
) -> None:
    with pytest.raises(ConfigError) as err:
        load_site(site(tmp_path, alerts), environ={})
    message = str(err.value)
    assert "site.yaml:" in message and f"{where}:" in message and fix in message, message
    assert "secret" not in message


def test_smtp_environment_overrides_win_over_the_file(tmp_path: Path) -> None:
    (tmp_path / "smtp-password").write_text("from-file\n")
    env = {
        "PLANTMETER_SMTP_URL": "smtps://relay.example:2465",
        "PLANTMETER_SMTP_USERNAME": "relay-user",
        "PLANTMETER_SMTP_PASSWORD": "from-env",
    }
    email = load_site(site(tmp_path), environ=env).alerts.email  # type: ignore[union-attr]
    assert email is not None
    assert (email.host, email.port, email.implicit_tls, email.use_starttls) == (
        "relay.example",
        2465,
        True,
        False,
    )
    assert email.username == "relay-user" and email.resolved_password() == "from-env"
    assert "from-env" not in repr(email)


def test_the_password_file_is_read_when_the_environment_has_none(tmp_path: Path) -> None:
    secret = tmp_path / "smtp-password"
    secret.write_text("from-file\n")
    text = ALERTS.replace("password_file: smtp-password", f"password_file: {secret}")
    email = load_site(site(tmp_path, text), environ={}).alerts.email  # type: ignore[union-attr]
    assert email is not None and email.resolved_password() == "from-file"


def test_a_bad_smtp_override_names_the_variable_not_the_secret(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="PLANTMETER_SMTP_URL") as err:
        load_site(
            site(tmp_path),
            environ={"PLANTMETER_SMTP_URL": "smtp://u:hunter2@x", "PLANTMETER_SMTP_PASSWORD": "pw"},
        )
    assert "hunter2" not in str(err.value) and "pw" not in str(err.value).replace("password", "")
