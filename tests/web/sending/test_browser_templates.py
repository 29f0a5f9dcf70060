"""The template manager page in real headless Chromium (gpanel and the emulator over real
HTTP, SQLite), then its rules over plain HTTP.

Ben, a manager of team East, opens Templates from the compose page, creates a published "Intro"
in folder Sales shared with East and a personal draft "Notes"; both show under their folders.
He edits Intro's subject and deletes Notes. Carla, a rep of East, then sees Intro (shared,
published) but not Ben's deleted or personal ones, may not edit Ben's template (403), and may
not share one of her own (422, only an admin or a manager shares). No console error.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from gpanel.crm.people import create_team, update_user
from gpanel.store.tables import mail_templates
from tests.support.browser import chromium, record_console, sign_in_queued
from tests.support.stack import csrf
from tests.web.thread_support import BEN, CARLA, World, db, world_on_sqlite

pytestmark = [pytest.mark.browser]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with world_on_sqlite(tmp_path) as world:
        yield world


def _teams(world: World) -> int:
    async def go(engine: object) -> int:
        async with engine.begin() as conn:  # type: ignore[attr-defined]
            east = await create_team(conn, name="East")
            await create_team(conn, name="West")
            await update_user(conn, world.user_ids[BEN], {"role": "manager", "team_id": east.id})
            await update_user(conn, world.user_ids[CARLA], {"team_id": east.id})
        return int(east.id)

    return db(world.stack, go)


def test_manage_templates_in_folders_and_share_with_a_team(world: World) -> None:
    east = _teams(world)
    console: list[str] = []
    with chromium() as browser:
        page = browser.new_page()
        record_console(page, console)
        sign_in_queued(world.stack, page, BEN)
        page.goto(f"{world.stack.url}/records/contact/{world.contact_id}/compose")
        page.click("#manage-templates")
        page.wait_for_url("**/templates")
        # A manager shares with their own team only: East, not West, not every team.
        offered = page.locator("#template-share option").all_inner_texts()
        assert offered == ["Nobody (personal)", "East"]
        page.fill("#template-name", "Intro")
        page.fill("#template-folder", "Sales")
        page.fill("#template-subject", "Hello {{contact.first_name}}")
        page.fill("#template-text", "Dear {{contact.first_name | there}},")
        page.select_option("#template-status", "published")
        page.select_option("#template-share", label="East")
        page.click("#template-save")
        page.locator("#templates-notice", has_text="created").wait_for()
        page.fill("#template-name", "Notes")
        page.fill("#template-subject", "Personal")
        page.click("#template-save")
        page.locator("#templates-notice", has_text="created").wait_for()
        sales = page.locator('section[data-folder="Sales"]')
        assert "Intro" in sales.inner_text() and "East" in sales.inner_text()
        assert "Published" in sales.inner_text()
        loose = page.locator('section[data-folder=""]')
        assert "Notes" in loose.inner_text() and "Only you" in loose.inner_text()

        sales.locator(".template-edit").click()
        page.wait_for_url(re.compile(r".*/templates/\d+$"))
        assert page.input_value("#template-name") == "Intro"
        page.fill("#template-subject", "Hi {{contact.first_name}}")
        page.click("#template-save")
        page.locator("#templates-notice", has_text="saved").wait_for()
        assert (
            "Hi {{contact.first_name}}" in page.locator('section[data-folder="Sales"]').inner_text()
        )
        page.locator('section[data-folder=""] .template-delete').click()
        page.locator("#templates-notice", has_text="deleted").wait_for()
        assert page.locator('section[data-folder=""]').count() == 0
    assert not [c for c in console if c.startswith("error")], console
    (row,) = world.stack.rows(mail_templates)
    assert (row.name, row.folder, row.status, row.shared, row.team_id) == (
        "Intro",
        "Sales",
        "published",
        True,
        east,
    )
    assert row.subject == "Hi {{contact.first_name}}"

    # Carla, a rep of East: sees the shared template, may neither edit it nor share her own.
    listed = world.carla.get("/api/templates").json()
    assert [t["name"] for t in listed] == ["Intro"]
    assert world.carla.get(f"/templates/{row.id}").status_code == 403
    h = {"X-CSRF-Token": csrf(world.carla)}
    edit = world.carla.post(
        f"/templates/{row.id}", data={"name": "Mine now", "subject": "x"}, headers=h
    )
    assert edit.status_code == 403
    refused = world.carla.post(
        "/templates", data={"name": "Hers", "subject": "x", "share": str(east)}, headers=h
    )
    assert refused.status_code == 422 and "only an admin or a manager shares" in refused.text
    assert world.carla.post(f"/templates/{row.id}/delete", headers=h).status_code == 403
    assert len(world.stack.rows(mail_templates)) == 1
