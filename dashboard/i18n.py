"""gettext for every user-facing string of the dashboard.

``_("text")`` translates in the locale of the request being served (``plantmeter.i18n``'s
context variable, which the locale middleware sets; English outside a request). The catalogues
are PlantMeter's one shared set (``plantmeter/locale/<lang>/LC_MESSAGES/plantmeter.po``:
``es``, ``pt_BR``; see ``plantmeter.i18n``), so numbers and dates on the pages format in the same
locale with ``plantmeter.i18n.format_*``. Templates use Jinja2's ``i18n`` extension
(``{% trans %}``, ``_()``) wired to the same per-request translations. The locale is the user's
own (``users.locale``, a full locale such as ``es_GT``) or the best match of the request's
``Accept-Language``; it is kept on ``request.state.locale``.
"""

from __future__ import annotations

import gettext
from collections.abc import Iterator
from contextlib import contextmanager

from jinja2 import Environment

from plantmeter import i18n as shared

__all__ = [
    "DEFAULT_LOCALE",
    "LOCALE_DIR",
    "_",
    "available_locales",
    "install_jinja",
    "negotiate",
    "ngettext",
    "translations_for",
    "use_locale",
]

DOMAIN = shared.DOMAIN
DEFAULT_LOCALE = shared.DEFAULT_LOCALE
LOCALE_DIR = shared.LOCALE_DIR


def translations_for(locale: str) -> gettext.NullTranslations:
    """The catalogue of ``locale`` (``es_MX`` reads ``es``; ``pt-BR``), English without one."""
    return shared.translations_for(locale.replace("-", "_"))


def available_locales() -> list[str]:
    """English plus every locale that has a catalogue (``es``, ``pt_BR``)."""
    found = [c for c in shared.CATALOGUES if (LOCALE_DIR / c / "LC_MESSAGES").is_dir()]
    return [DEFAULT_LOCALE, *found]


def negotiate(accept_language: str | None, available: list[str] | None = None) -> str:
    """The best available locale for an ``Accept-Language`` header (English when none fits)."""
    choices = available if available is not None else available_locales()
    if not accept_language:
        return DEFAULT_LOCALE
    ranked: list[tuple[float, str]] = []
    for part in accept_language.split(",")[:20]:
        tag, _sep, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        if tag:
            ranked.append((q, tag.strip()))
    for _q, tag in sorted(ranked, key=lambda x: -x[0]):
        t = tag.replace("_", "-").lower()
        for c in choices:
            cc = c.replace("_", "-").lower()
            if t == cc or t.split("-")[0] == cc.split("-")[0]:
                return _full(tag, c)
    return DEFAULT_LOCALE


def _full(tag: str, choice: str) -> str:
    """The locale to serve: the browser's own full tag when it is a valid locale of the chosen
    language (``es-CO`` -> ``es_CO``, so numbers format as Colombia writes them), else the
    catalogue's name (``es``; a bare ``es`` then formats like CLDR's ``es``)."""
    try:
        full = shared.check_locale(tag)
    except ValueError:
        return choice
    return full if full.split("_")[0] == choice.split("_")[0] else choice


@contextmanager
def use_locale(locale: str) -> Iterator[None]:
    """Translate ``_()`` and format into ``locale`` inside the block (the middleware wraps each
    request)."""
    with shared.use_locale(locale):
        yield


def _(message: str) -> str:
    """``message`` translated into the current request's locale."""
    return translations_for(shared.current_locale()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form for ``n`` in the current request's locale."""
    return translations_for(shared.current_locale()).ngettext(singular, plural, n)


def install_jinja(env: Environment) -> None:
    """Add the ``i18n`` extension to ``env``, translating with the request's locale."""
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=_, ngettext=ngettext, newstyle=True
    )
