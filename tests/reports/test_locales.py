"""The loan, audit and consumption reports in Spanish and Portuguese, read back with pdftotext.

The simulated dairy's plan, copied with its money in quetzales (GTQ) and the site's locale set to
es_GT, is approved afresh; its reports must then come out in Spanish by default (the site's
locale), in Portuguese or Colombian Spanish with ``--lang``, with numbers in each locale's own
format (Guatemala and Mexico write 1,160.59; Colombia and Brazil 1.160,59) and the loan's
currency, never USD. The expected numbers are written out here (the annuity formula, separators
swapped by hand), not taken from the code's formatting.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest

from ingest.stores import open_store
from plantmeter_app.cli import main
from reports.approval import approve
from reports.load import load_plan
from tests.dairy import APPROVED_BY, Dairy

PAYMENT = 48000.0 * (0.075 / 12) / (1 - (1 + 0.075 / 12) ** -48)  # the loan's annuity, by hand


def _grouped(x: float, digits: int, comma_decimal: bool) -> str:
    """``x`` with thousands separators: 1,160.59 (comma_decimal False) or 1.160,59 (True)."""
    s = f"{x:,.{digits}f}"
    return s.translate(str.maketrans(",.", ".,")) if comma_decimal else s


def _text(pdf: Path) -> str:
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True)
    return re.sub(r"[ \u00a0\u202f]+", " ", out.stdout.decode())


@pytest.fixture(scope="module")
def gtq_plan(dairy: Dairy, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The dairy's plan with every amount in GTQ and the site in es_GT, approved like the
    original (the same signatories and date, over the same store)."""
    root = tmp_path_factory.mktemp("dairy-gtq")
    site = (dairy.plan_path.parent / "site.yaml").read_text()
    site = site.replace(
        "timezone: America/Guatemala}", "timezone: America/Guatemala, locale: es_GT}"
    )
    assert "locale: es_GT" in site
    (root / "site.yaml").write_text(site)
    plan = (dairy.plan_path).read_text().replace("currency: USD", "currency: GTQ")
    (root / "mv-plan.yaml").write_text(plan)
    store = open_store(dairy.store_url, create=False)
    try:
        approve(
            load_plan(root / "mv-plan.yaml", environ=dairy.env),
            store,
            APPROVED_BY,
            date(2025, 3, 20),
        )
    finally:
        store.close()
    return root / "mv-plan.yaml"


@pytest.fixture
def env(dairy: Dairy, monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in dairy.env.items():
        monkeypatch.setenv(k, v)


def _loan(plan: Path, out: Path, *lang: str) -> None:
    args = ["report", "loan", "green-line-1", "--plan", str(plan), "--period", "2025-11"]
    assert main([*args, "--out", str(out), *lang]) == 0


@pytest.mark.usefixtures("env")
def test_loan_report_in_the_sites_spanish_and_in_portuguese(gtq_plan: Path, tmp_path: Path) -> None:
    _loan(gtq_plan, tmp_path / "es.pdf")  # no --lang: the site's es_GT
    _loan(gtq_plan, tmp_path / "pt.pdf", "--lang", "pt-BR")
    es, pt = _text(tmp_path / "es.pdf"), _text(tmp_path / "pt.pdf")
    shots = Path(
        os.environ.get("PLANTMETER_SCREENSHOTS", Path(__file__).parents[2] / "var" / "screenshots")
    )
    shots.mkdir(
        parents=True, exist_ok=True
    )  # kept for the README's Spanish page (docs/screenshots)
    shutil.copy(tmp_path / "es.pdf", shots / "loan-report-es_GT.pdf")
    for text, comma in ((es, False), (pt, True)):
        assert _grouped(PAYMENT, 2, comma) in text  # the month's repayment, 1,160.59 / 1.160,59
        assert _grouped(48000, 0, comma) + " GTQ" in text  # the principal, in the loan's currency
        assert "USD" not in text
    for heading in (
        "Informe de seguimiento del préstamo — green-line-1 — 2025-11",
        "Préstamo y opciones",
        "Ahorros prometidos frente a verificados",
        "Cláusulas de desempeño",
        "Rentabilidad de los ahorros verificados",
        "servicio de la deuda",
        "NO CUMPLIDA",
        "Prestamista Green credit line",
        "desembolsado el 1/08/2025",  # the disbursement date as CLDR writes it for Guatemala
    ):
        assert heading in es, heading
    for heading in (
        "Relatório de acompanhamento do empréstimo — green-line-1 — 2025-11",
        "Empréstimo e opções",
        "Economias prometidas versus verificadas",
        "Cláusulas de desempenho",
        "serviço da dívida",
        "NÃO ATENDIDA",
        "1 de ago. de 2025",
    ):
        assert heading in pt, heading
    assert "Loan monitoring report" not in es + pt


@pytest.mark.usefixtures("env")
def test_audit_and_consumption_reports_in_each_locale(gtq_plan: Path, tmp_path: Path) -> None:
    plan = str(gtq_plan)
    assert (
        main(
            [
                "report",
                "audit",
                "dairy",
                "--plan",
                plan,
                "--period",
                "2025-12",
                "--out",
                str(tmp_path / "audit.pdf"),
                "--lang",
                "es_MX",
            ]
        )
        == 0
    )
    audit = _text(tmp_path / "audit.pdf")
    for heading in (
        "Auditoría de opciones de producción más limpia — dairy",
        "Opciones implementadas",
        "Opciones aún propuestas",
        "buenas prácticas",
        "ahorros verificados (90 %)",
    ):
        assert heading in audit, heading
    # Mexico groups thousands with a comma: the month's use reads 12,345 kWh, never 12.345 kWh
    assert re.search(r"\b\d{1,3}(,\d{3})+ kWh", audit) and not re.search(r"\d\.\d{3} kWh", audit)
    cons = ["report", "consumption", "--plan", plan, "--period", "2025-10"]
    assert main([*cons, "--out", str(tmp_path / "c.pdf"), "--lang", "pt_BR"]) == 0
    assert main([*cons, "--out", str(tmp_path / "c.json")]) == 0  # the site's es_GT
    data = json.loads((tmp_path / "c.json").read_text())
    elec = next(m for m in data["meters"] if m["meter"] == "main-elec")
    assert (
        elec["use"] > 1000 and "consumo del sitio" in data["summary"]
    )  # keys English, text Spanish
    pt = _text(tmp_path / "c.pdf")
    for heading in (
        "Relatório de consumo — dairy — 2025-10",
        "Consumo, custo e valor esperado",
        "Totais da unidade",
        "eletricidade",
        "Consumo diário",
    ):
        assert heading in pt, heading
    assert _grouped(elec["use"], 0, True) + " kWh" in pt
    assert _grouped(elec["use"], 0, False) + " kWh" not in pt
    assert _grouped(elec["use"], 0, False) + " kWh" in data["summary"]  # es_GT: 1,234


def test_a_bare_language_is_refused_naming_the_fix(
    gtq_plan: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "report",
            "loan",
            "green-line-1",
            "--plan",
            str(gtq_plan),
            "--period",
            "2025-11",
            "--out",
            str(tmp_path / "x.pdf"),
            "--lang",
            "es",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "--lang es" in err and "es_MX" in err and "Traceback" not in err
    assert not (tmp_path / "x.pdf").exists()
    shutil.rmtree(tmp_path, ignore_errors=True)
