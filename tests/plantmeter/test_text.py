"""``plantmeter.text``: a sentence decided at computation time, read later in the reader's locale.

The expected sentences are written out here by hand from the catalogues' wording and CLDR's
number formats (Colombia and Brazil 1.234,5; Guatemala 1,234.5), not taken from the code.
"""

from __future__ import annotations

import json
from datetime import date

from plantmeter.i18n import N_, use_locale
from plantmeter.text import Day, Duration, Join, Num, Pct, Term, Text, english, stored

REASON = Text(
    N_(
        "{valid} of {days} days have complete data ({completeness} < {required} required); "
        "no savings figure is given"
    ),
    valid=Num(1234),
    days=Num(1500),
    completeness=Pct(0.8227),
    required=Pct(0.9),
)


def test_a_text_renders_in_the_current_locale_and_stays_english_for_the_json() -> None:
    assert REASON.english() == (
        "1,234 of 1,500 days have complete data (82% < 90% required); no savings figure is given"
    )
    with use_locale("es_CO"):
        assert str(REASON) == (
            "1.234 de 1.500 días tienen datos completos (82% < 90% requerido); "
            "no se da cifra de ahorro"
        )
        assert REASON.english().startswith("1,234 of 1,500 days")  # English whatever the block
    with use_locale("pt_BR"):
        assert str(REASON) == (
            "1.234 de 1.500 dias têm dados completos (82% < 90% exigido); nenhum valor de "
            "economia é informado"
        )
    with use_locale("es_GT"):
        assert str(REASON).startswith("1,234 de 1,500 días tienen datos completos")


def test_parameters_are_formatted_for_the_reader() -> None:
    text = Text(
        "{a} | {b} | {c} | {d} | {e} | {f} | {g}",
        a=Num(-12345.678, 1, "kWh", signed=True),
        b=Num(0.000123456, None),
        c=Day(date(2025, 9, 1)),
        d=Day("2025-10-01", "d MMM y"),
        e=Duration(5400),
        f=Term("on track"),
        g=Join((Num(1500), "id-7"), " / "),
    )
    assert (
        text.english()
        == "-12,345.7 kWh | 0.000123456 | Sep 1, 2025 | 1 Oct 2025 | 1 h 30 min | on track | 1,500 / id-7"
    )
    with use_locale("pt_BR"):
        assert str(text) == (
            "-12.345,7 kWh | 0,000123456 | 1 de set. de 2025 | 1 out. 2025 | 1 h 30 min "
            "| no rumo | 1.500 / id-7"
        )
    with use_locale("es_GT"):
        assert str(text).startswith("-12,345.7 kWh | 0.000123456 | 1/09/2025 | 1 oct 2025 |")
        assert str(text).endswith("| en camino | 1,500 / id-7")


def test_a_stored_text_reads_back_and_an_old_or_broken_one_falls_back_to_its_english() -> None:
    kept = REASON.dumps()
    assert json.loads(kept)["id"] == REASON.msgid  # a message id and parameters, not prose
    with use_locale("pt_BR"):
        assert stored(kept, "ignored").startswith("1.234 de 1.500 dias")
        assert stored("", "an old flag's English reason") == "an old flag's English reason"
        assert stored("{not json", "kept English") == "kept English"
        assert stored('{"id": 3}', "kept English") == "kept English"
    assert Text.from_json(json.loads(kept)) == REASON
    assert english("plain") == "plain" and english(REASON) == REASON.english()


def test_sentences_join_each_translated_on_its_own() -> None:
    both = Text(N_("verified {got} ± {band} {unit} vs promised {promise}"), got=Num(1599),
                band=Num(592), unit="kWh", promise=Num(1479)) + Text(
        N_("; extrapolated: drivers outside the baseline's range")
    )  # fmt: skip
    assert both.english() == (
        "verified 1,599 ± 592 kWh vs promised 1,479; extrapolated: drivers outside the "
        "baseline's range"
    )
    with use_locale("es_CO"):
        assert str(both) == (
            "verificado 1.599 ± 592 kWh frente a 1.479 prometido; extrapolado: variables "
            "independientes fuera del rango de la línea base"
        )
    # sets and sorting work on the English sentence, as they did on plain strings
    assert len({both, Text.from_json(both.to_json())}) == 1
