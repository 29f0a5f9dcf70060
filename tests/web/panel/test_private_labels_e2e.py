"""Private labels, end to end: Ben ticks his Gmail label "Family" on the private labels page
(real headless Chromium), and from then on a colleague with full access to Ben's mail never
sees a thread under that label on any path: the contact's and the company's panel (page and
JSON), the thread page and its JSON, "why isn't my email here?" (which finds nothing). A
thread labelled Family after the setting is hidden too, and unticking brings it back. Ben
himself still sees his Family threads. Only the label's id and name are stored.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from gpanel.services.sharing.policy import Audience, Detail
from gpanel.store.migrate import upgrade
from gpanel.store.tables import private_labels
from tests.support.browser import ARGS, sign_in
from tests.support.needs import CHROMIUM
from tests.support.stack import csrf, run_stack
from tests.web.thread_support import BEN, PAT, World, build_world, mail

pytestmark = [
    pytest.mark.browser,
]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'gpanel.db'}"
    upgrade(url)
    with run_stack(url) as stack:
        yield build_world(stack)


def _label(world: World, name: str) -> str:
    box = world.stack.emulator.state.mailbox(BEN)  # type: ignore[attr-defined]
    with world.stack.emulator.state.lock:  # type: ignore[attr-defined]
        return str(box.labels.create({"name": name}).id)


def _tick_in_browser(world: World, name: str, on: bool) -> None:
    base = world.stack.url
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page()
            sign_in(world.stack, page, BEN)
            page.goto(base + "/mailbox")
            page.click("a:has-text('Private labels')")
            page.wait_for_url(base + "/mailbox/private-labels")
            box = page.get_by_label(name)
            box.check() if on else box.uncheck()
            page.click("button:has-text('Save')")
            page.wait_for_url("**/mailbox/private-labels?notice=saved")
            assert page.get_by_label(name).is_checked() is on
        finally:
            browser.close()


def _colleague_sees(world: World, thread: str, subject: str) -> list[str]:
    """Every path on which Carla sees the thread or its subject."""
    carla, seen = world.carla, []
    kinds = (("contact", world.contact_id, "contacts"), ("company", world.company_id, "companies"))
    for kind, rid, plural in kinds:
        if subject in carla.get(f"/api/records/{kind}/{rid}/threads").text:
            seen.append(f"{kind} panel JSON")
        if subject in carla.get(f"/records/{kind}/{rid}/panel").text:
            seen.append(f"{kind} panel fragment")
        if subject in carla.get(f"/{plural}/{rid}").text:
            seen.append(f"{kind} page")
        opened = carla.get(world.url(thread, kind, rid))
        if opened.status_code == 200 or subject in opened.text:
            seen.append(f"{kind} thread page")
    api = carla.get(f"/api/threads/{world.mailbox_id}/{thread}")
    if api.status_code == 200 or subject in api.text:
        seen.append("thread JSON")
    why = carla.post(
        f"/api/records/contact/{world.contact_id}/why",
        json={"q": thread},
        headers={"X-CSRF-Token": csrf(carla, "/contacts")},
    )
    if subject in why.text or '"shown"' in why.text:
        seen.append(f"why: {why.text[:200]}")
    return seen


def test_a_personal_label_keeps_threads_from_colleagues_on_every_path(world: World) -> None:
    """Threads under a private label are shown to nobody but the owner, on every path."""
    world.share(Audience.RECORD_ACCESS, Detail.FULL)
    personal = _label(world, "Family")
    _label(world, "Projects")
    raw, _ = mail(f"Pat <{PAT}>", f"Ben <{BEN}>", "Dinner on Saturday", "See you")
    dinner = world.insert(raw, ("INBOX", personal))["threadId"]
    raw, _ = mail(f"Pat <{PAT}>", f"Ben <{BEN}>", "Fleet quote", "Numbers attached")
    quote = world.insert(raw)["threadId"]
    # Before: Carla sees both (so the checks below can fail).
    assert _colleague_sees(world, dinner, "Dinner on Saturday")

    _tick_in_browser(world, "Family", on=True)
    (row,) = world.stack.rows(private_labels)
    assert (row.label_id, row.label_name) == (personal, "Family")

    assert _colleague_sees(world, dinner, "Dinner on Saturday") == []
    assert "Fleet quote" in world.carla.get(f"/api/records/contact/{world.contact_id}/threads").text
    assert world.carla.get(world.url(quote)).status_code == 200
    why = world.carla.post(
        f"/api/records/contact/{world.contact_id}/why",
        json={"q": dinner},
        headers={"X-CSRF-Token": csrf(world.carla, "/contacts")},
    )
    # As for a thread marked private: nothing about it, not even that it exists.
    assert why.json()["findings"] == [] and "Dinner" not in why.text, why.text
    # The owner still sees it.
    assert (
        "Dinner on Saturday"
        in world.ben.get(f"/api/records/contact/{world.contact_id}/threads").text
    )
    assert world.ben.get(world.url(dinner)).status_code == 200

    # A thread filed under Family later is hidden too, with no new setting.
    box = world.stack.emulator.state.mailbox(BEN)  # type: ignore[attr-defined]
    with world.stack.emulator.state.lock:  # type: ignore[attr-defined]
        for message in box.thread(quote):
            box.modify(message.id, [personal], [])
    assert _colleague_sees(world, quote, "Fleet quote") == []

    _tick_in_browser(world, "Family", on=False)
    assert world.stack.rows(private_labels) == []
    assert (
        "Dinner on Saturday"
        in world.carla.get(f"/api/records/contact/{world.contact_id}/threads").text
    )
