"""The Spanish and Portuguese catalogues are complete and in step with the sources.

Extracts every message of the product packages and the dashboard's templates (as ``make i18n``
does, into memory) and fails when a catalogue lacks a message, keeps one the sources no longer
have, leaves one untranslated or fuzzy, or drops or renames a ``{placeholder}``. Also checks that
the fonts of the PDFs draw every character the translations and the locales' formats use.
"""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
from babel.dates import format_time
from babel.messages.catalog import Catalog

from plantmeter.i18n import CATALOGUES, translations_for, use_locale
from tests.catalogues import extract, placeholders, read_catalogue

FIX = "run `make i18n` to update the catalogues, then translate the new entries"


@pytest.fixture(scope="module")
def template() -> Catalog:
    return extract()


def _ids(cat: Catalog) -> set[str]:
    return {m.id if isinstance(m.id, str) else m.id[0] for m in cat if m.id}


def _filled(string: str | tuple[str, ...]) -> bool:
    """A singular translated, or every plural form (es and pt_BR have three) translated."""
    return bool(string) if isinstance(string, str) else all(string)


@pytest.mark.parametrize("lang", CATALOGUES)
def test_catalogue_has_exactly_the_sources_messages(template: Catalog, lang: str) -> None:
    cat = read_catalogue(lang)
    missing = sorted(_ids(template) - _ids(cat))
    stale = sorted(_ids(cat) - _ids(template))
    assert not missing, (
        f"{lang}: {len(missing)} messages not in the catalogue: {missing[:10]}; {FIX}"
    )
    assert not stale, f"{lang}: {len(stale)} messages no source has any more: {stale[:10]}; {FIX}"


@pytest.mark.parametrize("lang", CATALOGUES)
def test_every_message_is_translated_with_its_placeholders(lang: str) -> None:
    cat = read_catalogue(lang)
    untranslated = [m.id for m in cat if m.id and (not _filled(m.string) or m.fuzzy)]
    assert not untranslated, f"{lang}: untranslated or fuzzy: {untranslated[:10]}"
    for m in cat:
        if not m.id:
            continue
        ids = [m.id] if isinstance(m.id, str) else list(m.id)
        strings = [m.string] if isinstance(m.string, str) else list(m.string)
        for s in strings:
            assert placeholders(s) == placeholders(ids[0]), (
                f"{lang}: {m.id!r} -> {s!r}: the placeholders differ"
            )
        # a template's {% trans %} block is %-formatted (a literal % is written %%); Python
        # sources use str.format only, so Babel's python-format guess ("90 % i") is not checked
        if any(path.endswith(".html") for path, _line in m.locations):
            for s in strings:
                assert s.count("%") == 2 * s.count("%%") and s.count("%%") == ids[0].count("%%"), (
                    f"{lang}: {m.id!r} -> {s!r}: write a literal % as %% in a template's message"
                )


def test_the_catalogues_translate_by_language_of_the_locale() -> None:
    assert translations_for("es_MX").gettext("Covenants") == "Cláusulas"
    assert translations_for("es_CO").gettext("Covenants") == "Cláusulas"
    assert translations_for("pt_BR").gettext("verified savings") == "economias verificadas"
    assert translations_for("en").gettext("Covenants") == "Covenants"


def test_the_pdf_font_draws_every_character_of_the_locales() -> None:
    """DejaVu Sans (shipped with matplotlib, the reports' font) has a glyph for every character
    of every translation and of CLDR's formats (U+202F narrow no-break space in times, U+00A0)."""
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    from reports.render import RC

    path = font_manager.findfont(font_manager.FontProperties(family=str(RC["font.family"])))
    assert "DejaVuSans" in path, path
    cmap = FT2Font(path).get_charmap()
    text = ""
    for lang in CATALOGUES:
        text += "".join(m.string for m in read_catalogue(lang) if isinstance(m.string, str))
    from plantmeter.i18n import format_date, format_datetime, format_number, format_percent

    for loc in ("en", "es_GT", "es_MX", "es_CO", "pt_BR"):
        with use_locale(loc):
            text += format_number(1234567.5, 1) + format_percent(0.905, 1)
            text += format_date(date(2025, 3, 7)) + format_datetime(datetime(2025, 3, 7, 14, 5))
        text += format_time(time(14, 5), "short", locale=loc)
    assert "\u202f" in text  # CLDR's narrow no-break space is among them
    missing = sorted({c for c in text if ord(c) not in cmap and c not in "\n\t"})
    assert not missing, f"no glyph in {path} for {[f'U+{ord(c):04X}' for c in missing]}"
