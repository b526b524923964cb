"""The document model every report is turned into before rendering.

Report builders compute every number and put the figures, already formatted, into a
``Document`` (plus ``data``: the same numbers, unformatted, for the JSON output). The
renderers in ``render.py`` only lay this out: no arithmetic happens there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from plantmeter.i18n import DEFAULT_LOCALE, format_number, format_percent
from plantmeter.text import Text

__all__ = ["Chart", "Document", "Section", "Series", "Table", "fmt", "fmt_band", "jsonable", "pct"]


@dataclass(frozen=True)
class Series:
    name: str
    values: list[float | None]
    style: Literal["line", "bar", "step", "dashed"] = "line"
    band: tuple[list[float], list[float]] | None = None  # (low, high) per point


@dataclass(frozen=True)
class Chart:
    title: str
    x: list[Any]  # dates or category labels
    series: list[Series]
    ylabel: str = ""
    vlines: list[tuple[Any, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Table:
    headers: list[str]
    rows: list[list[str]]
    title: str = ""


@dataclass
class Section:
    heading: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)


@dataclass
class Document:
    title: str
    summary: str
    meta: list[str]
    sections: list[Section]
    data: dict[str, Any]
    locale: str = (
        DEFAULT_LOCALE  # the texts' and figures' locale (the HTML's lang, the charts' dates)
    )


def fmt(x: float | None, digits: int = 0, unit: str = "") -> str:
    """Thousands-separated number in the current locale (``plantmeter.i18n.use_locale``), '—' for
    missing: 1,234.5 in en and es_MX, 1.234,5 in es_CO and pt_BR."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "—"
    return format_number(x, digits, unit)


def fmt_band(x: float | None, band: float | None, digits: int = 0, unit: str = "") -> str:
    if x is None:
        return "—"
    if band is None:
        return fmt(x, digits, unit)
    return f"{format_number(x, digits)} ± {format_number(band, digits)} {unit}".strip()


def pct(x: float | None, digits: int = 0) -> str:
    """A fraction as a percentage in the current locale, '—' for missing."""
    return "—" if x is None else format_percent(x, digits)


def jsonable(v: Any) -> Any:
    """Dates to ISO strings, NaN/inf to None, texts in English, recursively."""
    if isinstance(v, Text):
        return v.english()
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, date | datetime):
        return v.isoformat()
    if isinstance(v, dict):
        return {str(k): jsonable(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [jsonable(x) for x in v]
    if hasattr(v, "item") and callable(v.item):  # numpy scalars
        return jsonable(v.item())
    return v
