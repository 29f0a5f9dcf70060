"""Mailbox navigation and block rules in real headless Chromium.

The mailbox page links to the label settings, the label view and the blocks page. On the
blocks page a rep blocks a domain, sees it listed, removes it, and sees it gone; the database
follows each click. A rule of a colleague is never listed to him, and an org-wide rule is
listed without a Remove button for a rep.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import sync_playwright
from sqlalchemy import insert

from gpanel.store.migrate import upgrade
from gpanel.store.tables import blocked_addresses
from tests.support.browser import ARGS, sign_in
from tests.support.needs import CHROMIUM
from tests.support.stack import run_stack
from tests.web.thread_support import BEN, CARLA, World, build_world, db

pytestmark = [
    pytest.mark.browser,
]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'gpanel.db'}"
    upgrade(url)
    with run_stack(url) as stack:
        yield build_world(stack)


def _rule(world: World, user_id: int | None, pattern: str) -> None:
    async def go(engine: Any) -> None:
        async with engine.begin() as conn:
            await conn.execute(
                insert(blocked_addresses).values(
                    user_id=user_id, pattern=pattern, created_at=dt.datetime.now(dt.UTC)
                )
            )

    db(world.stack, go)


def test_mailbox_links_and_a_block_added_then_removed_in_the_page(world: World) -> None:
    """The mailbox page's links lead to the label pages and the blocks page, where a block is
    added, listed and removed; a colleague's rule is not listed, an org rule has no Remove."""
    _rule(world, world.user_ids[CARLA], "carla-only@elsewhere.example")
    _rule(world, None, "@spam.example")
    base = world.stack.url
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page()
            sign_in(world.stack, page, BEN)
            page.click("nav.usernav a:has-text('My mailbox')")
            page.click("a:has-text('Category labels')")
            page.wait_for_url(base + "/settings/labels")
            page.go_back()
            page.click("a:has-text('Mail gpanel labelled')")
            page.wait_for_url(base + "/labels")
            page.go_back()
            page.click("a:has-text('Blocked addresses')")
            page.wait_for_url(base + "/mailbox/blocks")
            assert "You have not blocked anything" in page.inner_text("main")
            assert "carla-only" not in page.inner_text("main")
            org = page.inner_text("#org-blocks")
            assert "@spam.example" in org and "set by an admin" in org
            assert page.locator("#org-blocks button").count() == 0

            page.fill("input[name=pattern]", "@noisy.example")
            page.click("button:has-text('Block')")
            page.wait_for_url("**/mailbox/blocks?notice=added")
            assert "@noisy.example" in page.inner_text("#own-blocks")
            mine = [
                r for r in world.stack.rows(blocked_addresses) if r.user_id == world.user_ids[BEN]
            ]
            assert [r.pattern for r in mine] == ["@noisy.example"]

            page.click("button[aria-label='Remove the block on @noisy.example']")
            page.wait_for_url("**/mailbox/blocks?notice=removed")
            assert "You have not blocked anything" in page.inner_text("main")
            assert not [
                r for r in world.stack.rows(blocked_addresses) if r.user_id == world.user_ids[BEN]
            ]
            assert len(world.stack.rows(blocked_addresses)) == 2  # Carla's and the org's stay

            page.fill("input[name=pattern]", "not an address")
            page.click("button:has-text('Block')")
            page.wait_for_url("**/mailbox/blocks?error=*")
            assert page.locator("p.alert").count() == 1
        finally:
            browser.close()


def test_a_rep_cannot_remove_an_org_rule_or_a_colleagues(world: World) -> None:
    """A forged remove of an org-wide or a colleague's rule answers with the reason and
    deletes nothing."""
    _rule(world, world.user_ids[CARLA], "carla-only@elsewhere.example")
    _rule(world, None, "@spam.example")
    token = world.ben.get("/mailbox/blocks").text.split('name="csrf-token" content="')[1]
    token = token.split('"')[0]
    for row in world.stack.rows(blocked_addresses):
        answer = world.ben.post(f"/mailbox/blocks/{row.id}/remove", data={"csrf_token": token})
        assert answer.status_code == 400 and "alert" in answer.text
    assert len(world.stack.rows(blocked_addresses)) == 2
