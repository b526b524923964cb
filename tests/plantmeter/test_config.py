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
        [sys.executable, "-m", "plantmeter.cli", "gateway", str(site), "--dry-run"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith(f"plantmeter gateway: {site}:5: meters[0].profile: unknown profile")
    assert "Traceback" not in done.stderr
