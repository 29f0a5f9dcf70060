"""Label rules by recipient and the figures page in real headless Chromium, on the real stack
(emulator + gpanel over HTTP, the embedded scheduler running).

Alice (admin) opens the team mailbox's settings, follows "Label rules by recipient", is told
in words why a malformed rule is refused, adds "mail to sales@ gets Sales desk", and the
background pass (triggered by the add) puts the label on the customer mail in Gmail; she
removes the rule and it is gone from the page and the database. Ben (a dispatcher) follows
"Figures" from the team inbox and sees the tables; Dev (another team) gets 404 there."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from gpanel.store.migrate import upgrade
from gpanel.store.tables import team_label_rules
from tests.support.browser import chromium, sign_in
from tests.support.stack import Stack, run_stack
from tests.web.team_mailboxes.kit import SALES_BOX, TeamWorld, build_team_world
from tests.web.thread_support import ALICE, BEN

pytestmark = [pytest.mark.browser]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[TeamWorld]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'gpanel.db'}"
    upgrade(url)
    with run_stack(url) as stack:
        yield build_team_world(stack)


def _labels_of(stack: Stack, message_thread: str) -> set[str]:
    box = stack.emulator.state.mailbox(SALES_BOX)
    with stack.emulator.state.lock:
        names = {lb.id: lb.name for lb in box.labels.all() if lb.type == "user"}
        return {
            names[i]
            for m in box.messages.values()
            if m.thread_id == message_thread
            for i in m.label_ids
            if i in names
        }


def test_admin_adds_and_removes_a_label_rule_and_a_member_reads_the_figures(
    world: TeamWorld,
) -> None:
    stack = world.stack
    thread_id = world.customer_mail("Seats for next year", "Hello sales")
    base = stack.url
    with chromium() as browser:
        admin = browser.new_context().new_page()
        sign_in(stack, admin, ALICE)
        admin.goto(f"{base}/team-mailboxes/{world.box_id}/settings")
        admin.click("a:has-text('Label rules by recipient')")
        admin.wait_for_url(f"{base}/team-mailboxes/{world.box_id}/label-rules")
        assert "No rules yet." in admin.inner_text("#label-rules")
        admin.fill("#rule-address", SALES_BOX)
        admin.fill("#rule-label", "INBOX")
        admin.click("button:has-text('Add rule')")
        assert "one of Gmail's own labels" in admin.inner_text("#rules-error")
        admin.fill("#rule-label", "Sales desk")
        admin.click("button:has-text('Add rule')")
        admin.wait_for_selector("#rules-notice")
        assert "Rule added" in admin.inner_text("#rules-notice")
        row = admin.inner_text("#label-rules tbody tr")
        assert SALES_BOX in row and "Sales desk" in row
        deadline = time.monotonic() + 20
        while "Sales desk" not in _labels_of(stack, thread_id):
            assert time.monotonic() < deadline, "the background pass did not label the mail"
            time.sleep(0.2)
        admin.reload()
        assert "yes" in admin.inner_text("#label-rules tbody tr")
        admin.click(f"button[aria-label='Remove the rule for {SALES_BOX}']")
        admin.wait_for_selector("#rules-notice")
        assert "Rule removed" in admin.inner_text("#rules-notice")
        assert "No rules yet." in admin.inner_text("#label-rules")
        assert stack.rows(team_label_rules) == []

        member = browser.new_context().new_page()
        sign_in(stack, member, BEN)
        member.goto(f"{base}/team-mailboxes/{world.box_id}")
        member.click("a:has-text('Figures')")
        member.wait_for_url(f"{base}/team-mailboxes/{world.box_id}/stats")
        assert "First response" in member.inner_text("#figures-total")
        assert member.locator("#figures-weeks tbody tr").count() == 12
        outsider = browser.new_context().new_page()
        sign_in(stack, outsider, "dev@brightwave.example")
        gone = outsider.goto(f"{base}/team-mailboxes/{world.box_id}/stats")
        assert gone is not None and gone.status == 404
