from __future__ import annotations

from pathlib import Path

import pytest

from plantmeter.config import load_site
from plantmeter.durations import parse_duration
from plantmeter.errors import ConfigError

EXAMPLE = Path(__file__).parents[2] / "examples" / "dairy" / "site.yaml"

GOOD = """\
site: {id: dairy, timezone: UTC}
buses:
  - {id: board-1, transport: tcp, host: 127.0.0.1, port: 5020}
meters:
  - {id: main-elec, bus: board-1, unit_id: 1, profile: eastron-sdm630, kind: electricity, poll: 10s}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "site.yaml"
    path.write_text(text)
    return path


def test_example_site_loads() -> None:
    config = load_site(EXAMPLE, environ={})
    assert config.site.id == "dairy"
    assert config.meter("main-elec").profile == "eastron-sdm630"
    for meter in config.meters:
        assert config.profile_for(meter)


def test_site_locale_is_a_full_locale(tmp_path: Path) -> None:
    assert load_site(write(tmp_path, GOOD), environ={}).site.locale == "en"  # the default
    for given, kept in (("es_GT", "es_GT"), ("es-MX", "es_MX"), ("pt_BR", "pt_BR"), ("en", "en")):
        site = load_site(
            write(tmp_path, GOOD.replace("timezone: UTC", f"timezone: UTC, locale: {given}")),
            environ={},
        )
        assert site.site.locale == kept


def test_durations() -> None:
    assert (
        parse_duration("10s") == 10
        and parse_duration("5m") == 300
        and parse_duration("250ms") == 0.25
    )
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration("ten seconds")


def test_environment_overrides(tmp_path: Path) -> None:
    env = {
        "PLANTMETER_BROKER_URL": "mqtt://10.0.0.5:1884",
        "PLANTMETER_STORE_URL": "sqlite:///x.db",
    }
    config = load_site(write(tmp_path, GOOD), environ=env)
    assert (config.broker.host, config.broker.port) == ("10.0.0.5", 1884)
    assert config.store.url == "sqlite:///x.db"
    with pytest.raises(ConfigError, match="environment override"):
        load_site(write(tmp_path, GOOD), environ={"PLANTMETER_BROKER_URL": "http://x"})


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("eastron-sdm630", "eastron-sdm999"),
            r"site.yaml:5: meters\[0\].profile: unknown profile 'eastron-sdm999'; use one of",
        ),
        (
            ("unit_id: 1", "unit_id: 300"),
            r"site.yaml:5: meters\[0\].unit_id: 300 is out of range; Modbus unit ids are 1-247",
        ),
        (("kind: electricity, ", ""), r"site.yaml:5: meters\[0\].kind: Field required; add it"),
        (
            ("poll: 10s", "poll: 10s, colour: red"),
            r"meters\[0\].colour: Extra inputs are not permitted; remove it",
        ),
        (
            ("port: 5020", "port: 5020, timeout: soon"),
            r"buses\[0\].timeout: 'soon' is not a duration",
        ),
        (
            ("timezone: UTC", "timezone: Mars/Olympus"),
            r"site.yaml:1: site.timezone: unknown time zone",
        ),
        (  # a bare language decides no decimal mark (Mexico 1,234.5, Colombia 1.234,5)
            ("timezone: UTC", "timezone: UTC, locale: es"),
            r"site.yaml:1: site.locale: locale 'es' names no country.*use es_GT, es_MX, es_CO, pt_BR",
        ),
        (
            ("timezone: UTC", "timezone: UTC, locale: xx_YY"),
            r"site.locale: unknown locale 'xx_YY'; use a language and country such as es_GT",
        ),
        (
            ("timezone: UTC", "timezone: UTC, locale: de_DE"),
            r"site.locale: locale 'de_DE': PlantMeter speaks English, Spanish and Portuguese",
        ),
    ],
)
def test_bad_config_names_file_line_field_and_fix(
    tmp_path: Path, change: tuple[str, str], expected: str
) -> None:
    with pytest.raises(ConfigError, match=expected):
        load_site(write(tmp_path, GOOD.replace(*change)), environ={})


def test_duplicate_meter_id(tmp_path: Path) -> None:
    text = (
        GOOD
        + "  - {id: main-elec, bus: board-1, unit_id: 2, profile: eastron-sdm630, kind: electricity}\n"
    )
    with pytest.raises(ConfigError, match=r"site.yaml:6: meters\[1\].id: duplicate id 'main-elec'"):
        load_site(write(tmp_path, text), environ={})


def test_shared_unit_id_and_unknown_bus(tmp_path: Path) -> None:
    text = (
        GOOD
        + "  - {id: other, bus: board-1, unit_id: 1, profile: eastron-sdm630, kind: electricity}\n"
    )
    with pytest.raises(
        ConfigError, match=r"meters\[1\].unit_id: meters 'main-elec' and 'other' share unit id 1"
    ):
        load_site(write(tmp_path, text), environ={})
    text = (
        GOOD
        + "  - {id: other, bus: board-9, unit_id: 2, profile: eastron-sdm630, kind: electricity}\n"
    )
    with pytest.raises(ConfigError, match=r"meters\[1\].bus: meter 'other' is on bus 'board-9'"):
        load_site(write(tmp_path, text), environ={})


def test_missing_file_and_bad_yaml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the file"):
        load_site(tmp_path / "nope.yaml")
    with pytest.raises(ConfigError, match=r"site.yaml:\d+: invalid YAML"):
        load_site(write(tmp_path, "site: {id: [\n"))


def test_quantities_must_exist_in_the_profile(tmp_path: Path) -> None:
    text = GOOD.replace("poll: 10s", "poll: 10s, quantities: [energy_import_total, power_totl]")
    with pytest.raises(
        ConfigError, match=r"meters\[0\].quantities: 'power_totl' is not a quantity"
    ):
        load_site(write(tmp_path, text), environ={})


def test_cli_reports_a_bad_site_in_one_line_and_exits_2(tmp_path: Path) -> None:
    import subprocess
    import sys

    site = write(tmp_path, GOOD.replace("eastron-sdm630", "eastron-sdm999"))
    done = subprocess.run(
        [sys.executable, "-m", "plantmeter_app", "gateway", str(site), "--dry-run"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith(f"plantmeter gateway: {site}:5: meters[0].profile: unknown profile")
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ("gateway: {id: 'dairy gw/1#'}", "gateway.id"),
        ("ingest: {client_id: 'ingest+1'}", "ingest.client_id"),
        ("ingest: {group: 'a/b'}", "ingest.group"),
    ],
)
def test_ids_that_go_into_mqtt_topics_are_validated(
    tmp_path: Path, change: str, field: str
) -> None:
    # a space, '/', '#' or '+' in a topic id would make every reading refused downstream
    with pytest.raises(ConfigError, match=rf"{field}: String should match pattern"):
        load_site(write(tmp_path, GOOD + change + "\n"), environ={})


def test_an_empty_ingest_group_means_a_plain_subscription(tmp_path: Path) -> None:
    assert load_site(write(tmp_path, GOOD + "ingest: {group: ''}\n"), environ={}).ingest.group == ""


def test_environment_override_errors_name_the_variable_and_hide_the_secret(
    tmp_path: Path,
) -> None:
    site = write(tmp_path, GOOD)
    with pytest.raises(ConfigError) as err:
        load_site(site, environ={"PLANTMETER_STORE_URL": "influxd://ops:hunter2@db:8086/plant"})
    assert "PLANTMETER_STORE_URL" in str(err.value) and "hunter2" not in str(err.value)
    assert "influxd://ops:***@db:8086/plant" in str(err.value)
    with pytest.raises(ConfigError, match="PLANTMETER_BROKER_URL") as err:
        load_site(
            site,
            environ={
                "PLANTMETER_BROKER_URL": "mqtp://u:s3cret@h",
                "PLANTMETER_BROKER_PASSWORD": "pw",
            },
        )
    assert "s3cret" not in str(err.value) and "'pw'" not in str(err.value)


def test_a_mistyped_store_scheme_in_the_file_does_not_echo_the_password(tmp_path: Path) -> None:
    text = GOOD + 'store: {url: "influxd2://t0ken-abc@db:8086/org/bucket"}\n'
    with pytest.raises(ConfigError, match="is not a store URL") as err:
        load_site(write(tmp_path, text), environ={})
    assert "t0ken-abc" not in str(err.value)
