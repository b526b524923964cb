"""The dashboard in a real browser (Debian's Chromium): log in, live values that change without
a reload, a meter chart zoomed and compared with last year, an alarm acknowledged, a loan
report downloaded by a financier, and a financier refused a plant's meter page. A screenshot
of every page is saved (``screenshots`` fixture)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from plantmeter.store import SeriesPoint

from .conftest import PASSWORD, Served

PHONE = (412, 915)
LAPTOP = (1366, 900)


def wait(what: Callable[[], Any], timeout: float = 30.0, message: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            got = what()
        except Exception:  # noqa: BLE001  (an element not there yet)
            got = None
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting: {message}")
        time.sleep(0.1)


def login(driver: Any, served: Served, username: str, path: str = "/") -> None:
    driver.delete_all_cookies()
    driver.get(served.url + path)
    wait(lambda: "/login" in driver.current_url, message="redirect to /login")
    driver.find_element(By.NAME, "username").send_keys(username)
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "form.login button[type=submit]").click()
    wait(lambda: "/login" not in driver.current_url, message=f"{username} logged in")


def seconds(resolution: str) -> int:
    return int(resolution[:-1]) * {"m": 60, "h": 3600, "d": 86400}[resolution[-1]]


def fresh_readings(served: Served) -> None:
    """Every meter's newest values again, stamped now (what the gateway would send next)."""
    now_ms = int(datetime.now(UTC).timestamp() * 1000)
    points = []
    for v in served.writer.latest("dairy"):
        points.append(SeriesPoint("dairy", v.meter, v.quantity, now_ms, v.value))
    served.writer.write_points(points)


def shot(driver: Any, directory: Path, name: str, size: tuple[int, int]) -> None:
    driver.set_window_size(*size)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(size[0], min(max(height + 120, size[1]), 2600))
    time.sleep(0.4)  # charts redraw on resize
    driver.save_screenshot(str(directory / f"{name}.png"))
    driver.set_window_size(*LAPTOP)


def test_login_then_overview_with_live_values_that_change(
    browser: Any, served: Served, screenshots: Path
) -> None:
    browser.set_window_size(*PHONE)
    browser.get(served.url + "/login")
    shot(browser, screenshots, "login", PHONE)
    login(browser, served, "pam")
    assert browser.current_url.endswith("/sites/dairy")
    tile = browser.find_element(By.CSS_SELECTOR, '[data-live="dairy/main-elec"]')
    # the simulated history ended a minute ago: three polls of 10 s missed, the meter is offline
    assert "stale" in tile.get_attribute("class") and "offline" in tile.text
    fresh_readings(served)
    wait(
        lambda: browser.execute_script("return document.body.getAttribute('data-live-updates')"),
        message="first live event",
    )
    before = tile.find_element(By.CSS_SELECTOR, "[data-value]").get_attribute("textContent")
    now_ms = int(datetime.now(UTC).timestamp() * 1000)
    served.writer.write_points(
        [SeriesPoint("dairy", "main-elec", "power_total", now_ms, 123_456.0)]
    )

    def value() -> str:
        return str(tile.find_element(By.CSS_SELECTOR, "[data-value]").get_attribute("textContent"))

    wait(lambda: value() == "123.5", message="new power (123,456 W) shown live in kW")
    assert before != "123.5"
    assert "fresh" in tile.get_attribute("class")
    assert "s ago" in tile.find_element(By.CSS_SELECTOR, "[data-age]").get_attribute("textContent")
    assert browser.find_elements(By.CSS_SELECTOR, "ul.tree .rest"), "the unmetered rest is shown"
    shot(browser, screenshots, "overview", PHONE)


def test_meter_chart_zooms_and_compares_with_last_year(
    browser: Any, served: Served, screenshots: Path
) -> None:
    login(browser, served, "pam", "/sites/dairy/meters/main-elec")
    browser.set_window_size(*LAPTOP)
    app = browser.find_element(By.ID, "meter-app")

    def loaded() -> bool:
        return (
            app.get_attribute("data-loading") is None
            and int(app.get_attribute("data-points") or 0) > 0
        )

    wait(loaded, message="chart drawn")
    # a year: the resolution follows the visible range (a year never travels at 1 minute)
    browser.find_element(By.CSS_SELECTOR, "[data-kind=year]").click()
    wait(
        lambda: loaded() and app.get_attribute("data-resolution") in ("12h", "1d"),
        message="a year in 12 h or days",
    )
    browser.find_element(By.CSS_SELECTOR, "[data-kind=day]").click()
    wait(
        lambda: loaded() and app.get_attribute("data-resolution") in ("5m", "10m"),
        message="a day in minutes",
    )
    day_res = seconds(app.get_attribute("data-resolution"))
    start, end = app.get_attribute("data-start"), app.get_attribute("data-end")
    over = browser.find_element(By.CSS_SELECTOR, "#chart-main .u-over")
    w = over.size["width"]
    ActionChains(browser).move_to_element_with_offset(
        over, -w // 4, 0
    ).click_and_hold().move_by_offset(w // 4, 0).release().perform()
    wait(lambda: loaded() and app.get_attribute("data-start") != start, message="zoomed")
    z0, z1 = (
        datetime.fromisoformat(app.get_attribute(a).replace("Z", "+00:00"))
        for a in ("data-start", "data-end")
    )
    assert (
        datetime.fromisoformat(start.replace("Z", "+00:00"))
        < z0
        < z1
        < datetime.fromisoformat(end.replace("Z", "+00:00"))
    )
    assert (z1 - z0).total_seconds() < 12 * 3600
    assert seconds(app.get_attribute("data-resolution")) < day_res  # finer when zoomed in
    browser.find_element(By.CSS_SELECTOR, "[data-kind=day]").click()
    wait(loaded, message="back to the day")
    Select(browser.find_element(By.ID, "compare")).select_by_value("year")
    wait(
        lambda: loaded() and int(app.get_attribute("data-compare-points") or 0) > 100,
        message="last year overlaid",
    )
    browser.find_element(By.ID, "csv").click()
    rows = int(wait(lambda: app.get_attribute("data-csv-rows"), message="CSV built"))
    assert rows == int(app.get_attribute("data-points"))  # the whole visible day, bucket by bucket
    csv = browser.execute_script("return window.pmLastCsv")
    assert csv.splitlines()[0].startswith(
        "time (America/Guatemala),use (kWh),same period last year (kWh)"
    )
    shot(browser, screenshots, "meter", LAPTOP)
    # the baseline chart and the CUSUM of savings over a month of the reporting period
    Select(browser.find_element(By.ID, "compare")).select_by_value("none")
    wait(loaded, message="comparison off")

    def october() -> bool:
        # a load still finishing (the comparison switched off) writes its own range back into
        # the date fields: enter October again until the page shows it
        if loaded() and app.get_attribute("data-start").startswith("2025-10-01"):
            return True
        if loaded() and browser.find_element(By.ID, "from").get_attribute("value") != "2025-10-01":
            browser.execute_script(
                "document.getElementById('from').value='2025-10-01';"
                "document.getElementById('to').value='2025-10-31'"
            )
            browser.find_element(By.ID, "apply-range").click()
        return False

    wait(
        october,
        message="October 2025",
    )
    wait(
        lambda: (
            loaded()
            and not browser.find_element(By.ID, "baseline-charts").get_attribute("hidden")
            and browser.find_elements(By.CSS_SELECTOR, "#chart-cusum canvas")
        ),
        message="baseline and CUSUM drawn",
    )
    assert "savings" in browser.find_element(By.ID, "baseline-note").text
    shot(browser, screenshots, "meter-baseline", LAPTOP)


def test_acknowledge_an_alarm_with_a_comment(
    browser: Any, served: Served, screenshots: Path
) -> None:
    login(browser, served, "pam", "/alarms?site=dairy&days=7")
    row = browser.find_element(By.CSS_SELECTOR, "tr[id^=flag-compressor]")
    assert "5.90 USD" in row.text
    shot(browser, screenshots, "alarms", LAPTOP)
    row.find_element(By.NAME, "comment").send_keys("closed the ring-main valve on Friday night")
    row.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait(lambda: "done=ack" in browser.current_url, message="acknowledged")
    history = browser.find_element(By.CSS_SELECTOR, "tr.acked")
    assert "pam" in history.text and "closed the ring-main valve" in history.text
    acks = served.users.acknowledgements("dairy", "compressor")
    assert [(a.username, a.start_ms, a.comment) for a in acks] == [
        ("pam", served.alarm_start_ms, "closed the ring-main valve on Friday night")
    ]


def test_financier_downloads_a_loan_report_and_is_refused_the_meters(
    browser: Any, served: Served, screenshots: Path
) -> None:
    login(browser, served, "fin")
    assert browser.current_url.endswith("/loans")
    browser.get(served.url + "/loans?month=2025-12")
    section = browser.find_element(By.ID, "loan-green-line-1")
    assert "Verified savings" in section.text and "Debt service" in section.text
    assert not browser.find_elements(By.ID, "loan-revolving-fund-3"), (
        "not a loan this financier funds"
    )
    shot(browser, screenshots, "loans", LAPTOP)
    for old in served.downloads.glob("*"):
        old.unlink()
    section.find_element(By.CSS_SELECTOR, "a[data-format=pdf]").click()
    pdf = wait(
        lambda: [p for p in served.downloads.glob("*.pdf")], timeout=60, message="PDF downloaded"
    )[0]
    assert pdf.read_bytes()[:5] == b"%PDF-"
    browser.get(served.url + "/sites/dairy/meters/main-elec")
    assert "Not for your role" in browser.find_element(By.TAG_NAME, "h1").text
    assert not browser.find_elements(By.ID, "meter-app")
    nav = browser.find_element(By.CSS_SELECTOR, "header nav").text
    assert "Alarms" not in nav and "Loans" in nav


@pytest.mark.parametrize(
    ("user", "path", "name"),
    [
        ("pam", "/options?month=2025-12", "options"),
        ("ada", "/admin", "admin"),
    ],
)
def test_pages_render_for_their_roles(
    browser: Any, served: Served, screenshots: Path, user: str, path: str, name: str
) -> None:
    login(browser, served, user, path)
    assert browser.find_element(By.TAG_NAME, "h1").text
    if name == "options":
        assert "Pinned baseline" in browser.page_source and "on track" in browser.page_source
    else:
        assert "Audit log" in browser.page_source and "login" in browser.page_source
    shot(browser, screenshots, name, LAPTOP)
