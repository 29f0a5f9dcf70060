"""Privacy canary for team mailboxes: customer mail to sales@ whose subject, body, sender
(address and display name) carry unique markers goes through every team-mailbox path (the
team inbox page with each filter, the JSON thread list, the thread page, assign, take, status,
close with archive, a reply from the shared address whose text carries a marker too, the
notifications page, the settings and test pages, a former member's thread returned); then
every table of the database, every file under the data directory and every log record
captured at DEBUG are searched: no marker may appear anywhere. The markers did reach Gmail and
the pages (checked), so the scan looks for something that was really there."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from tests.support.canary import assert_nowhere, capture_logs, database_rows
from tests.support.stack import csrf, run_stack
from tests.web.sending.kit import messages
from tests.web.team_mailboxes.kit import SALES_BOX, build_team_world, configure
from tests.web.thread_support import BEN, CARLA, mail


def test_no_team_mail_content_is_stored_or_logged(
    db_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    capture_logs(caplog)
    marker = "cnry" + secrets.token_hex(6)
    markers = {
        "subject": f"Subject {marker}sub",
        "body": f"Body text {marker}body",
        "sender": f"{marker}from@acme.example",
        "name": f"Name {marker}name",
        "reply": f"Reply {marker}reply",
    }
    data_dir = tmp_path / "data"
    with run_stack(db_url, data_dir=str(data_dir)) as stack:
        world = build_team_world(stack)
        assert (
            configure(world, [BEN], archive_on_close="on", mark_read_on_assign="on").status_code
            == 200
        )
        raw, _ = mail(
            f'"{markers["name"]}" <{markers["sender"]}>',
            SALES_BOX,
            markers["subject"],
            markers["body"],
        )
        thread_id = str(stack.emulator.insert(SALES_BOX, raw)["threadId"])
        second = world.customer_mail(f"Second {markers['subject']}", markers["body"])
        base = f"/team-mailboxes/{world.box_id}"
        for query in ("", "?show=mine", "?show=unassigned", "?show=overdue", "?status=assigned"):
            page = world.ben.get(base + query)
            assert page.status_code == 200
        assert markers["subject"] in world.ben.get(base).text
        listed = world.threads(BEN)
        assert markers["subject"] in listed.text
        api = f"/api/team-mailboxes/{world.box_id}/threads"
        assign = world.api(BEN, "POST", f"{api}/{thread_id}/assign", {"user_id": world.ids[CARLA]})
        assert assign.status_code == 200
        assert (
            world.api(
                CARLA, "POST", f"{api}/{second}/assign", {"user_id": world.ids[CARLA]}
            ).status_code
            == 200
        )
        opened = world.carla.get(f"{base}/threads/{thread_id}")
        assert markers["body"] in opened.text
        assert (
            world.api(
                CARLA, "POST", f"{api}/{thread_id}/status", {"status": "in_progress"}
            ).status_code
            == 200
        )
        sent = world.carla.post(
            f"{base}/threads/{thread_id}/reply",
            data={"csrf_token": csrf(world.carla, "/team-mailboxes"), "text": markers["reply"]},
        )
        assert sent.status_code == 200
        assert (
            world.api(CARLA, "POST", f"{api}/{thread_id}/status", {"status": "closed"}).status_code
            == 200
        )
        assert world.carla.get("/team-mailboxes/notifications").status_code == 200
        assert world.ben.get("/team-mailboxes/notifications").status_code == 200
        assert world.alice.get(f"{base}/settings").status_code == 200
        assert (
            world.alice.post(
                f"{base}/test", data={"csrf_token": csrf(world.alice, base + "/settings")}
            ).status_code
            == 200
        )
        world.move_to_team(CARLA, "Support")  # her second thread returns to unassigned
        assert world.threads(BEN).status_code == 200
        # The markers really went to Gmail: the reply from sales@ and the archived thread.
        [out] = messages(stack, SALES_BOX, "SENT")
        assert markers["reply"].encode() in out.raw and markers["subject"].encode() in out.raw
        thread_labels = {
            label
            for m in messages(stack, SALES_BOX)
            if m.thread_id == thread_id
            for label in m.label_ids
        }
        assert "INBOX" not in thread_labels  # archived on close

        blob = database_rows(stack.db_url)
    assert thread_id in blob  # the team tables were written (ids only)
    logged = assert_nowhere({**markers, "marker": marker}, blob, caplog, (data_dir, tmp_path))
    assert "gpanel.team_mailboxes" in logged, "the team mailbox log was not captured"
