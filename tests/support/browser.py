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
