"""The thread view in real headless Chromium, with gpanel and the emulator over real HTTP.

A rep signs in through the (emulated) Google consent, opens a contact, sees the thread in the
record panel, opens it, reads the message inside its sandboxed frame, clicks "Show images" and
sees the remote image arrive through gpanel's image proxy (the "remote" host is a local server
behind the proxy's DNS and connection seams). No console error, no request from the browser to
anything but 127.0.0.1, and none to the remote image's host. Then a hostile message from the
emulator, opened the same way, runs no script: no dialog, no console output from its payloads,
no request to the sink its payloads aim at, no flag on the host page; a control proves the
listeners see such events when they do happen.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import ConsoleMessage, Dialog, Page, Request, sync_playwright

from gpanel.store.migrate import upgrade
from tests.support.needs import CHROMIUM
from tests.web.thread_images import (
    Egress,
    ImageOrigin,
    egress_recorder,
    image_origin,
    proxied_stack,
)
from tests.web.thread_support import BEN, PAT, World, build_world, mail

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.browser,
]


class Watch:
    """Everything the page does that a test should see."""

    def __init__(self, page: Page) -> None:
        self.requests: list[str] = []
        self.console: list[tuple[str, str]] = []
        self.dialogs: list[str] = []
        page.on("request", self._request)
        page.on("console", self._console)
        page.on("dialog", self._dialog)

    def _request(self, request: Request) -> None:
        self.requests.append(request.url)

    def _console(self, message: ConsoleMessage) -> None:
        self.console.append((message.type, message.text))

    def _dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def outside(self) -> list[str]:
        return [
            u
            for u in self.requests
            if urlsplit(u).scheme not in ("data", "about", "blob")
            and urlsplit(u).hostname != "127.0.0.1"
        ]


@pytest.fixture
def origin() -> Iterator[ImageOrigin]:
    with image_origin() as running:
        yield running


@pytest.fixture
def egress() -> Iterator[Egress]:
    with egress_recorder() as running:
        yield running


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """SQLite only: what this file proves does not depend on the database engine (the other
    thread tests run on both)."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'gpanel.db'}"
    upgrade(url)
    return url


@pytest.fixture
def world(sqlite_url: str, origin: ImageOrigin) -> Iterator[World]:
    with proxied_stack(sqlite_url, origin) as stack:
        yield build_world(stack)


def _sign_in(world: World, page: Page) -> None:
    world.stack.queue_consent(BEN)
    page.goto(world.stack.url + "/auth/login")
    page.click("text=Sign in with Google")
    page.wait_for_url(world.stack.url + "/")


def test_read_a_thread_and_load_its_images(
    world: World, origin: ImageOrigin, egress: Egress, tmp_path: Path
) -> None:
    raw, _ = mail(
        f"Pat Buyer <{PAT}>",
        f"Ben <{BEN}>",
        "Spring catalogue",
        "Hello Ben, the spring catalogue is below.",
        "<p>Hello Ben, the <b>spring catalogue</b> is below.</p>"
        '<img id="banner" alt="banner" src="http://img.test/ok.png">',
    )
    world.insert(raw)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=[*ARGS, egress.proxy_arg])
        try:
            page = browser.new_page()
            watch = Watch(page)
            _sign_in(world, page)
            page.goto(f"{world.stack.url}/contacts/{world.contact_id}")
            row = page.locator("#mail-panel a.panel-open", has_text="Spring catalogue")
            row.wait_for(timeout=20_000)
            row.click()
            page.wait_for_url("**/threads/**")
            frame = page.frame_locator("iframe.mail-frame")
            assert "the spring catalogue is below" in frame.locator("body").inner_text()
            assert frame.locator("img[src]").count() == 0  # blocked until asked
            page.click("text=Show images")
            page.wait_for_url("**images=**")
            loaded = page.frame_locator("iframe.mail-frame").locator("img[src]")
            loaded.wait_for(timeout=10_000)
            assert "/img?u=" in (loaded.get_attribute("src") or "")
            loaded.evaluate("img => img.complete || new Promise(ok => img.onload = ok)")
            assert loaded.evaluate("img => img.naturalWidth") == 1  # the 1x1 PNG arrived
            page.screenshot(path=str(tmp_path / "thread.png"), full_page=True)
        finally:
            browser.close()
    assert (tmp_path / "thread.png").stat().st_size > 1000
    assert not [c for c in watch.console if c[0] == "error"], watch.console
    assert not watch.outside(), watch.outside()
    assert egress.from_pages() == [], egress.hits
    # The browser never fetched the image's own host; it only ever asked gpanel's proxy (whose
    # URL names img.test in its query, hence comparing hosts, not strings).
    assert not any(urlsplit(u).hostname == "img.test" for u in watch.requests)
    assert any(r["path"] == "/ok.png" and r["host"] == "img.test" for r in origin.seen)


HOSTILE = """
<p>Quarterly numbers attached.</p>
<script>console.log('XSS script'); alert('script')</script>
<img src="x" onerror="console.log('XSS onerror'); alert('onerror')">
<svg onload="alert('svg')"><circle r="4"/></svg>
<details open ontoggle="alert('toggle')"><summary>more</summary>x</details>
<a href="javascript:alert('link')" id="jslink">click me</a>
<iframe srcdoc="<script>alert('inner')</script>"></iframe>
<form action="{sink}/form"><input name="q" value="x"><button>Go</button></form>
<div style="background:url({sink}/css-bg)">styled</div>
<style>@import url({sink}/import.css); body {{ background: url({sink}/body-bg); }}</style>
<img src="{sink}/pixel.gif">
<meta http-equiv="refresh" content="0;url={sink}/refresh">
<base href="{sink}/">
<object data="{sink}/object"></object>
<img src=x onerror="top.__xss=1">
"""


def test_hostile_message_from_the_emulator_runs_nothing(
    world: World, origin: ImageOrigin, egress: Egress
) -> None:
    sink = f"http://127.0.0.1:{origin.port}/sink"
    raw, _ = mail(
        f"Pat Buyer <{PAT}>", BEN, "Quarterly numbers", "numbers", HOSTILE.format(sink=sink)
    )
    created = world.insert(raw)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=[*ARGS, egress.proxy_arg])
        try:
            page = browser.new_page()
            watch = Watch(page)
            _sign_in(world, page)
            for query in ("", f"?images={created['id']}"):
                page.goto(world.stack.url + world.url(created["threadId"]) + query)
                frame = page.frame_locator("iframe.mail-frame")
                assert "Quarterly numbers attached." in frame.locator("body").inner_text()
                frame.locator("text=click me").click()
                frame.locator("summary").click()
                page.wait_for_timeout(500)
                assert page.evaluate("() => window.__xss") is None
            # The control: the same listeners do see a dialog, console output and a request.
            page.evaluate("() => console.log('control')")
            page.evaluate("() => alert('control')")
            page.wait_for_timeout(300)
            page.goto(f"{sink}/control")  # the sink records what reaches it
        finally:
            browser.close()
    payload_output = [c for c in watch.console if "XSS" in c[1]]
    assert not payload_output, payload_output
    assert watch.dialogs == ["control"], watch.dialogs
    assert ("log", "control") in watch.console
    assert egress.from_pages() == [], egress.hits
    sink_hits = [r["path"] for r in origin.seen if r["path"].startswith("/sink/")]
    assert sink_hits == ["/sink/control"], sink_hits
