"""Rendering that a server can run: no pyplot, no backend switch at import, safe from threads."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

from pypdf import PdfReader

from reports.document import Chart, Document, Section, Series, Table
from reports.render import to_html, to_pdf


def document(n: int) -> Document:
    days = [datetime(2025, 10, 1) + timedelta(days=i) for i in range(30)]
    chart = Chart(
        f"use, plant {n}",
        days,
        [Series("kWh", [100.0 + n + i for i in range(30)], band=([90.0] * 30, [110.0 + n] * 30))],
        ylabel="kWh per day",
    )
    section = Section(
        "Use",
        [f"paragraph of plant {n}"],
        [Table(["meter", "kWh"], [["main", f"{n},000"]])],
        [chart],
    )
    return Document(f"Report {n}", f"summary {n}", [f"meta {n}"], [section], {"n": n})


def test_importing_the_renderer_leaves_pyplot_and_the_backend_alone() -> None:
    code = (
        # dict.__getitem__: reading rcParams["backend"] the usual way resolves it (and imports pyplot)
        "import matplotlib; raw = lambda: dict.__getitem__(matplotlib.rcParams, 'backend')\n"
        "before = raw()\n"
        "import sys, reports.render\n"
        "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot imported'\n"
        "assert raw() == before, 'backend switched at import'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[2])


def test_documents_rendered_from_threads_equal_those_rendered_one_by_one(tmp_path: Path) -> None:
    docs = [document(n) for n in range(6)]
    alone = [to_html(d) for d in docs]
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(to_html, docs * 2))
        pages = list(pool.map(lambda d: to_pdf(d, tmp_path / f"{d.data['n']}.pdf"), docs))
    assert together == alone * 2
    assert pages == [1] * 6
    for d in docs:  # each PDF holds its own document's text, not another thread's
        text = PdfReader(tmp_path / f"{d.data['n']}.pdf").pages[0].extract_text()
        assert f"paragraph of plant {d.data['n']}" in text
        assert all(f"plant {m}" not in text for m in range(6) if m != d.data["n"])
