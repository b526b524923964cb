"""The dashboard in the user's own language (issue #15): a plant manager whose account says
es_CO reads the overview and the options page in Spanish with Colombian numbers (1.234,5), one
whose account says pt_BR in Portuguese; the page's ``lang`` follows."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By

from .conftest import Served
from .test_pages import LAPTOP, login, shot, wait

# 1.234,5 or 1234,5 or 0,007: '.' only before groups of three, ',' only before decimals
LOCAL_NUMBER = re.compile(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+(?:,\d+)?")

CASES = {
    "pablo": (
        "es-CO",
        ["En vivo", "Hoy hasta ahora", "Alarmas activas", "Submedidores hoy", "Cerrar sesión"],
        ["Línea base fijada", "Ahorros ± 90 %", "Opción", "datos insuficientes"],
    ),
    "paula": (
        "pt-BR",
        ["Ao vivo", "Hoje até agora", "Alarmes ativos", "Submedidores hoje", "Sair"],
        ["Linha de base fixada", "Economias ± 90 %", "Opção", "dados insuficientes"],
    ),
}


@pytest.mark.parametrize("user", sorted(CASES))
def test_pages_in_the_users_language_and_number_format(
    browser: Any, served: Served, screenshots: Path, user: str
) -> None:
    lang, overview, options = CASES[user]
    login(browser, served, user, "/")
    wait(lambda: "Today so far" not in browser.page_source, message="translated overview")
    html = browser.find_element(By.TAG_NAME, "html")
    assert html.get_attribute("lang") == lang
    body = browser.find_element(By.TAG_NAME, "body").text
    for text in overview:
        assert text in body, text
    assert "Today so far" not in body and "Active alarms" not in body
    # figures with a unit: Colombia and Brazil group with '.' and mark decimals with ','
    figures = re.findall(r"\b\d[\d.,]*\d (?:kWh|m³)", body)
    assert figures, body[:400]
    # "0,007 m³" is a correct small decimal here, so the test looks for what only English
    # writes: a '.' before one or two digits (9.37) or a ',' group before a '.' (2,724.5)
    numbers = [f.split()[0] for f in figures]
    english = [n for n in numbers if re.search(r"\.\d{1,2}$|\.\d{1,2}\D|,\d{3}\.", n)]
    assert not english, figures
    assert all(LOCAL_NUMBER.fullmatch(n) for n in numbers), figures
    # the EnPI table's ratios (kWh per unit, three significant digits) in the same marks
    enpi = browser.find_elements(By.CSS_SELECTOR, "section[aria-labelledby=enpi-h] tbody td.num")
    ratios = [c.text for c in enpi if c.text and " " not in c.text]  # production has a unit
    assert ratios, "no EnPI ratios on the overview"
    assert all(LOCAL_NUMBER.fullmatch(r) and "." not in r for r in ratios), ratios
    shot(browser, screenshots, f"overview-{lang}", LAPTOP)
    browser.get(served.url + "/options?site=dairy")
    wait(lambda: browser.find_element(By.TAG_NAME, "h1").text, message="options page")
    page = browser.find_element(By.TAG_NAME, "body").text
    for text in options:
        assert text in page, page
