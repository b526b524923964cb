"""gettext and locale formatting for every user-facing text (Babel).

**Catalogues.** One gettext domain, ``plantmeter``, for every package: the sources are extracted
into ``plantmeter/locale/plantmeter.pot`` and translated in
``plantmeter/locale/<lang>/LC_MESSAGES/plantmeter.po`` (``es``: Latin American Spanish,
``pt_BR``: Brazilian Portuguese; ``make i18n`` re-extracts and updates them). The ``.po`` files
ship as package data and are compiled in memory on first use (Babel's ``write_mo``), so a fresh
clone and an installed wheel read the same catalogue and no compiled file can go stale.

**Locale.** A *locale* is a full CLDR locale, ``es_GT``, ``es_MX``, ``es_CO``, ``pt_BR`` or
``en``: the language picks the catalogue (``es_MX`` reads ``es``), the territory the number
format (Mexico writes 1,234.5, Colombia 1.234,5). A bare ``es`` or ``pt`` is refused by
``check_locale`` (with the fix), because it decides no decimal mark. ``use_locale(loc)`` sets the
locale of the current thread or task (a context variable); ``_`` translates and the ``format_*``
functions format in it (English outside any block).

**Marking.** ``_("...")`` translates at once; ``N_("...")`` only marks a text for extraction
(translated later with ``_(text)``); placeholders are named (``{amount}``), so a translation may
reorder them.
"""

from __future__ import annotations

import gettext
import io
import math
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import format_date as _babel_date
from babel.dates import format_datetime as _babel_datetime
from babel.dates import format_skeleton
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, get_currency_name, list_currencies, parse_pattern

__all__ = [
    "CATALOGUES",
    "DEFAULT_LOCALE",
    "DOMAIN",
    "LOCALE_DIR",
    "N_",
    "_",
    "check_currency",
    "check_locale",
    "currency_name",
    "current_locale",
    "format_date",
    "format_datetime",
    "format_month",
    "format_number",
    "format_pattern",
    "format_percent",
    "format_significant",
    "language_of",
    "ngettext",
    "significant_decimals",
    "translations_for",
    "use_locale",
]

DOMAIN = "plantmeter"
DEFAULT_LOCALE = "en"
LOCALE_DIR = Path(__file__).parent / "locale"
CATALOGUES = ("es", "pt_BR")
"""The translated catalogues (directory names under ``LOCALE_DIR``); English is the source."""
MISSING = "—"

_current: ContextVar[str] = ContextVar("plantmeter_locale", default=DEFAULT_LOCALE)


def check_locale(value: str) -> str:
    """``value`` as a canonical full locale (``es-MX`` -> ``es_MX``), or ValueError with the fix.

    English may be bare (``en``); Spanish and Portuguese need their country, because the
    country decides the decimal mark.
    """
    text = str(value).strip().replace("-", "_")
    try:
        loc = Locale.parse(text)
    except (UnknownLocaleError, ValueError):
        raise ValueError(
            _(
                "unknown locale {value}; use a language and country such as es_GT, es_MX, "
                "es_CO, pt_BR, or en"
            ).format(value=repr(value))
        ) from None
    if loc.language not in ("en", "es", "pt"):
        raise ValueError(
            _(
                "locale {value}: PlantMeter speaks English, Spanish and Portuguese; use en, "
                "es_GT, es_MX, es_CO (or another es_XX), or pt_BR"
            ).format(value=repr(value))
        )
    if loc.language != "en" and not loc.territory:
        raise ValueError(
            _(
                "locale {value} names no country, and Spanish- and Portuguese-speaking countries "
                "disagree on the decimal mark (Mexico 1,234.5, Colombia 1.234,5); use es_GT, "
                "es_MX, es_CO, pt_BR or another language_COUNTRY"
            ).format(value=repr(value))
        )
    return str(loc)


def check_currency(value: str) -> str:
    """``value`` if it is an ISO 4217 code Babel knows (``GTQ``), else ValueError with the fix."""
    code = str(value).strip()
    if code in list_currencies():
        return code
    if code.upper() in list_currencies():
        raise ValueError(
            _(
                "unknown currency {value} (did you mean {code}?); use an ISO 4217 code such as "
                "USD, GTQ, MXN, COP or BRL"
            ).format(value=repr(value), code=code.upper())
        )
    raise ValueError(
        _(
            "unknown currency {value}; use an ISO 4217 code such as USD, GTQ, MXN, COP or BRL"
        ).format(value=repr(value))
    )


def language_of(locale: str) -> str:
    """The catalogue a locale reads: ``es_MX`` -> ``es``, ``pt_BR`` -> ``pt_BR``, else ``en``."""
    loc = locale.replace("-", "_")
    if loc in CATALOGUES:
        return loc
    lang = loc.split("_")[0]
    if lang == "pt":
        return "pt_BR"  # the one Portuguese catalogue
    return lang if lang in CATALOGUES else DEFAULT_LOCALE


@cache
def translations_for(locale: str) -> gettext.NullTranslations:
    """The catalogue for ``locale`` (compiled in memory from its .po), or English."""
    lang = language_of(locale)
    po = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if lang == DEFAULT_LOCALE or not po.is_file():
        return gettext.NullTranslations()
    with po.open("rb") as f:
        catalog = read_po(f, locale=lang, domain=DOMAIN)
    buf = io.BytesIO()
    write_mo(buf, catalog)  # fuzzy entries left out, as msgfmt does
    buf.seek(0)
    return gettext.GNUTranslations(buf)


@contextmanager
def use_locale(locale: str | None) -> Iterator[None]:
    """Translate and format in ``locale`` inside the block (None: keep the current one)."""
    if locale is None:
        yield
        return
    token = _current.set(locale.replace("-", "_"))
    try:
        yield
    finally:
        _current.reset(token)


def current_locale() -> str:
    """The locale of the current block (``en`` outside any)."""
    return _current.get()


def _(message: str) -> str:
    """``message`` translated into the current locale."""
    return translations_for(_current.get()).gettext(message)


def N_(message: str) -> str:
    """Mark ``message`` for extraction only; translate it later with ``_(message)``."""
    return message


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form for ``n`` in the current locale."""
    return translations_for(_current.get()).ngettext(singular, plural, n)


def _babel_locale() -> str:
    loc = _current.get()
    try:
        return str(Locale.parse(loc))
    except (UnknownLocaleError, ValueError):
        return DEFAULT_LOCALE


def _finite(x: float | None) -> bool:
    return x is not None and not (isinstance(x, float) and not math.isfinite(x))


def format_number(x: float | None, digits: int = 0, unit: str = "", grouped: bool = True) -> str:
    """``x`` grouped (unless ``grouped`` is False: a meter's register value, 98000), with
    ``digits`` decimals, in the current locale ('—' for missing)."""
    if x is None or not _finite(float(x)):
        return MISSING
    pattern = ("#,##0" if grouped else "0") + ("." + "0" * digits if digits > 0 else "")
    # the float's exact binary value, so rounding matches Python's own formatting (2.675 -> 2.67)
    s = format_decimal(Decimal(float(x)), pattern, locale=_babel_locale())
    return f"{s} {unit}".strip()


def significant_decimals(x: float, sig: int) -> int:
    """The decimals ``{x:.{sig}g}`` would show (trailing zeros dropped): 0.000612 -> 6."""
    text = f"{abs(x):.{sig}g}"
    if "e" in text:
        mantissa, exp = text.split("e")
        decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
        return max(0, decimals - int(exp))
    return len(text.split(".")[1]) if "." in text else 0


def format_significant(x: float | None, sig: int = 3, unit: str = "", grouped: bool = True) -> str:
    """``x`` to ``sig`` significant digits (like ``:g``, never in e-notation) in the current
    locale: 0.104 and 0.000612 in en, 0,104 and 0,000612 in es_CO ('—' for missing)."""
    if x is None or not _finite(float(x)):
        return MISSING
    return format_number(x, significant_decimals(float(x), sig), unit, grouped)


def format_percent(x: float | None, digits: int = 0) -> str:
    """A fraction as a percentage in the current locale's pattern: 0.905 -> '91%', '90,5 %'."""
    if x is None or not _finite(float(x)):
        return MISSING
    loc = Locale.parse(_babel_locale())
    pattern = parse_pattern(loc.percent_formats[None].pattern)
    pattern.frac_prec = (digits, digits)
    return str(pattern.apply(Decimal(float(x)), loc))


def format_date(d: date | datetime | str | None, style: str = "medium") -> str:
    """A calendar date in the current locale (``7 mar 2025``); ISO strings are parsed."""
    if d is None:
        return MISSING
    if isinstance(d, str):
        d = date.fromisoformat(d[:10])
    if isinstance(d, datetime):
        d = d.date()
    return str(_babel_date(d, style, locale=_babel_locale()))


def format_datetime(t: datetime | str, style: str = "short") -> str:
    """A local date and time in the current locale (``7/03/2025, 2:05 p. m.``)."""
    if isinstance(t, str):
        t = datetime.fromisoformat(t)
    return str(_babel_datetime(t.replace(tzinfo=None), style, locale=_babel_locale()))


def format_pattern(d: date, pattern: str) -> str:
    """A date in a CLDR pattern (``d MMM y``) with the current locale's month names."""
    return str(_babel_date(d, pattern, locale=_babel_locale()))


def format_month(month: str | date) -> str:
    """A calendar month (``2025-03``) as the locale writes it: ``Mar 2025``, ``mar 2025``."""
    d = date.fromisoformat(month + "-01") if isinstance(month, str) else month
    return str(format_skeleton("yMMM", d, locale=_babel_locale()))


def currency_name(code: str) -> str:
    """The currency's name in the current locale (``quetzal``)."""
    return str(get_currency_name(code, locale=_babel_locale()))
