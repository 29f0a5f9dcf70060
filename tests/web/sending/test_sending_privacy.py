"""Privacy canary for sending: messages whose subject, body, recipients (addresses and display
names) carry unique markers go through every way of sending (compose and send with an
Idempotency-Key and its repeat, a reply all, a 429 kept as a Gmail draft, send later sent by the
job, undo send cancelled, the compose page and render, a draft saved, replaced, read back and
reopened on the compose page, a follow-up reminder checked by its job); then every table of
the database, every file under the data directory (the SQLite file included) and every log
record captured at DEBUG are searched: no marker may appear anywhere. The markers did reach
Gmail (checked), so the scan looks for something that was really there."""

from __future__ import annotations

import datetime as dt
import secrets
import time
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from gpanel.jobs.runner import run_global_job
from gpanel.store.tables import follow_ups
from tests.support.canary import assert_nowhere, capture_logs, database_rows
from tests.support.stack import csrf, run_stack
from tests.web.sending.kit import messages, post, with_ctx
from tests.web.thread_support import BEN, CARLA, PAT, build_world, mail


async def _all_due(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(update(follow_ups).values(due_at=dt.datetime.now(dt.UTC)))


def test_no_sent_or_drafted_content_is_stored_or_logged(
    db_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    capture_logs(caplog)
    marker = "cnry" + secrets.token_hex(6)
    markers = {
        "subject": f"Subject {marker}sub",
        "body": f"Body text {marker}body",
        "rcpt": f"{marker}rcpt@elsewhere.example",
        "name": f"Name {marker}name",
    }
    rcpt = f'"{markers["name"]}" <{markers["rcpt"]}>'
    data_dir = tmp_path / "data"
    with run_stack(db_url, data_dir=str(data_dir)) as stack:
        world = build_world(stack)
        base = {"cc": [rcpt], "subject": markers["subject"], "text": markers["body"]}
        assert post(world, "/api/mail/send", {**base, "to": [CARLA]}, key="p1").status_code == 201
        assert post(world, "/api/mail/send", {**base, "to": [CARLA]}, key="p1").status_code == 200
        original, _ = mail(f"Pat <{PAT}>", BEN, markers["subject"], markers["body"], cc=rcpt)
        created = world.insert(original)
        reply = {
            "text": markers["body"],
            "reply_to": {
                "mailbox_id": world.mailbox_id,
                "thread_id": created["threadId"],
                "message_id": created["id"],
                "mode": "reply_all",
            },
            "remind_days": 1,
        }
        assert post(world, "/api/mail/send", reply).status_code == 201
        made = post(world, "/api/mail/drafts", {**base, "to": [CARLA]})
        assert made.status_code == 201, made.text
        draft_path = f"/api/mail/drafts/{made.json()['draft_id']}"
        headers = {"X-CSRF-Token": csrf(world.ben)}
        changed = world.ben.put(draft_path, json={**base, "to": [CARLA]}, headers=headers)
        assert changed.status_code == 200
        assert markers["body"] in world.ben.get(draft_path).text
        reopened = world.ben.get(
            f"/records/contact/{world.contact_id}/compose?draft_id={made.json()['draft_id']}"
        )
        assert markers["subject"] in reopened.text
        with_ctx(stack, lambda ctx: _all_due(ctx.engine))
        with_ctx(stack, lambda ctx: run_global_job(ctx, "follow_ups"))
        assert [r.state for r in stack.rows(follow_ups)] == ["notified"]
        stack.emulator.control.post(
            "/_emulator/faults",
            json={"user": BEN, "method": "gmail.users.messages.send", "kind": "send_limit"},
        ).raise_for_status()
        held = post(world, "/api/mail/send", {**base, "to": [CARLA]}, key="p2")
        assert held.status_code == 201 and held.json()["draft_id"]
        soon = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)).isoformat()
        later = post(world, "/api/mail/send", {**base, "to": [CARLA], "send_at": soon})
        undo = post(world, "/api/mail/send", {**base, "to": [CARLA], "undo_seconds": 5})
        assert later.status_code == 201 and undo.status_code == 201
        cancel = f"/api/mail/scheduled/{undo.json()['draft_id']}/cancel"
        assert post(world, cancel, {}).status_code == 200
        time.sleep(1.2)
        with_ctx(stack, lambda ctx: run_global_job(ctx, "send_due"))
        page = world.ben.get(
            f"/records/contact/{world.contact_id}/compose?mailbox_id={world.mailbox_id}"
            f"&thread_id={created['threadId']}&message_id={created['id']}&mode=reply"
        )
        assert page.status_code == 200
        assert world.ben.get("/api/mail/scheduled").status_code == 200
        # The markers really went to Gmail: sent, delivered and drafted.
        sent = messages(stack, BEN, "SENT")
        assert len(sent) == 3 and all(markers["subject"].encode() in m.raw for m in sent)
        assert all(markers["rcpt"].encode() in m.raw for m in messages(stack, BEN, "DRAFT"))
        assert len(messages(stack, CARLA, "INBOX")) == 2  # the first send and the later one

        blob = database_rows(stack.db_url)
    assert "send_due" in blob or "scheduled" in blob or "sent" in blob  # rows were written
    logged = assert_nowhere({**markers, "marker": marker}, blob, caplog, (data_dir, tmp_path))
    assert "gpanel.sending" in logged, "the sending log was not captured"
