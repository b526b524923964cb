"""Render a ``Document`` to HTML (self-contained, inline SVG), PDF (vector) or JSON.

Pure layout: every figure arrives formatted in the Document. Charts are drawn with
matplotlib (Agg): SVG inlined in the HTML; in the PDF every page is a matplotlib figure
written by ``PdfPages`` with TrueType (Type 42) fonts, so text is extractable and the charts
stay vector.
"""

from __future__ import annotations

import html
import io
import json
import logging
import textwrap
import threading
from pathlib import Path
from typing import Any

import matplotlib
import matplotlib.dates as mdates
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from plantmeter.i18n import _, use_locale

from .document import Chart, Document, Table

__all__ = ["draw_chart", "to_html", "to_json", "to_pdf", "write"]

logger = logging.getLogger(__name__)

PAGE = (8.27, 11.69)  # A4 portrait, inches
MARGIN = 0.6
COLORS = ["#1f5f8b", "#d1495b", "#2e933c", "#edae49", "#6c4f9c"]
# matplotlib's rcParams are process-wide and rc_context changes them for every thread while it
# runs, so renders take turns (a dashboard renders from a thread pool). Figures are built with
# the object API (Figure, no pyplot): no global figure registry, no backend switch at import.
_RC_LOCK = threading.RLock()
RC = {
    "svg.hashsalt": "plantmeter",  # reproducible SVG ids: the same document renders the same HTML
    "pdf.fonttype": 42,
    "svg.fonttype": "none",
    "font.size": 8,
    "font.family": "DejaVu Sans",
}


def draw_chart(ax: Any, chart: Chart) -> None:
    """Draw ``chart`` on a matplotlib Axes (shared by the SVG and PDF paths)."""
    x = chart.x
    ax.set_title(chart.title, fontsize=9, loc="left")
    if not x:  # never an empty axis at 1970: say there is nothing to draw
        ax.text(0.5, 0.5, _("no data in this period"), ha="center", va="center", color="#777")
        ax.set_xticks([])
        ax.set_yticks([])
        return
    for i, s in enumerate(chart.series):
        c = COLORS[i % len(COLORS)]
        vals = [float("nan") if v is None else v for v in s.values]
        if s.style == "bar":
            cat = isinstance(x[0], str)
            step = 1.0 if cat or len(x) < 2 else (x[1] - x[0]).total_seconds() / 86400
            ax.bar(
                range(len(x)) if cat else x,
                vals,
                color=c,
                alpha=0.75,
                label=s.name,
                width=0.8 * step,
                align="center" if cat else "edge",
            )
        elif s.style == "step":
            ax.step(x, vals, where="post", color=c, label=s.name, lw=1.4)
        else:
            ax.plot(x, vals, color=c, label=s.name, lw=1.2, ls="--" if s.style == "dashed" else "-")
        if s.band is not None:
            ax.fill_between(
                x,
                s.band[0],
                s.band[1],
                color=c,
                alpha=0.2,
                lw=0,
                label=_("{series}: 90 % interval").format(series=s.name),
            )
    for xv, label in chart.vlines:
        ax.axvline(xv, color="#555", lw=0.8, ls=":")
        ax.annotate(
            label,
            (xv, 1.0),
            xycoords=("data", "axes fraction"),
            fontsize=6.5,
            rotation=90,
            va="top",
            ha="right",
            color="#333",
        )
    if x and isinstance(x[0], str):
        ax.set_xticks(range(len(x)), x, rotation=45, ha="right", fontsize=6.5)
    else:
        ax.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=3, maxticks=10))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m-%d"))
        for lab in ax.get_xticklabels():
            lab.set_rotation(30)
            lab.set_ha("right")
    ax.set_title(chart.title, fontsize=9, loc="left")
    ax.set_ylabel(chart.ylabel)
    ax.grid(alpha=0.3, lw=0.5)
    ax.legend(fontsize=6.5, loc="best", frameon=False)


def _svg(chart: Chart) -> str:
    with _RC_LOCK, matplotlib.rc_context(RC):
        fig = Figure(figsize=(7.2, 2.8))
        draw_chart(fig.add_subplot(), chart)
        fig.tight_layout()
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None})  # reproducible
    text = buf.getvalue()
    return text[text.index("<svg") :]


def _html_table(t: Table) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in t.headers)
    rows = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in t.rows
    )
    cap = f"<caption>{html.escape(t.title)}</caption>" if t.title else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


CSS = """body{font-family:DejaVu Sans,Helvetica,Arial,sans-serif;max-width:60em;margin:2em auto;
color:#222;font-size:14px}h1{font-size:1.5em;margin-bottom:.2em}.meta{color:#555;font-size:.85em}
.summary{background:#eef4f8;border-left:4px solid #1f5f8b;padding:.6em 1em;font-size:1.05em}
table{border-collapse:collapse;margin:.6em 0;font-size:.85em}th,td{border-bottom:1px solid #ccc;
padding:.2em .6em;text-align:right}th:first-child,td:first-child{text-align:left}
caption{text-align:left;font-weight:bold;padding:.3em 0}svg{max-width:100%;height:auto}"""


def to_html(doc: Document) -> str:
    """A self-contained HTML page (inline CSS and SVG, no network), in the document's locale."""
    with use_locale(doc.locale):
        return _to_html(doc)


def _to_html(doc: Document) -> str:
    lang = doc.locale.replace("_", "-")
    parts = [
        f"<!DOCTYPE html><html lang='{html.escape(lang)}'><head><meta charset='utf-8'>",
        f"<title>{html.escape(doc.title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{html.escape(doc.title)}</h1>",
        "".join(f"<div class='meta'>{html.escape(m)}</div>" for m in doc.meta),
        f"<p class='summary'>{html.escape(doc.summary)}</p>",
    ]
    for s in doc.sections:
        parts.append(f"<h2>{html.escape(s.heading)}</h2>")
        parts += [f"<p>{html.escape(p)}</p>" for p in s.paragraphs]
        parts += [_html_table(t) for t in s.tables]
        parts += [f"<figure>{_svg(c)}</figure>" for c in s.charts]
    parts.append("</body></html>")
    return "\n".join(parts)


def to_json(doc: Document) -> str:
    return json.dumps(
        {"title": doc.title, "summary": doc.summary, "meta": doc.meta, **doc.data},
        indent=2,
        ensure_ascii=False,
    )


class _Pages:
    """Top-down layout on A4 matplotlib figures (coordinates in inches from the top)."""

    def __init__(self, pdf: PdfPages, title: str) -> None:
        self.pdf, self.title, self.n = pdf, title, 0
        self.fig: Figure | None = None
        self.y = 0.0

    def _new(self) -> None:
        self.close_page()
        self.fig = Figure(figsize=PAGE)
        self.n += 1
        self.fig.text(
            MARGIN / PAGE[0],
            0.3 / PAGE[1],
            _("{title} — page {n}").format(title=self.title, n=self.n),
            fontsize=6.5,
            color="#777",
        )
        self.y = MARGIN

    def close_page(self) -> None:
        if self.fig is not None:
            self.pdf.savefig(self.fig)
            self.fig = None

    def need(self, h: float) -> Figure:
        if self.fig is None or self.y + h > PAGE[1] - MARGIN:
            self._new()
        assert self.fig is not None
        return self.fig

    def text(
        self,
        s: str,
        size: float = 8.5,
        weight: str = "normal",
        width: int = 110,
        color: str = "#222",
        gap: float = 0.05,
    ) -> None:
        lines = textwrap.wrap(s, width=width) or [""]
        h = size / 72 * 1.35
        for line in lines:
            fig = self.need(h)
            fig.text(
                MARGIN / PAGE[0],
                1 - (self.y + h * 0.8) / PAGE[1],
                line,
                fontsize=size,
                fontweight=weight,
                color=color,
            )
            self.y += h
        self.y += gap

    def table(self, t: Table) -> None:
        if t.title:
            self.need(0.6)
            self.text(t.title, size=8, weight="bold")
        rows = [list(t.headers), *(list(r) for r in t.rows)]
        usable = (PAGE[0] - 2 * MARGIN) * 72  # points
        widths = _column_widths(rows)  # points at 1 pt font size, gap included
        size = min(7.5, usable / max(sum(widths), 1e-9))
        if size < MIN_SIZE:  # too wide: wrap the widest column so the rest stays readable
            size = MIN_SIZE
            k = max(range(len(widths)), key=lambda i: widths[i])
            room = usable / size - (sum(widths) - widths[k]) - GAP_EM
            chars = max(12, int(room / AVG_EM))
            for row in rows:
                if k < len(row):
                    row[k] = "\n".join(textwrap.wrap(row[k], width=chars)) or ""
            widths = _column_widths(rows)
            size = min(MIN_SIZE, usable / max(sum(widths), 1e-9))
        xs, acc = [], 0.0
        for w in widths:
            xs.append(MARGIN + acc / 72)
            acc += w * size
        line = size / 72 * 1.45
        lines = [max(c.count("\n") + 1 for c in row) if row else 1 for row in rows]
        if sum(lines) * line < PAGE[1] / 3:
            self.need(sum(lines) * line)  # keep a short table on one page
        for k, row in enumerate(rows):
            h = line * lines[k]
            fig = self.need(h)
            for x, cell in zip(xs, row, strict=False):
                for j, part in enumerate(cell.split("\n")):
                    fig.text(
                        x / PAGE[0],
                        1 - (self.y + line * (j + 0.8)) / PAGE[1],
                        part,
                        fontsize=size,
                        fontweight="bold" if k == 0 else "normal",
                    )
            self.y += h
        self.y += 0.1

    def chart(self, c: Chart) -> None:
        h = 2.7
        fig = self.need(h)
        ax = fig.add_axes(
            (
                (MARGIN + 0.5) / PAGE[0],
                1 - (self.y + h - 0.45) / PAGE[1],
                (PAGE[0] - 2 * MARGIN - 0.6) / PAGE[0],
                (h - 0.75) / PAGE[1],
            )
        )
        draw_chart(ax, c)
        self.y += h + 0.1


MIN_SIZE = 5.5  # smallest table font (pt) before the widest column is wrapped
GAP_EM = 1.2  # space between table columns, in ems
AVG_EM = 0.55  # average character width, in ems, for wrapping


def _column_widths(rows: list[list[str]]) -> list[float]:
    """Each column's widest cell in points at a 1 pt font (bold header), plus the gap.

    Measured with the font itself, so capitals ("NOT MET") and digits get their real width.
    """
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    ttp = TextToPath()
    out: list[float] = []
    n = max(len(r) for r in rows)
    for i in range(n):
        best = 0.0
        for k, row in enumerate(rows):
            if i >= len(row):
                continue
            prop = FontProperties(
                family=str(RC["font.family"]), size=10, weight="bold" if k == 0 else "normal"
            )
            for part in row[i].split("\n"):
                if part:
                    w, _, _ = ttp.get_text_width_height_descent(part, prop, ismath=False)
                    best = max(best, w / 10)
        out.append(best + GAP_EM)
    return out


def to_pdf(doc: Document, path: Path) -> int:
    """Write the PDF; returns the number of pages."""
    with (
        use_locale(doc.locale),
        _RC_LOCK,
        matplotlib.rc_context(RC),
        PdfPages(path, metadata={"Title": doc.title, "CreationDate": None}) as pdf,
    ):
        pages = _Pages(pdf, doc.title)
        pages.text(doc.title, size=14, weight="bold", width=70, gap=0.08)
        for m in doc.meta:
            pages.text(m, size=7, color="#555", width=130, gap=0.0)
        pages.y += 0.1
        pages.text(doc.summary, size=9.5, width=95, color="#1f3f5b", gap=0.15)
        for s in doc.sections:
            pages.need(0.8)
            pages.text(s.heading, size=11, weight="bold", gap=0.06)
            for p in s.paragraphs:
                pages.text(p)
            for t in s.tables:
                pages.table(t)
            for c in s.charts:
                pages.chart(c)
        pages.close_page()
        return pages.n


def write(doc: Document, path: str | Path) -> Path:
    """Write ``doc`` as .pdf, .html or .json (chosen by the suffix)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        to_pdf(doc, path)
    elif suffix in (".html", ".htm"):
        path.write_text(to_html(doc), encoding="utf-8")
    elif suffix == ".json":
        path.write_text(to_json(doc), encoding="utf-8")
    else:
        from plantmeter.errors import ConfigError

        raise ConfigError(f"--out {path}: use a .pdf, .html or .json file name")
    logger.info("wrote %s", path)
    return path
