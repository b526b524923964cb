"""The portfolio report in the fund's language (issue #15): Spanish and Portuguese headings, the
locale's number format, each site's ± 90 % band and completeness (a figure in a report states
its uncertainty and completeness), read back from the PDF with pdftotext."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from portfolio import portfolio_document, portfolio_summary
from services import write

from .conftest import Tiny


def _pdf_text(pdf: Path) -> str:
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True)
    return re.sub(r"[ \u00a0\u202f]+", " ", out.stdout.decode())


def _grouped(x: float, comma_decimal: bool) -> str:
    """``x`` rounded, with thousands separators written out by hand (1,234 or 1.234)."""
    s = f"{x:,.0f}"
    return s.replace(",", ".") if comma_decimal else s


@pytest.mark.parametrize(
    ("locale", "words", "comma_decimal"),
    [
        (
            "es_CO",
            ["Informe de cartera", "Sitios", "Préstamos en riesgo", "Totales de la cartera"],
            True,
        ),
        ("pt_BR", ["Relatório da carteira", "Totais da carteira", "CO2e evitado"], True),
        ("es_MX", ["Informe de cartera", "ahorros verificados"], False),
    ],
)
def test_the_report_speaks_the_funds_language_with_band_and_completeness(
    tiny: Tiny, tmp_path: Path, locale: str, words: list[str], comma_decimal: bool
) -> None:
    summary = portfolio_summary(tiny.in_process, tiny.loaded)
    text = _pdf_text(write(portfolio_document(summary, locale), tmp_path / "p.pdf"))
    for word in words:
        assert word in text, (word, text[:800])
    for english in ("Portfolio report", "Sites ranked", "Loans at risk", "avoided CO2e"):
        assert english not in text
    for r in summary.ranked:
        assert r.verified_cost is not None and r.verified_cost_band_90 is not None
        assert r.completeness is not None and 0 < r.completeness <= 1
        line = next(line for line in text.splitlines() if r.site in line)
        for figure in (r.verified_cost, r.verified_cost_band_90):
            assert _grouped(figure, comma_decimal) in line, (figure, line)
        assert f"{r.completeness:.0%}".replace("%", "") in line.replace("\u00a0", ""), line


def test_the_json_keeps_english_keys_and_raw_numbers(tiny: Tiny) -> None:
    summary = portfolio_summary(tiny.in_process, tiny.loaded)
    doc = portfolio_document(summary, "pt_BR")
    site = doc.data["sites"][0]
    assert {"verified_cost", "verified_cost_band_90", "completeness", "shortfall"} <= set(site)
    assert isinstance(site["verified_cost"], float)
