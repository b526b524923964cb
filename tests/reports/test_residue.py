"""No English left in a Spanish or Portuguese report (issue #15): the deep texts too.

A Guatemalan dairy writes its plan in Spanish (its options' titles, its covenants, its
amendments, its areas: the simulated dairy's plan with those texts put into Spanish, money in
GTQ, the site in es_GT) and runs ``plantmeter flags``, so the reports carry the detectors' flags
as well as the verification's reasons, caveats, covenant evidence and annualisation notes. The
loan, audit and consumption PDFs in es_GT and pt_BR must then contain no English-only word
(``tests/residue.py``); a failure lists the lines.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from ingest.stores import open_store
from plantmeter_app.cli import main
from reports.approval import approve
from reports.load import load_plan
from tests.dairy import Dairy
from tests.residue import english_lines

SPANISH = {  # what the plant wrote in English in the example, as a Guatemalan plant writes it
    "Compressed-air leak repair": "Reparación de fugas de aire comprimido",
    "Recycle final CIP rinse water": "Reciclaje del agua del enjuague final CIP",
    "Variable-speed drive on refrigeration compressors": "Variadores de velocidad en los "
    "compresores de refrigeración",
    "Switch the compressor off on Sundays and holidays": "Apagar el compresor domingos y feriados",
    "LED lighting in the filling hall and cold store": "Iluminación LED en llenado y cámara fría",
    "Heat recovery from refrigeration condensers for CIP hot water": "Recuperación de calor de "
    "los condensadores para el agua caliente del CIP",
    "Green credit line (example development bank)": "Línea de crédito verde (banco de ejemplo)",
    "CP centre revolving fund": "Fondo rotatorio del CPML",
    "verified savings at least 80 % of the promise, cumulative": "ahorros verificados de al "
    "menos 80 % de lo prometido, acumulados",
    "savings cover at least 80 % of the month's repayment": "ahorros de al menos 80 % de la "
    "cuota del mes",
    "rebate tier 1: 10 % of the investment refunded": "reembolso nivel 1: 10 % de la inversión",
    "rebate tier 2: 25 % of the investment refunded": "reembolso nivel 2: 25 % de la inversión",
    "leak survey and repairs done on 2025-04-01 (CP centre visit report 25-014)": "inspección "
    "y reparación de fugas el 2025-04-01 (informe de visita CPML 25-014)",
    "CIP final-rinse recovery tank commissioned on 2025-06-01": "tanque de recuperación del "
    "enjuague final CIP en servicio el 2025-06-01",
    "VSDs commissioned on 2025-09-01, lender's engineer present": "variadores en servicio el "
    "2025-09-01, con el ingeniero del prestamista",
    "Example dairy (milk reception, pasteurising, CIP)": "Lechería de ejemplo (recepción, "
    "pasteurización, CIP)",
    "area: whole site": "area: todo el sitio",
    "area: compressed air": "area: aire comprimido",
    "area: cold store": "area: cámara fría",
    "area: cleaning in place": "area: limpieza CIP",
    "area: filling line": "area: línea de llenado",
    "area: outdoors": "area: exterior",
}
SIGNATORIES = "gerente de planta, auditor del CPML, prestamista"


def _spanish(text: str) -> str:
    for en, es in SPANISH.items():
        text = text.replace(en, es)
    return text


def _text(pdf: Path) -> str:
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True)
    return re.sub(r"[ \u00a0\u202f]+", " ", out.stdout.decode())


@pytest.fixture(scope="module")
def spanish_plant(dairy: Dairy, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The dairy's plan and site in Spanish, over a copy of its store with flags computed."""
    root = tmp_path_factory.mktemp("dairy-es")
    src = dairy.plan_path.parent
    site = _spanish((src / "site.yaml").read_text()).replace(
        "timezone: America/Guatemala}", "timezone: America/Guatemala, locale: es_GT}"
    )
    plan = _spanish((src / "mv-plan.yaml").read_text()).replace("currency: USD", "currency: GTQ")
    assert "locale: es_GT" in site and "Reparación de fugas" in plan and "todo el sitio" in site
    (root / "site.yaml").write_text(site)
    (root / "mv-plan.yaml").write_text(plan)
    shutil.copy(Path(dairy.store_url.removeprefix("sqlite:///")), root / "dairy.db")
    env = {"PLANTMETER_STORE_URL": f"sqlite:///{root / 'dairy.db'}"}
    store = open_store(env["PLANTMETER_STORE_URL"], create=False)
    try:
        approve(
            load_plan(root / "mv-plan.yaml", environ=env), store, SIGNATORIES, date(2025, 3, 20)
        )
    finally:
        store.close()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PLANTMETER_STORE_URL", env["PLANTMETER_STORE_URL"])
        assert main(["flags", "--plan", str(root / "mv-plan.yaml")]) == 0
        yield root / "mv-plan.yaml"


REPORTS = {
    "loan": ["loan", "green-line-1", "--period", "2025-11"],
    "audit": ["audit", "dairy", "--period", "2025-12"],
    "consumption": ["consumption", "--period", "2025-10"],
}


@pytest.mark.parametrize("lang", ["es_GT", "pt_BR"])
def test_no_english_left_in_the_reports(spanish_plant: Path, tmp_path: Path, lang: str) -> None:
    found: dict[str, list[str]] = {}
    texts = {}
    for name, args in REPORTS.items():
        out = tmp_path / f"{name}-{lang}.pdf"
        cmd = ["report", args[0], *args[1:], "--plan", str(spanish_plant), "--out", str(out)]
        assert main([*cmd, "--lang", lang]) == 0
        texts[name] = _text(out)
        found[name] = english_lines(texts[name], lang)
    # the deep texts are there, in the reader's language (not only absent in English)
    if lang == "es_GT":
        assert "el intervalo abarca el umbral" in texts["loan"]
        assert "anualizado a partir de 3 meses (91 días)" in texts["loan"]
        assert "al día más de lo esperado desde el" in texts["consumption"]
    else:
        assert "o intervalo abrange o limite" in texts["loan"]
        assert "anualizado a partir de 3 meses (91 dias)" in texts["loan"]
        assert "por dia acima do esperado desde" in texts["consumption"]
    left = {name: lines for name, lines in found.items() if lines}
    assert not left, "English left in the {} reports:\n{}".format(
        lang,
        "\n".join(f"  {name}: {line}" for name, lines in left.items() for line in lines),
    )
