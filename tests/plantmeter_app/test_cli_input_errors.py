"""A user's bad input is refused in the terminal's language, with the fix, and exit code 2.

One representative mistake per module whose messages go through the catalogue: a field of the
M&V plan (reports/plan.py), an alert rule (plantmeter/alertconfig.py), a CSV without its
timestamp column and a day-first date (ingest/csv_import.py, csv_read.py), a bare language in
``site.locale`` and a lower-case currency (plantmeter/i18n.py), a simulator scenario
(firmware-sim) and a site's own device profile (plantmeter/profile.py). The expected Spanish and
Portuguese are written by hand, not read from the catalogue: a comparison with the catalogue
would pass on any translation. Each case runs the real entry point in a subprocess.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from plantmeter_app.language import ENV_VARIABLES

ROOT = Path(__file__).resolve().parents[2]
DAIRY = ROOT / "examples" / "dairy"


def _run(lang: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``plantmeter ARGS`` with PLANTMETER_LANG=lang, nothing else deciding the language."""
    env = {k: v for k, v in os.environ.items() if k not in ENV_VARIABLES}
    env |= {"PLANTMETER_LANG": lang, "PLANTMETER_STORE_URL": f"sqlite:///{cwd / 'store.db'}"}
    return subprocess.run(
        [sys.executable, "-m", "plantmeter_app", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=cwd,
    )


def _dairy(tmp_path: Path) -> Path:
    for name in ("site.yaml", "mv-plan.yaml", "scenario.yaml"):
        shutil.copy(DAIRY / name, tmp_path / name)
    return tmp_path


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new))


def _refused(done: subprocess.CompletedProcess[str]) -> list[str]:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    return done.stderr.strip().splitlines()


PLAN_FIELD = {
    "es_GT": "plantmeter plan: mv-plan.yaml:15: reporting.start: el período de reporte empieza el "
    "2025-03-01, antes de que termine la línea base el 2025-04-01; empiece el reporte el "
    "2025-04-01 o después",
    "pt_BR": "plantmeter plan: mv-plan.yaml:15: reporting.start: o período de determinação começa "
    "em 2025-03-01, antes do fim da linha de base em 2025-04-01; comece a determinação em "
    "2025-04-01 ou depois",
}


@pytest.mark.parametrize("lang", ["es_GT", "pt_BR"])
def test_a_bad_plan_field(tmp_path: Path, lang: str) -> None:
    _edit(
        _dairy(tmp_path) / "mv-plan.yaml",
        "reporting: {start: 2025-04-01",
        "reporting: {start: 2025-03-01",
    )
    assert _refused(_run(lang, "plan", "show", "mv-plan.yaml", cwd=tmp_path)) == [PLAN_FIELD[lang]]


LOAN_OPTION = {
    "es_MX": "loans[1].options[1]: 'air-leak' no es una opción de este plan; use una de air-leaks, "
    "cip-recycling, vsd-refrigeration, weekend-shutdown, led-lighting, condenser-heat-recovery",
    "pt_BR": "loans[1].options[1]: 'air-leak' não é uma opção deste plano; use uma de air-leaks, "
    "cip-recycling, vsd-refrigeration, weekend-shutdown, led-lighting, condenser-heat-recovery",
}


@pytest.mark.parametrize("lang", ["es_MX", "pt_BR"])
def test_a_loan_linked_to_an_option_the_plan_lacks(tmp_path: Path, lang: str) -> None:
    _edit(
        _dairy(tmp_path) / "mv-plan.yaml",
        "    options: [air-leaks, cip-recycling]",
        "    options: [air-leaks, air-leak]",
    )
    (line,) = _refused(_run(lang, "plan", "show", "mv-plan.yaml", cwd=tmp_path))
    assert line.startswith("plantmeter plan: mv-plan.yaml:")
    assert line.endswith(LOAN_OPTION[lang])


ALERT_RULE = {
    "es_GT": "alerts.rules[0].types: tipo de alerta desconocido 'leek'; use algunos de excess, "
    "leak,",
    "pt_BR": "alerts.rules[0].types: tipo de alerta desconhecido 'leek'; use alguns de excess, "
    "leak,",
}
SMTP_LOGIN = {
    "es_GT": "alerts.email.smtp_url: 'smtp://pm:***@mail.example:587' lleva un usuario y "
    "contraseña; póngalos en username y password_file",
    "pt_BR": "alerts.email.smtp_url: 'smtp://pm:***@mail.example:587' traz usuário e senha; "
    "coloque-os em username e password_file",
}


@pytest.mark.parametrize("lang", ["es_GT", "pt_BR"])
def test_a_bad_alert_rule_and_a_login_in_the_smtp_url(tmp_path: Path, lang: str) -> None:
    site = _dairy(tmp_path) / "site.yaml"
    site.write_text(
        site.read_text() + "alerts:\n"
        '  email: {smtp_url: "smtp://pm:secret@mail.example:587", from: "pm@example.org"}\n'
        '  rules:\n    - {to: ["manager@example.org"], types: [leek]}\n'
    )
    done = _run(lang, "export", "site.yaml", "--meter", "main-elec", cwd=tmp_path)
    err = "\n".join(_refused(done))
    assert ALERT_RULE[lang] in err
    assert SMTP_LOGIN[lang] in err
    assert "secret" not in err


NO_TIMESTAMP = {
    "es_GT": "plantmeter import-csv: a.csv: no hay columna 'timestamp'; el encabezado debe ser: "
    "timestamp;<quantity>;...",
    "pt_BR": "plantmeter import-csv: a.csv: não há coluna 'timestamp'; o cabeçalho deve ser: "
    "timestamp;<quantity>;...",
}
DAY_FIRST = {
    "es_GT": "línea 3: la marca de tiempo '31/03/2025 00:15' no es ISO 8601 o no existe en "
    "America/Guatemala (escriba 2025-03-01 00:15 en hora del sitio o "
    "2025-03-01T00:15:00-06:00; para 31/03/2025 00:15 indique --dates day-first, o month-first "
    "para 03/31/2025)",
    "pt_BR": "linha 3: o carimbo de tempo '31/03/2025 00:15' não é ISO 8601 ou não existe em "
    "America/Guatemala (escreva 2025-03-01 00:15 na hora da unidade ou "
    "2025-03-01T00:15:00-06:00; para 31/03/2025 00:15 informe --dates day-first, ou month-first "
    "para 03/31/2025)",
}


@pytest.mark.parametrize("lang", ["es_GT", "pt_BR"])
def test_a_csv_with_a_bad_date_column(tmp_path: Path, lang: str) -> None:
    _dairy(tmp_path)
    (tmp_path / "a.csv").write_text("fecha;energy_import_total\n2025-03-01 00:00;1,5\n")
    assert _refused(
        _run(lang, "import-csv", "site.yaml", "a.csv", "--meter", "main-elec", cwd=tmp_path)
    ) == [NO_TIMESTAMP[lang]]
    (tmp_path / "b.csv").write_text(
        "timestamp,energy_import_total\n2025-03-01 00:00,1\n31/03/2025 00:15,2\n"
    )
    done = _run(lang, "import-csv", "site.yaml", "b.csv", "--meter", "main-elec", cwd=tmp_path)
    assert done.returncode == 1, done.stderr  # the good row is stored, the bad one listed
    assert DAY_FIRST[lang] in done.stderr


BOTH_DELIMITERS = {
    "es_GT": "plantmeter import-csv: c.csv: el encabezado tiene comas y puntos y comas; indique "
    "cuál separa las celdas: --delimiter ';' (o ',')",
    "pt_BR": "plantmeter import-csv: c.csv: o cabeçalho tem vírgulas e pontos e vírgulas; informe "
    "qual separa as células: --delimiter ';' (ou ',')",
}


@pytest.mark.parametrize("lang", ["es_GT", "pt_BR"])
def test_a_header_with_two_delimiters_names_them_in_the_language(tmp_path: Path, lang: str) -> None:
    _dairy(tmp_path)
    (tmp_path / "c.csv").write_text("timestamp;energy_import_total,power_total\n2025-03-01;1\n")
    done = _run(lang, "import-csv", "site.yaml", "c.csv", "--meter", "main-elec", cwd=tmp_path)
    assert _refused(done) == [BOTH_DELIMITERS[lang]]


BARE_LOCALE = {
    "es_GT": "plantmeter export: site.yaml:3: site.locale: la configuración regional 'es' no "
    "indica país, y los países de habla hispana y portuguesa no coinciden en el separador decimal "
    "(México 1,234.5, Colombia 1.234,5); use es_GT, es_MX, es_CO, pt_BR u otro idioma_PAÍS",
    "pt_BR": "plantmeter export: site.yaml:3: site.locale: a localidade 'es' não indica país, e os "
    "países de língua espanhola e portuguesa divergem no separador decimal (México 1,234.5, "
    "Colômbia 1.234,5); use es_GT, es_MX, es_CO, pt_BR ou outro idioma_PAÍS",
}
UNKNOWN_LOCALE = {
    "es_GT": "site.locale: configuración regional desconocida 'klingon'; use un idioma y un país, "
    "como es_GT, es_MX, es_CO, pt_BR, o en",
    "pt_BR": "site.locale: localidade desconhecida 'klingon'; use um idioma e um país, como es_GT, "
    "es_MX, es_CO, pt_BR, ou en",
}


@pytest.mark.parametrize("lang", ["es_GT", "pt_BR"])
def test_a_locale_without_country_and_an_unknown_locale(tmp_path: Path, lang: str) -> None:
    site = _dairy(tmp_path) / "site.yaml"
    _edit(site, "timezone: America/Guatemala}", "timezone: America/Guatemala, locale: es}")
    export = ("export", "site.yaml", "--meter", "main-elec")
    assert _refused(_run(lang, *export, cwd=tmp_path)) == [BARE_LOCALE[lang]]
    _edit(site, "locale: es}", "locale: klingon}")
    (line,) = _refused(_run(lang, *export, cwd=tmp_path))
    assert line.endswith(UNKNOWN_LOCALE[lang])


CURRENCY = {
    "es_CO": "plantmeter plan: mv-plan.yaml:10: currency: moneda desconocida 'gtq' (¿quiso decir "
    "GTQ?); use un código ISO 4217 como USD, GTQ, MXN, COP o BRL",
    "pt_BR": "plantmeter plan: mv-plan.yaml:10: currency: moeda desconhecida 'gtq' (quis dizer "
    "GTQ?); use um código ISO 4217 como USD, GTQ, MXN, COP ou BRL",
}
NO_CURRENCY = {
    "es_CO": "currency: moneda desconocida 'QQQ'; use un código ISO 4217 como USD, GTQ, MXN, COP "
    "o BRL",
    "pt_BR": "currency: moeda desconhecida 'QQQ'; use um código ISO 4217 como USD, GTQ, MXN, COP "
    "ou BRL",
}


@pytest.mark.parametrize("lang", ["es_CO", "pt_BR"])
def test_an_unknown_currency(tmp_path: Path, lang: str) -> None:
    plan = _dairy(tmp_path) / "mv-plan.yaml"
    _edit(plan, "\ncurrency: USD", "\ncurrency: gtq")
    assert _refused(_run(lang, "plan", "show", "mv-plan.yaml", cwd=tmp_path)) == [CURRENCY[lang]]
    _edit(plan, "\ncurrency: gtq", "\ncurrency: QQQ")
    (line,) = _refused(_run(lang, "plan", "show", "mv-plan.yaml", cwd=tmp_path))
    assert line.endswith(NO_CURRENCY[lang])


SCENARIO = {
    "es_GT": "plantmeter sim: scenario.yaml:83: faults[0].meter: 'cip-agua' no es un medidor de "
    "este escenario",
    "pt_BR": "plantmeter sim: scenario.yaml:83: faults[0].meter: 'cip-agua' não é um medidor deste "
    "cenário",
}


@pytest.mark.parametrize("lang", ["es_GT", "pt_BR"])
def test_a_scenario_fault_on_a_meter_it_lacks(tmp_path: Path, lang: str) -> None:
    scenario = _dairy(tmp_path) / "scenario.yaml"
    text = scenario.read_text()
    start = text.index("\nfaults: []")
    scenario.write_text(
        text[: start + 1]
        + "faults: [{type: leak, meter: cip-agua, start: 2025-10-01T02:00}]"
        + text[text.index("\n", start + 1) :]
    )
    done = _run(
        lang,
        "sim",
        "scenario.yaml",
        "--history",
        "2025-01-01..2025-01-02",
        "--out",
        "out",
        cwd=tmp_path,
    )
    assert _refused(done) == [SCENARIO[lang]]


PROFILE = {
    "es_GT": "my-sensor.yaml:18: points: el nombre de punto 'temperature' aparece dos veces; cada "
    "magnitud una sola vez",
    "pt_BR": "my-sensor.yaml:18: points: o nome de ponto 'temperature' aparece duas vezes; cada "
    "grandeza uma só vez",
}


@pytest.mark.parametrize("lang", ["es_GT", "pt_BR"])
def test_a_sites_own_profile_with_a_point_twice(tmp_path: Path, lang: str) -> None:
    site = _dairy(tmp_path) / "site.yaml"
    library = (ROOT / "plantmeter" / "profiles" / "xy_md02.yaml").read_text()
    (tmp_path / "my-sensor.yaml").write_text(library.replace("name: humidity", "name: temperature"))
    _edit(site, "profile: xy-md02", "profile: my-sensor.yaml")
    (line,) = _refused(_run(lang, "gateway", "site.yaml", "--dry-run", cwd=tmp_path))
    assert line.startswith("plantmeter gateway: ")
    assert line.endswith(PROFILE[lang])


def test_an_edited_ledger_entry_is_one_sentence_per_kind_with_its_gender() -> None:
    """Spanish agrees with the kind: *una enmienda aprobada*, *un ajuste aprobado*."""
    from plantmeter.i18n import _, use_locale
    from reports.load import _CHANGED_AFTER_APPROVAL

    fields = {"file": "p.yaml", "line": 9, "k": 0, "date": "2025-05-02", "by": "CP centre"}
    with use_locale("es_GT"):
        amendment = _(_CHANGED_AFTER_APPROVAL["amendments"]).format(**fields)
        adjustment = _(_CHANGED_AFTER_APPROVAL["adjustments"]).format(**fields)
    assert amendment.endswith(
        "restáurela: una enmienda aprobada se corrige con una enmienda nueva, nunca se edita"
    )
    assert adjustment.endswith(
        "restáurelo: un ajuste aprobado se corrige con un ajuste nuevo, nunca se edita"
    )
    with use_locale("pt_BR"):
        assert (
            _(_CHANGED_AFTER_APPROVAL["adjustments"])
            .format(**fields)
            .startswith(
                "p.yaml:9: adjustments[0] foi alterado ou removido depois de aprovado em 2025-05-02"
            )
        )
