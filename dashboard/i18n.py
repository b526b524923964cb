"""gettext for every user-facing string of the dashboard.

``_("text")`` translates in the locale of the request being served (a context variable the
locale middleware sets; English outside a request). Catalogues are looked up as
``dashboard/locale/<lang>/LC_MESSAGES/plantmeter.mo``; until the Spanish and Portuguese
catalogues land, every locale falls back to ``gettext.NullTranslations`` (English source
strings). Templates use Jinja2's ``i18n`` extension (``{% trans %}``, ``_()``) wired to the same
per-request translations. The locale is the user's own (``users.locale``) or the best match of
the request's ``Accept-Language``; it is kept on ``request.state.locale``.
"""

from __future__ import annotations

import gettext
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path

from jinja2 import Environment

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

DOMAIN = "plantmeter"
DEFAULT_LOCALE = "en"
LOCALE_DIR = Path(__file__).parent / "locale"

_current: ContextVar[str] = ContextVar("plantmeter_locale", default=DEFAULT_LOCALE)


@cache
def translations_for(locale: str) -> gettext.NullTranslations:
    """The catalogue of ``locale`` (``es``, ``pt-BR``), or NullTranslations without one."""
    return gettext.translation(
        DOMAIN, LOCALE_DIR, languages=[locale.replace("-", "_")], fallback=True
    )


def available_locales() -> list[str]:
    """English plus every locale that has a compiled catalogue."""
    found = (
        sorted(p.parents[1].name for p in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.mo"))
        if LOCALE_DIR.is_dir()
        else []
    )
    return [DEFAULT_LOCALE, *[f for f in found if f != DEFAULT_LOCALE]]


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
        for c in choices:
            if tag.lower() == c.lower() or tag.split("-")[0].lower() == c.split("-")[0].lower():
                return c
    return DEFAULT_LOCALE


@contextmanager
def use_locale(locale: str) -> Iterator[None]:
    """Translate ``_()`` into ``locale`` inside the block (the middleware wraps each request)."""
    token = _current.set(locale)
    try:
        yield
    finally:
        _current.reset(token)


def _(message: str) -> str:
    """``message`` translated into the current request's locale."""
    return translations_for(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form for ``n`` in the current request's locale."""
    return translations_for(_current.get()).ngettext(singular, plural, n)


def install_jinja(env: Environment) -> None:
    """Add the ``i18n`` extension to ``env``, translating with the request's locale."""
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=_, ngettext=ngettext, newstyle=True
    )
