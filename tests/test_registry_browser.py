"""The web UI in a real browser (Debian chromium, headless): search -> skill -> file ->
version diff -> audit finding, and a private namespace invisible without a token."""

from __future__ import annotations

from pathlib import Path

import httpx2 as httpx
from selenium.webdriver.common.by import By

from skillyard.registry import pack_folder
from support.browser import chromium_driver, wait_for
from support.registry import running, skill_folder, token

_http = httpx.Client(timeout=60)  # publishing audits and indexes: allow time


def test_click_through_the_registry(tmp_path: Path) -> None:
    with running(str(tmp_path / "r.db"), anonymous_read=("public/*",)) as (url, registry):
        admin = token(registry, "admin", "*", name="alice")
        h = {"Authorization": f"Bearer {admin}"}
        for version, body in (("1.0", "Read references/fields.md first."),
                              ("1.1", "Read references/fields.md, then run scripts/fill.py.")):
            folder = skill_folder(tmp_path / version, version=version,
                                  body=f"\n# PDF forms\n\n{body}\n",
                                  files={"references/fields.md": "# Fields\n\nText, checkbox.\n",
                                         "scripts/fill.py": "import subprocess\n"
                                         "subprocess.run(['pdftk', 'in.pdf'])\n"})
            r = _http.post(f"{url}/api/v1/skills/team/pdf-forms/versions",
                           content=pack_folder(folder), headers=h)
            assert r.status_code == 201, r.text
        _http.post(f"{url}/api/v1/skills/public/git-commits/versions", headers=h,
                   content=pack_folder(skill_folder(
                       tmp_path / "pub", name="git-commits",
                       description="Write conventional commit messages. Use when committing.")))
        browser = chromium_driver()
        try:
            browser.get(url + "/")
            listing = wait_for(browser, By.CSS_SELECTOR, "ol.results").text
            assert "public/git-commits" in listing and "team/pdf-forms" not in listing
            browser.get(url + "/skills/team/pdf-forms")
            assert "Sign in" in browser.page_source or "Not allowed" in browser.page_source

            browser.get(url + "/signin")
            wait_for(browser, By.NAME, "token").send_keys(admin)
            browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
            wait_for(browser, By.CSS_SELECTOR, "nav.who", "alice · admin")
            box = browser.find_element(By.NAME, "q")
            box.send_keys("fill in a PDF form")
            box.submit()
            wait_for(browser, By.LINK_TEXT, "team/pdf-forms").click()
            wait_for(browser, By.CSS_SELECTOR, ".markdown", "PDF forms")
            wait_for(browser, By.LINK_TEXT, "references/fields.md").click()
            wait_for(browser, By.CSS_SELECTOR, "pre.code", "Text, checkbox.")
            browser.back()
            wait_for(browser, By.CSS_SELECTOR, ".diffform button").click()
            wait_for(browser, By.CSS_SELECTOR, "pre.code .add", "scripts/fill.py")
            browser.back()
            finding = wait_for(browser, By.CSS_SELECTOR, "#audit details.finding")
            finding.find_element(By.TAG_NAME, "summary").click()
            assert "scripts/fill.py" in finding.text
            browser.save_screenshot(str(tmp_path / "skill.png"))
            assert (tmp_path / "skill.png").stat().st_size > 10_000
        finally:
            browser.quit()
