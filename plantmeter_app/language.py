"""The language the ``plantmeter`` command speaks, and argparse's own words in it.

**Which language.** Read from the environment the POSIX way, so a terminal already set up in
Spanish or Portuguese gets the CLI in that language with nothing to configure:
``PLANTMETER_LANG`` if set; else GNU gettext's rule: the locale of messages is the first set of
``LC_ALL``, ``LC_MESSAGES``, ``LANG``; if that is unset or ``C``/``POSIX`` the CLI speaks English
(and ``LANGUAGE`` is ignored, as gettext does); otherwise ``LANGUAGE``'s first entry (``pt_BR:es``)
picks the language when it names another one, and the locale's own territory is kept when it
names the same (``LANGUAGE=es`` with ``LANG=es_MX.UTF-8`` is es_MX: the territory decides the
decimal mark). ``es_GT.UTF-8`` is read as ``es_GT`` (the encoding and any ``@modifier`` dropped),
and a bare ``es`` reads the ``es`` catalogue. A language PlantMeter does not speak, or a value that is no
locale at all, gives English: a mistyped variable never stops a command. Reports and e-mails keep
their own language (``--lang``, the site's ``site.locale``, the user's locale): this is only the
language of the command's help, progress lines and error messages.

**argparse's words.** argparse translates its own texts (``usage:``, ``options``, ``the following
arguments are required: %s``, ...) through the module globals ``argparse._`` and
``argparse.ngettext`` (gettext's, on argparse's own domain, which no system ships in Spanish).
``install_argparse_translations`` points them at ``plantmeter.i18n``, so they read our catalogue
in the current locale; the msgids below, copied exactly from Python 3.11's argparse, put them in
that catalogue. The hook changes no behaviour in English (the catalogue is then the identity).
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping

from babel import Locale, UnknownLocaleError

from plantmeter.i18n import DEFAULT_LOCALE, N_, ngettext
from plantmeter.i18n import _ as translate

__all__ = [
    "ARGPARSE_MESSAGES",
    "ENV_VARIABLES",
    "cli_locale",
    "install_argparse_translations",
    "lang_option",
]

ENV_VARIABLES = ("PLANTMETER_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")
"""Where the CLI's language is read (see ``cli_locale`` for the order)."""
_POSIX_ORDER = ("LC_ALL", "LC_MESSAGES", "LANG")

_SPOKEN = ("en", "es", "pt")

# argparse's user-facing messages (Lib/argparse.py, Python 3.11), marked for extraction. The
# developer-facing ones (conflicting option strings, invalid conflict_resolution...) stay English.
ARGPARSE_MESSAGES = (
    N_("usage: "),
    N_("argument %(argument_name)s: %(message)s"),
    N_("unknown parser %(parser_name)r (choices: %(choices)s)"),
    N_("can't open '%(filename)s': %(error)s"),
    N_("positional arguments"),
    N_("options"),
    N_("show this help message and exit"),
    N_("show program's version number and exit"),
    N_("subcommands"),
    N_("unrecognized arguments: %s"),
    N_("not allowed with argument %s"),
    N_("ignored explicit argument %r"),
    N_("the following arguments are required: %s"),
    N_("one of the arguments %s is required"),
    N_("expected one argument"),
    N_("expected at most one argument"),
    N_("expected at least one argument"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("unexpected option string: %s"),
    N_("invalid %(type)s value: %(value)r"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("%(prog)s: error: %(message)s\n"),
)


def _argparse_plurals() -> list[str]:
    """argparse's plural message (``nargs=3`` given two values), listed here so that extraction
    (which reads ``ngettext`` calls) puts it in the catalogue with its plural forms."""
    return [ngettext("expected %s argument", "expected %s arguments", 2)]


def _gettext(message: str) -> str:
    # argparse passes None for an absent subparsers description
    return translate(message) if message else message


def install_argparse_translations() -> None:
    """Make argparse speak the current ``plantmeter.i18n`` locale (idempotent, process-wide:
    other argparse users in the process read the same catalogue, unchanged in English)."""
    argparse._ = _gettext  # type: ignore[attr-defined]
    argparse.ngettext = ngettext  # type: ignore[attr-defined]


def _as_locale(value: str) -> str | None:
    """``es_GT.UTF-8`` -> ``es_GT``; None for C/POSIX or anything that names no locale."""
    text = value.split(":")[0].split(".")[0].split("@")[0].strip().replace("-", "_")
    if not text or text.upper() in ("C", "POSIX"):
        return None
    try:
        return str(Locale.parse(text))
    except (UnknownLocaleError, ValueError, TypeError):
        return ""  # set, but not a locale: English


def _spoken(loc: str | None) -> str:
    return loc if loc and loc.split("_")[0] in _SPOKEN else DEFAULT_LOCALE


def cli_locale(environ: Mapping[str, str]) -> str:
    """The locale the CLI speaks for ``environ`` (see the module docstring); ``en`` by default."""
    own = environ.get("PLANTMETER_LANG", "").strip()
    if own:
        return _spoken(_as_locale(own))
    posix = next((environ[n] for n in _POSIX_ORDER if environ.get(n, "").strip()), "")
    loc = _as_locale(posix) if posix else None
    if loc is None:  # unset or C/POSIX: English, and GNU gettext then ignores LANGUAGE too
        return DEFAULT_LOCALE
    first = environ.get("LANGUAGE", "").strip().split(":")[0]
    preferred = _as_locale(first) if first else None
    if preferred and preferred.split("_")[0] != loc.split("_")[0]:
        return _spoken(preferred)  # LANGUAGE names another language: its messages win
    # the same language (LANGUAGE=es, LANG=es_MX.UTF-8): keep the territory, it decides numbers
    return _spoken(loc if loc else preferred)


def lang_option(value: str | None) -> str | None:
    """``--lang`` as a full locale (es_GT, pt_BR, en), None when not given, or a ConfigError
    naming the fix (a bare ``es`` decides no decimal mark)."""
    if value is None:
        return None
    from plantmeter.errors import ConfigError
    from plantmeter.i18n import check_locale

    try:
        return check_locale(value)
    except ValueError as exc:
        raise ConfigError(
            translate("--lang {value}: {error}").format(value=value, error=exc)
        ) from None
