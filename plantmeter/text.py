"""Sentences built at computation time and read later, in the reader's language (``Text``).

The verification engine, the loan and audit reports and the detectors explain themselves in
sentences with numbers in them ("25 of 30 days have complete data (83% < 90% required)"). Such
a sentence is decided when the figures are computed, but read later, by people with different
locales: a PDF in es_GT, a dashboard in pt_BR, the JSON in English. So it is kept as what it
is, a gettext message id (the English sentence, with named placeholders) and its parameters,
and only turned into words when shown:

* ``str(text)`` / ``text.render()`` — in the current locale (``plantmeter.i18n.use_locale``),
  the message translated and every parameter formatted there (``1.234,5`` in pt_BR);
* ``text.english()`` — the English sentence, what the JSON and the API keep;
* ``text.to_json()`` / ``Text.from_json()`` — a plain dict to store (a flag's message), read
  back into a ``Text``.

Parameters are typed, so each is formatted for the reader: ``Num`` (a number with its decimals
and unit), ``Pct`` (a fraction as a percentage), ``Day`` (a calendar date), ``Term`` (one of the
words of ``reports.words``: a status, a kind), a nested ``Text``, a ``Join`` of several, or a
plain ``str`` / ``int`` shown as it is (ids, titles, digests).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Union

from .i18n import (
    _,
    format_date,
    format_number,
    format_pattern,
    format_percent,
    significant_decimals,
    use_locale,
)

__all__ = [
    "Day",
    "Duration",
    "Join",
    "Num",
    "Param",
    "Pct",
    "Term",
    "Text",
    "english",
    "englished",
    "joined",
    "render",
    "stored",
    "stored_text",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Num:
    """A number: ``digits`` decimals (``None``: as many as it needs, up to ``sig`` significant
    digits), an optional unit, ``signed`` for an explicit + on positives, and ``grouped`` False
    for a meter's register value (98000, not 98,000)."""

    value: float | None
    digits: int | None = 0
    unit: str = ""
    signed: bool = False
    sig: int = 6
    grouped: bool = True

    def render(self) -> str:
        if self.value is None:
            return format_number(None)
        x = float(self.value)
        digits = self.digits if self.digits is not None else significant_decimals(x, self.sig)
        text = format_number(abs(x) if self.signed else x, digits, self.unit, self.grouped)
        if self.signed:
            return ("+" if x >= 0 else "-") + text
        return text


@dataclass(frozen=True, slots=True)
class Pct:
    """A fraction shown as a percentage in the locale's pattern (0.905 -> 91%, 90,5 %)."""

    value: float | None
    digits: int = 0

    def render(self) -> str:
        return format_percent(self.value, self.digits)


@dataclass(frozen=True, slots=True)
class Day:
    """A calendar date as the locale writes it (``1/09/2025``, ``1 de set. de 2025``), or in a
    CLDR ``pattern`` with the locale's month names (``d MMM y``: ``1 Oct 2025``, ``1 oct 2025``)."""

    value: date | str
    pattern: str = ""

    def render(self) -> str:
        if not self.pattern:
            return format_date(self.value)
        d = date.fromisoformat(self.value[:10]) if isinstance(self.value, str) else self.value
        return format_pattern(d, self.pattern)


@dataclass(frozen=True, slots=True)
class Duration:
    """A length of time in hours and minutes (``26 h``, ``1 h 30 min``): the unit symbols read
    the same in English, Spanish and Portuguese."""

    seconds: float

    def render(self) -> str:
        minutes = int(round(self.seconds / 60.0))
        h, m = divmod(minutes, 60)
        if h and m:
            return f"{format_number(h)} h {m} min"
        return f"{format_number(h)} h" if h else f"{m} min"


@dataclass(frozen=True, slots=True)
class Term:
    """A data word (a status, a kind) translated when the catalogue has it, else as it is."""

    value: str

    def render(self) -> str:
        return _(self.value) if self.value else self.value


@dataclass(frozen=True, slots=True)
class Join:
    """Several parameters shown one after the other with ``sep`` between them."""

    parts: tuple[Param, ...]
    sep: str = "; "

    def render(self) -> str:
        return self.sep.join(_param(p) for p in self.parts)


Param = Union[str, int, float, Num, Pct, Day, Duration, Term, Join, "Text"]


class Text:
    """A gettext message id and its parameters, rendered in the reader's locale when shown.

    Equal, hashable and ordered by its English sentence, so sets and ``sorted`` of texts
    behave as they did on plain strings.
    """

    __slots__ = ("msgid", "params")

    def __init__(self, msgid: str, **params: Param) -> None:
        self.msgid = msgid
        self.params: dict[str, Param] = params

    def render(self) -> str:
        """The sentence in the current locale (English outside any ``use_locale`` block)."""
        values = {k: _param(v) for k, v in self.params.items()}
        try:
            return _(self.msgid).format(**values)
        except (KeyError, IndexError, ValueError):  # a broken translation: the English one
            return self.msgid.format(**values)

    def english(self) -> str:
        """The English sentence, as the JSON and the API keep it."""
        with use_locale("en"):
            return self.render()

    def __str__(self) -> str:
        return self.render()

    def __repr__(self) -> str:
        return f"Text({self.msgid!r}, **{self.params!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Text) and self.english() == other.english()

    def __hash__(self) -> int:
        return hash(self.english())

    def __lt__(self, other: Text) -> bool:
        return self.english() < other.english()

    def __add__(self, other: Text) -> Text:
        """Two sentences as one (``reason + "; extrapolated"``), each translated on its own."""
        return Text("{first}{second}", first=self, second=other)

    def dumps(self) -> str:
        """``to_json`` as a JSON string (what a flag's ``message`` stores)."""
        return json.dumps(self.to_json(), ensure_ascii=False, separators=(",", ":"))

    def to_json(self) -> dict[str, Any]:
        """A plain dict to store; ``Text.from_json`` reads it back."""
        return {"id": self.msgid, "params": {k: _encode(v) for k, v in self.params.items()}}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Text:
        """The text ``to_json`` stored (ValueError when it is not one)."""
        if not isinstance(data, Mapping) or not isinstance(data.get("id"), str):
            raise ValueError(f"not a stored text: {data!r}")
        params = data.get("params") or {}
        return cls(data["id"], **{str(k): _decode(v) for k, v in params.items()})


def stored_text(message: str, fallback: str) -> Text | str:
    """A stored message (``Text.dumps``) read back, or ``fallback`` (the English text stored
    beside it) when there is none or it cannot be read: flags written before messages were
    stored, or by a newer PlantMeter, stay readable."""
    if not message:
        return fallback
    try:
        return Text.from_json(json.loads(message))
    except (ValueError, TypeError, KeyError) as exc:
        logger.debug("stored message unreadable (%s): %r", exc, message[:200])
        return fallback


def stored(message: str, fallback: str) -> str:
    """``stored_text`` in the current locale."""
    return render(stored_text(message, fallback))


def render(value: str | Text) -> str:
    """``value`` in the current locale: a ``Text`` rendered, a plain string as it is."""
    return value.render() if isinstance(value, Text) else value


def english(value: str | Text) -> str:
    """``value`` in English: a ``Text``'s English sentence, a plain string as it is."""
    return value.english() if isinstance(value, Text) else value


def englished(value: Any) -> Any:
    """``value`` with every ``Text`` inside it (dicts, lists, tuples) turned into English."""
    if isinstance(value, Text):
        return value.english()
    if isinstance(value, dict):
        return {k: englished(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(englished(v) for v in value)
    return value


def joined(parts: Iterable[Param], sep: str = "; ") -> Join:
    """``Join`` of ``parts`` (any iterable)."""
    return Join(tuple(parts), sep)


def _param(value: Param) -> str:
    if isinstance(value, Num | Pct | Day | Duration | Term | Join | Text):
        return value.render()
    if isinstance(value, float):
        return format_number(value, significant_decimals(value, 6))
    if isinstance(value, date | datetime):
        return format_date(value)
    return str(value)


def _encode(value: Param) -> Any:
    if isinstance(value, Text):
        return {"text": value.to_json()}
    if isinstance(value, Num):
        return {
            "num": None if value.value is None else float(value.value),
            "digits": value.digits,
            "unit": value.unit,
            "signed": value.signed,
            "sig": value.sig,
            "grouped": value.grouped,
        }
    if isinstance(value, Pct):
        return {"pct": None if value.value is None else float(value.value), "digits": value.digits}
    if isinstance(value, Day):
        return {"day": str(value.value), "pattern": value.pattern}
    if isinstance(value, Duration):
        return {"seconds": value.seconds}
    if isinstance(value, Term):
        return {"term": value.value}
    if isinstance(value, Join):
        return {"join": [_encode(p) for p in value.parts], "sep": value.sep}
    if hasattr(value, "item") and callable(value.item):  # a numpy scalar
        return value.item()
    return value


def _decode(value: Any) -> Param:
    if not isinstance(value, dict):
        return value  # type: ignore[no-any-return]
    if "text" in value:
        return Text.from_json(value["text"])
    if "num" in value:
        return Num(
            value["num"],
            value.get("digits", 0),
            value.get("unit", ""),
            bool(value.get("signed")),
            value.get("sig", 6),
            bool(value.get("grouped", True)),
        )
    if "pct" in value:
        return Pct(value["pct"], value.get("digits", 0))
    if "day" in value:
        return Day(value["day"], value.get("pattern", ""))
    if "seconds" in value:
        return Duration(float(value["seconds"]))
    if "term" in value:
        return Term(value["term"])
    if "join" in value:
        return Join(tuple(_decode(p) for p in value["join"]), value.get("sep", "; "))
    raise ValueError(f"not a stored text parameter: {value!r}")
