"""The ``plantmeter`` command speaks the language of the environment (``plantmeter_app.language``).

The expected texts are written by hand, not read from the catalogue: a test that compared the
output with the catalogue would pass on any translation, right or wrong. Subprocesses run the
real entry point with a controlled environment (nothing inherited decides the language).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from plantmeter.i18n import ngettext, use_locale
from plantmeter_app.cli import main
from plantmeter_app.language import ENV_VARIABLES, cli_locale


def _run(*args: str, cwd: Path | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ENV_VARIABLES}
    return subprocess.run(
        [sys.executable, "-m", "plantmeter_app", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=clean | env,
        cwd=cwd,
    )


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"LANG": "es_GT.UTF-8"}, "es_GT"),
        ({"LANG": "pt_BR.UTF-8"}, "pt_BR"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({"LANG": "POSIX"}, "en"),
        ({}, "en"),
        ({"LANG": "es"}, "es"),
        ({"LANG": "es_CO.utf8@euro"}, "es_CO"),
        ({"PLANTMETER_LANG": "pt_BR", "LANG": "es_GT.UTF-8"}, "pt_BR"),
        ({"LANGUAGE": "pt_BR:es", "LC_ALL": "es_MX.UTF-8"}, "pt_BR"),
        ({"LC_ALL": "", "LC_MESSAGES": "es_MX.UTF-8", "LANG": "pt_BR.UTF-8"}, "es_MX"),
        ({"LC_ALL": "C", "LANG": "es_GT.UTF-8"}, "en"),  # LC_ALL overrides LANG, as POSIX says
        ({"LANGUAGE": "es", "LANG": "C.UTF-8"}, "en"),  # gettext ignores LANGUAGE under C
        ({"LANGUAGE": "es", "LANG": "es_MX.UTF-8"}, "es_MX"),  # Mexico's numbers kept
        ({"LANGUAGE": "es"}, "en"),  # no locale at all is C
        ({"PLANTMETER_LANG": "fr_FR", "LANG": "es_GT.UTF-8"}, "en"),  # a language we do not speak
        ({"PLANTMETER_LANG": "klingon!"}, "en"),
    ],
)
def test_the_language_is_read_from_the_environment(environ: dict[str, str], expected: str) -> None:
    assert cli_locale(environ) == expected


def test_help_in_spanish_with_argparse_words() -> None:
    done = _run("--help", LANG="es_GT.UTF-8")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.startswith("uso: plantmeter ")
    assert "argumentos posicionales:" in out and "opciones:" in out
    assert "muestra este mensaje de ayuda y sale" in out
    assert "Mide la energía y el agua de una planta por Modbus" in out
    assert "options:" not in out and "usage:" not in out


def test_subcommand_help_in_spanish_and_portuguese() -> None:
    es = _run("savings", "--help", LANG="es_GT.UTF-8")
    assert es.returncode == 0, es.stderr
    assert "uso: plantmeter savings" in es.stdout
    assert "YAML del plan de M&V: ahorros verificados por opción" in es.stdout
    assert "línea base" in es.stdout
    pt = _run("report", "loan", "--help", LANG="pt_BR.UTF-8")
    assert pt.returncode == 0, pt.stderr
    assert pt.stdout.startswith("uso: plantmeter report loan")
    assert "argumentos posicionais:" in pt.stdout and "opções:" in pt.stdout
    assert "mostra esta mensagem de ajuda e sai" in pt.stdout
    assert "o plano de M&V da unidade (mv-plan.yaml)" in pt.stdout


def test_c_locale_is_english_and_plantmeter_lang_beats_lang() -> None:
    en = _run("gateway", "--help", LANG="C.UTF-8")
    assert en.returncode == 0, en.stderr
    assert en.stdout.startswith("usage: plantmeter gateway")
    assert "options:" in en.stdout and "poll every meter once, print a table" in en.stdout
    pt = _run("gateway", "--help", LANG="es_GT.UTF-8", PLANTMETER_LANG="pt_BR")
    assert "consultar cada medidor uma vez, imprimir uma tabela" in pt.stdout


def test_a_missing_plan_file_is_a_spanish_error_with_exit_2(tmp_path: Path) -> None:
    done = _run("plan", "show", "missing-plan.yaml", cwd=tmp_path, LANG="es_GT.UTF-8")
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("plantmeter plan: missing-plan.yaml: no se puede leer el archivo (")
    assert line.endswith("); revise la ruta")


def test_a_bad_period_is_a_spanish_error_with_exit_2(tmp_path: Path) -> None:
    csv = tmp_path / "u.csv"
    csv.write_text("timestamp,kwh\n2025-01-01T00:00Z,1\n2025-01-01T01:00Z,2\n")
    done = _run(
        "savings",
        "--usage",
        str(csv),
        "--baseline",
        "2025-01-01",
        "--reporting",
        "2025-02-01..2025-03-01",
        LANG="es_MX.UTF-8",
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.strip() == (
        "plantmeter savings: --baseline '2025-01-01': escriba INICIO..FIN (fin excluido), "
        "p. ej. 2024-04-01..2025-04-01"
    )


def test_argparse_errors_in_portuguese() -> None:
    done = _run("report", "loan", "L1", LANG="pt_BR.UTF-8")
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1] == (
        "plantmeter report loan: erro: os seguintes argumentos são obrigatórios: "
        "--plan, --period, --out"
    )
    bad = _run("savings", "--granularity", "weekly", LANG="es_GT.UTF-8")
    assert bad.returncode == 2
    assert (
        "argumento --granularity: opción inválida: 'weekly' (elija entre 'daily', 'hourly')"
        in bad.stderr
    )


def test_an_unknown_plantmeter_lang_falls_back_to_english() -> None:
    done = _run("report", PLANTMETER_LANG="xx_NOPE.UTF-8", LANG="es_GT.UTF-8")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "the following arguments are required: REPORT" in done.stderr


def test_every_help_renders_in_every_language(monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # type: ignore[no-untyped-def]
    """argparse %-formats argument help: a translation with a stray % would crash --help."""
    commands = [
        ["sim"], ["gateway"], ["ingest"], ["export"], ["import-csv"], ["savings"], ["flags"],
        ["report", "loan"], ["report", "audit"], ["report", "consumption"], ["report", "plan"],
        ["plan", "approve"], ["plan", "show"], ["user", "add"], ["user", "list"], ["serve"],
        ["alerts"], ["portfolio"], ["sim-portfolio"], ["demo"],
    ]  # fmt: skip
    for lang in ("es_GT", "pt_BR"):
        monkeypatch.setenv("PLANTMETER_LANG", lang)
        for command in commands:
            with pytest.raises(SystemExit) as exit_:
                main([*command, "--help"])
            assert exit_.value.code == 0
            out = capsys.readouterr().out
            assert out.startswith("uso: "), (lang, command, out[:80])


def test_the_plural_of_argparse_is_translated() -> None:
    with use_locale("es_GT"):
        assert ngettext("expected %s argument", "expected %s arguments", 2) == (
            "se esperaban %s argumentos"
        )
    with use_locale("pt_BR"):
        assert ngettext("expected %s argument", "expected %s arguments", 1) == (
            "esperava-se %s argumento"
        )
