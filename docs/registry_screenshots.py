"""Screenshots of the registry's web UI for the README (docs/registry-*.png).

Publishes a few of the sample skills (../shared/data/sample-skills) into a fresh registry
served on a free loopback port, signs in with a token in headless Debian chromium and saves
each page. Needs chromium and chromedriver (scripts/install-chromium.sh) and selenium (dev).

    .venv/bin/python docs/registry_screenshots.py [--out docs]
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx2 as httpx
import uvicorn
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from skillyard import Library
from skillyard.registry import Registry, create_app, pack_folder
from skillyard.registry.access import Access
from skillyard.registry.tokens import Token
from skillyard.serve.run import listen

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT.parent / "shared" / "data" / "sample-skills"
PICK = ["mcp-builder", "pdf", "webapp-testing", "frontend-design", "internal-comms", "xlsx",
        "doc-coauthoring", "skill-creator", "supabase", "react-best-practices"]


def samples() -> list[tuple[str, Path]]:
    """(namespace, folder) for the picked sample skills: the namespace is the publisher."""
    from skillyard.sources.folders import find_skill_dirs

    out, seen = [], set()
    for folder in find_skill_dirs(SAMPLES):
        owner = folder.relative_to(SAMPLES).parts[0].split("@")[0].lower()
        namespace = re.sub(r"[^a-z0-9]+", "-", owner).strip("-")
        head = (folder / "SKILL.md").read_text(encoding="utf-8", errors="replace")[:600]
        if sum(ord(c) > 0x2FF for c in head) > 20:
            continue  # the headless browser here has no CJK fonts: keep screenshots legible
        if folder.name not in seen and (folder.name in PICK or len(out) < 40):
            seen.add(folder.name)
            out.append((namespace, folder))
    return out


def browser() -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                "--window-size=1280,1000", "--hide-scrollbars"):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="skillyard-shots-"))
    lib = Library(tmp / "registry.db")
    registry = Registry(lib)
    admin = Access(Token("local", "docs", "admin", ("*",), "", "docs"))
    _, secret = registry.create_token(admin, role="admin", scope="*", name="alice")
    for namespace, folder in samples():
        name = folder.name
        try:
            registry.publish(registry.authenticate(secret), f"{namespace}/{name}",
                             pack_folder(folder))
        except Exception as exc:  # noqa: BLE001 - a sample the audit blocks is simply left out
            print(f"skipped {name}: {exc}", file=sys.stderr)
    sock = listen("127.0.0.1", 0)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn.Server(uvicorn.Config(create_app(registry), log_level="warning",
                                           lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    httpx.get(f"{url}/api/v1", timeout=30)
    drv = browser()
    try:
        drv.get(url + "/signin")
        drv.save_screenshot(str(args.out / "registry-signin.png"))
        drv.find_element(By.NAME, "token").send_keys(secret)
        drv.find_element(By.CSS_SELECTOR, "main form button").click()
        shots = {
            "registry-home.png": "/",
            "registry-search.png": "/?q=build+an+MCP+server+for+a+REST+API",
            "registry-abstain.png": "/?q=what+is+the+capital+of+France%3F",
            "registry-skill.png": "/skills/anthropics/mcp-builder",
            "registry-audit.png": "/skills/anthropics/mcp-builder#audit",
            "registry-publisher.png": "/publishers/alice",
        }
        for name, path in shots.items():
            drv.get(url + path)
            drv.save_screenshot(str(args.out / name))
            print(f"wrote {args.out / name}")
    finally:
        drv.quit()
        server.should_exit = True
        thread.join(timeout=30)
        lib.close()


if __name__ == "__main__":
    main()
