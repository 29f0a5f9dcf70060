"""Screenshots of gpanel's main pages, from the real `gpanel demo`, for docs/screenshots/.

Starts `gpanel demo` (a subprocess, fresh data in a temporary directory), signs Alice (the
demo's admin, mailbox connected) in through the emulator's consent page in headless Chromium
as a person would, turns MailMagnet on and lets a demo contact write to her (so the bell,
notifications and the home page have something to show), then saves the viewport (not the
full page, to keep the files small) of each main page at 1366 px and 390 px wide:

    .venv/bin/python bench/screenshots.py            # writes docs/screenshots/*.png

Pages: home, contact, company, deal, thread, mailbox, sharing, admin, labels, notifications.
"""

from __future__ import annotations

import argparse
import base64
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
from playwright.sync_api import Page, sync_playwright

from tests.cli.test_demo_doctor import running_demo
from tests.support.needs import CHROMIUM
from tests.support.servers import free_port
from tests.web.accounts.test_browser_connect import ARGS, consent_in_page

ALICE = "alice@brightwave.example"
WRITER = "tom.baker@acme-logistics.example"
SIZES = {"1366": (1366, 860), "390": (390, 844)}
OUT = Path(__file__).resolve().parents[1] / "docs" / "screenshots"


def _deliver(emulator_port: int) -> None:
    mail = (
        f"From: Tom Baker <{WRITER}>\r\nTo: Alice Moreau <{ALICE}>\r\n"
        f"Subject: Revised delivery schedule\r\nMessage-ID: <shot-{time.time_ns()}@acme>\r\n\r\n"
        "Hi Alice, the revised schedule is below.\r\n"
    )
    httpx.post(
        f"http://127.0.0.1:{emulator_port}/_emulator/users/{ALICE}/messages",
        json={"raw": base64.urlsafe_b64encode(mail.encode()).decode()},
    ).raise_for_status()


def _first_href(page: Page, selector: str) -> str:
    page.locator(selector).first.wait_for(timeout=20_000)
    href = page.locator(selector).first.get_attribute("href")
    assert href, selector
    return href


def pages_of(page: Page, base: str) -> dict[str, str]:
    """Each main page's path, found by following the demo's own links."""
    page.goto(base + "/contacts")
    contact = _first_href(page, "table.grid a[href^='/contacts/']")
    page.goto(base + "/companies")
    company = _first_href(page, "table.grid a[href^='/companies/']")
    page.goto(base + "/deals")
    deal = _first_href(page, "table.grid a[href^='/deals/']")
    page.goto(base + contact)
    thread = _first_href(page, "#mail-panel a.panel-open")
    return {
        "home": "/",
        "contact": contact,
        "company": company,
        "deal": deal,
        "thread": thread,
        "mailbox": "/mailbox",
        "sharing": "/settings/sharing",
        "admin": "/admin",
        "labels": "/settings/labels",
        "notifications": "/notifications",
    }


def _settle(page: Page) -> None:
    """Wait until the page's live parts (panel, frames) have loaded."""
    if page.locator("#mail-panel").count():
        # panel.js replaces the "Show mail" placeholder once the thread list has loaded.
        page.locator("#mail-panel .panel-body").first.wait_for(timeout=20_000)
    if page.locator("iframe.mail-frame").count():
        page.locator("iframe.mail-frame").last.wait_for(timeout=20_000)
    page.wait_for_timeout(600)


def shoot(out: Path) -> list[Path]:
    port, emulator_port = free_port(), free_port()
    base = f"http://127.0.0.1:{port}"
    saved: list[Path] = []
    out.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_demo(port, emulator_port, Path(tmp) / "demo"),
        sync_playwright() as p,
    ):
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            context = browser.new_context(viewport={"width": 1366, "height": 860})
            page = context.new_page()
            page.goto(base + "/auth/login")
            page.click("text=Sign in with Google")
            consent_in_page(page, ALICE)
            page.wait_for_url(base + "/")
            page.goto(base + "/notifications")
            if page.locator("button:has-text('Turn on MailMagnet')").count():
                page.click("button:has-text('Turn on MailMagnet')")
                page.wait_for_url("**/notifications?notice=on")
            time.sleep(1.0)
            _deliver(emulator_port)
            page.locator("#bell .bell-count:not([hidden])").wait_for(timeout=15_000)
            paths = pages_of(page, base)
            for size, (width, height) in SIZES.items():
                page.set_viewport_size({"width": width, "height": height})
                for name, path in paths.items():
                    page.goto(base + path)
                    _settle(page)
                    target = out / f"{name}-{size}.png"
                    page.screenshot(path=str(target))
                    saved.append(target)
        finally:
            browser.close()
    return saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    for path in shoot(args.out):
        print(
            f"{path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}"
            f"  {path.stat().st_size // 1024} KB"
        )


if __name__ == "__main__":
    main()
