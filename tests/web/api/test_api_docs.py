"""The API is documented whole and readable locally.

The OpenAPI document served at /api/openapi.json has an operation for every /api/ route and
method the app serves (walked from the app's own route table, so a new route without a
document entry fails here). /api/docs draws that document with Swagger UI in real headless
Chromium: every operation is listed, from files served by gpanel itself (no request leaves
127.0.0.1), under the strict CSP with no console error.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import sync_playwright
from starlette.routing import BaseRoute, Mount, Route

from gpanel.app import create_app
from gpanel.store.migrate import upgrade
from tests.support.needs import CHROMIUM
from tests.support.stack import Stack, run_stack

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'gpanel.db'}"
    upgrade(url)
    with run_stack(url) as running:
        yield running


def _walk(routes: Iterable[BaseRoute], prefix: str = "") -> Iterator[tuple[str, str]]:
    for route in routes:
        if isinstance(route, Mount):
            yield from _walk(route.routes, prefix + route.path)
        elif isinstance(route, Route):
            for method in sorted((route.methods or set()) - {"HEAD"}):
                yield prefix + route.path, method


def _served(stack: Stack) -> set[tuple[str, str]]:
    """Every (OpenAPI path, METHOD) of the /api/ routes of the app gpanel builds."""
    app = create_app(stack.settings)
    return {
        (re.sub(r"\{(\w+):\w+\}", r"{\1}", path), method)
        for path, method in _walk(app.routes)
        if path.startswith("/api/")
    }


def test_the_document_covers_every_api_route(stack: Stack) -> None:
    """Each /api/ path and method the app serves is an operation of the document, and the
    document names no operation the app does not serve."""
    doc = httpx.get(stack.url + "/api/openapi.json").json()
    documented = {
        (path, method.upper())
        for path, item in doc["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    }
    served = _served(stack)
    assert len(served) > 30, served
    assert served - documented == set(), "routes missing from the OpenAPI document"
    assert documented - served == set(), "documented operations the app does not serve"


@pytest.mark.browser
def test_the_api_page_renders_every_operation_locally(stack: Stack) -> None:
    """Swagger UI at /api/docs lists every operation, loaded only from gpanel, CSP intact."""
    doc = httpx.get(stack.url + "/api/openapi.json").json()
    operations = sum(
        1
        for item in doc["paths"].values()
        for m in item
        if m in ("get", "post", "put", "patch", "delete")
    )
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page()
            requests: list[str] = []
            console: list[str] = []
            page.on("request", lambda r: requests.append(r.url))
            page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
            page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
            answer = page.goto(stack.url + "/api/docs")
            assert answer is not None and answer.status == 200
            page.locator(".opblock").first.wait_for(timeout=20_000)
            # Tags start expanded: every operation has its block.
            assert page.locator(".opblock").count() == operations
            text = page.inner_text("#swagger-ui")
            assert "/api/contacts" in text and "/api/mail/send" in text
            assert "gpanel CRM API" in text
            page.click(".opblock-summary-path:has-text('/api/blocks/{block_id}')")
            page.locator(".opblock.is-open").first.wait_for(timeout=5_000)
            assert "block_id" in page.inner_text(".opblock.is-open")
        finally:
            browser.close()
    outside = [u for u in requests if urlsplit(u).hostname not in ("127.0.0.1", None)]
    outside = [u for u in outside if urlsplit(u).scheme not in ("data", "blob")]
    assert outside == []
    assert not [c for c in console if c.startswith(("error", "pageerror"))], console
