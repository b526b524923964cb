"""The reports' deep texts in Spanish and Portuguese: the builders of the engine's sentences.

Each sentence is written out here by hand as the catalogue words it and CLDR formats its
numbers and dates (Colombia and Brazil 1.234,5; Guatemala 1,234.5), and in English as the JSON
keeps it.
"""

from __future__ import annotations

from datetime import date

from plantmeter.i18n import N_, use_locale
from plantmeter.text import Text
from reports.loan import annualised_note, evaluate_covenant
from reports.plan import Covenant
from reports.readings import ReadingsChange
from reports.verify import Window, periods_for


def _in(locale: str, value: object) -> str:
    with use_locale(locale):
        return str(value)


def test_the_annualisation_note() -> None:
    note = annualised_note(91)
    assert note.english() == (  # type: ignore[union-attr]
        "annualised from 3 months (91 days): a part-year figure carries its season"
    )
    assert _in("es_GT", note) == (
        "anualizado a partir de 3 meses (91 días): una cifra de parte del año lleva su "
        "estacionalidad"
    )
    assert _in("pt_BR", note) == (
        "anualizado a partir de 3 meses (91 dias): um valor de parte do ano carrega a sua "
        "sazonalidade"
    )
    assert _in("es_CO", annualised_note(30)) == (
        "anualizado a partir de 30 días: una cifra de parte del año lleva su estacionalidad"
    )
    assert annualised_note(365) == ""


def test_covenant_evidence_with_the_locales_decimal_mark() -> None:
    c = Covenant(type="min_verified_savings", value=0.8, description="x")
    what = Text(N_("verified / promised savings since implementation"))
    r = evaluate_covenant(c, 0.933, 0.163, what)
    assert r.result == "inconclusive"
    assert r.evidence.english() == (
        "verified / promised savings since implementation 0.933 (90 % interval 0.77 to 1.1) "
        "against 0.8; the interval straddles the threshold"
    )
    assert _in("es_CO", r.evidence) == (
        "ahorros verificados / prometidos desde la implementación 0,933 (intervalo del 90 %: "
        "0,77 a 1,1) frente a 0,8; el intervalo abarca el umbral"
    )
    assert _in("pt_BR", r.evidence) == (
        "economias verificadas / prometidas desde a implementação 0,933 (intervalo de 90 %: "
        "0,77 a 1,1) contra 0,8; o intervalo abrange o limite"
    )
    open_ = evaluate_covenant(c, None, None, what)
    assert _in("es_GT", open_.evidence) == (
        "ahorros verificados / prometidos desde la implementación: aún sin cifra verificada "
        "(datos insuficientes o nada vencido)"
    )
    late = evaluate_covenant(c, 1.2, 0.1, what, extrapolated=True)
    assert _in("pt_BR", late.evidence).startswith(
        "extrapolado (variáveis independentes fora da faixa da linha de base, EnPI Lite): "
        "economias verificadas"
    )


def test_the_verified_periods_as_a_reader_says_them() -> None:
    month, quarter, ytd, since = periods_for(date(2025, 11, 1), date(2025, 9, 1))
    assert [w.label for w in (quarter, ytd, since)] == [  # the JSON's English labels
        "Q4 2025 to date",
        "2025 to date",
        "since 2025-09-01",
    ]
    assert _in("es_GT", month.text()) == "2025-11"
    assert _in("es_GT", quarter.text()) == "T4 2025 hasta la fecha"
    assert _in("es_GT", ytd.text()) == "2025 hasta la fecha"
    assert _in("es_GT", since.text()) == "desde el 1/09/2025"
    assert _in("pt_BR", quarter.text()) == "4º tri. 2025 até a data"
    assert _in("pt_BR", since.text()) == "desde 1 de set. de 2025"
    custom = Window("custom", "2025-W45", date(2025, 11, 3), date(2025, 11, 10))
    assert _in("pt_BR", custom.text()) == "2025-W45"


def test_changed_baseline_readings() -> None:
    assert ReadingsChange(1234).describe() == "1,234 readings differ"  # English, for the JSON
    assert _in("es_CO", ReadingsChange(1234).text()) == "1.234 lecturas difieren"
    assert _in("pt_BR", ReadingsChange(2, at_least=True).text()) == "pelo menos 2 leituras diferem"
