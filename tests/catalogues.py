"""Extract PlantMeter's messages and keep the catalogues in step (``make i18n``).

``python -m tests.catalogues`` extracts every ``_()`` / ``N_()`` / ``ngettext()`` of the product
packages and the dashboard's Jinja2 templates into ``plantmeter/locale/plantmeter.pot`` and
updates each catalogue (``plantmeter/locale/<lang>/LC_MESSAGES/plantmeter.po``): new messages
arrive untranslated, removed ones become obsolete and are dropped. ``tests/test_catalogues.py``
extracts the same way into memory and fails on any message without a translation.
"""

from __future__ import annotations

import io
import string
import sys
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po, write_po

from plantmeter.i18n import CATALOGUES, DOMAIN, LOCALE_DIR

__all__ = ["SOURCES", "extract", "placeholders", "po_path", "read_catalogue", "update"]

ROOT = Path(__file__).parents[1]
SOURCES = [
    "plantmeter",
    "analytics",
    "gateway",
    "portfolio",
    "reports",
    "services",
    "dashboard",
    "alerts",
    "plantmeter_app",
    "ingest",
    "firmware-sim",
]
METHODS = [
    ("**/templates/**.html", "jinja2.ext:babel_extract"),
    ("**.py", "python"),
]
OPTIONS = {
    "**/templates/**.html": {
        "trim_blocks": "true",
        "lstrip_blocks": "true",
        "newstyle_gettext": "true",
    },
}
KEYWORDS = {**DEFAULT_KEYWORDS, "N_": None}
_STAMP = datetime(2026, 12, 1, tzinfo=UTC)


def extract() -> Catalog:
    """Every message of the sources, with where it occurs (a fresh template catalogue)."""
    # a fixed header date: an extraction that finds the same messages rewrites the same files
    cat = Catalog(project="PlantMeter", domain=DOMAIN, fuzzy=False, creation_date=_STAMP)
    for folder in SOURCES:
        for filename, lineno, message, comments, context in extract_from_dir(
            ROOT / folder, METHODS, OPTIONS, keywords=KEYWORDS, comment_tags=("TRANSLATORS:",)
        ):
            if not message:
                continue
            cat.add(
                message,
                locations=[(f"{folder}/{filename}", lineno)],
                auto_comments=comments,
                context=context,
            )
    return cat


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalogue(lang: str) -> Catalog:
    with po_path(lang).open("rb") as f:
        return read_po(f, locale=lang, domain=DOMAIN)


def placeholders(text: str) -> set[str]:
    """The ``{name}`` fields of a ``str.format`` message (``{text!r}`` -> ``text``)."""
    return {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name}


def _write(cat: Catalog, path: Path) -> None:
    buf = io.BytesIO()
    write_po(buf, cat, width=100, sort_output=True, omit_header=False, ignore_obsolete=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buf.getvalue())


def update() -> None:
    """Write the .pot and bring each .po up to date with it."""
    template = extract()
    _write(template, LOCALE_DIR / f"{DOMAIN}.pot")
    for lang in CATALOGUES:
        path = po_path(lang)
        cat = read_catalogue(lang) if path.exists() else Catalog(locale=lang, domain=DOMAIN)
        cat.update(template, no_fuzzy_matching=True)
        _write(cat, path)
        missing = [m.id for m in cat if m.id and not m.string]
        print(f"{path.relative_to(ROOT)}: {len(cat)} messages, {len(missing)} untranslated")


if __name__ == "__main__":
    update()
    sys.exit(0)
