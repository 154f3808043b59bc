"""Headless Debian chromium driven by Selenium through Debian's chromedriver (no download)."""

from __future__ import annotations

import shutil

import pytest


def chromium_driver():  # noqa: ANN201 - a selenium WebDriver
    """A headless Chrome WebDriver on the system chromium, or a skip saying what is missing."""
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not browser or not driver:
        pytest.skip("chromium/chromedriver not installed: run scripts/install-chromium.sh")
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1280,900", "--disable-extensions", "--no-first-run"):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service(driver), options=options)


def wait_for(browser, by: str, selector: str, text: str = "", timeout: float = 30.0):  # noqa: ANN001, ANN201
    """The first element matching `selector` (containing `text`), waiting out page loads.

    A click or submit returns before the next page is there; under load the old page (or a blank
    one) is still current, so every look-up after a navigation waits for what it expects."""
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    def found(driver):  # noqa: ANN001, ANN202
        try:
            for element in driver.find_elements(by, selector):
                if text in element.text:
                    return element
        except (NoSuchElementException, StaleElementReferenceException):
            return False
        return False

    try:
        return WebDriverWait(browser, timeout, poll_frequency=0.2).until(found)
    except Exception as exc:  # a TimeoutException: say what the page showed instead
        raise AssertionError(f"no {selector!r} containing {text!r} within {timeout:.0f} s on "
                             f"{browser.current_url}: {browser.page_source[:600]}") from exc
