"""A team mailbox end to end over real HTTP (emulator + gpanel, both engines): an admin
connects sales@ through the team connect flow and the emulator's consent; a customer email
shows in the team inbox (live from Gmail, with its CRM contact); a dispatcher assigns it; the
assignee is told, opens it (the New badge goes), replies from the shared address, closes it;
the banner's counts follow; the team account can never sign in; disconnecting forgets every
team row and the team account."""

from __future__ import annotations

from gpanel.store.tables import (
    mailboxes,
    team_mailboxes,
    team_notifications,
    team_thread_events,
    team_threads,
    users,
)
from tests.support.stack import Stack, csrf, seen
from tests.web.sending.kit import messages, parsed
from tests.web.team_mailboxes.kit import PAT, SALES_BOX, build_team_world
from tests.web.thread_support import BEN, CARLA


def test_assign_open_reply_close(stack: Stack) -> None:
    world = build_team_world(stack)
    thread_id = world.customer_mail("Quote for 40 seats", "Can you send a quote?")
    listed = world.threads(BEN)
    assert listed.status_code == 200, listed.text
    body = listed.json()
    [row] = [t for t in body["threads"] if t["thread_id"] == thread_id]
    assert row["status"] == "unassigned" and row["assignee_id"] is None
    assert row["subject"] == "Quote for 40 seats"
    assert row["contacts"] == [{"id": world.contact_id, "name": "Pat Buyer"}]
    assert body["counts"]["unassigned"] == 1 and body["counts"]["assigned"] == 0
    # The dispatchers were told of the new mail.
    assert "New mail" in world.emma.get("/team-mailboxes/notifications").text

    carla_id = world.ids[CARLA]
    path = f"/api/team-mailboxes/{world.box_id}/threads/{thread_id}"
    done = world.api(
        BEN, "POST", path + "/assign", {"user_id": carla_id, "version": row["version"]}
    )
    assert done.status_code == 200, done.text
    assert done.json()["assignee_id"] == carla_id and done.json()["status"] == "assigned"

    # Carla is told through the bell, and the thread is New for her until she opens it.
    bell = world.carla.get("/notifications/count").json()
    assert bell["team"] == 1 and bell["unread"] >= 1
    listed_in_bell = world.carla.get("/notifications")
    assert "Ben Okafor assigned you a thread" in listed_in_bell.text
    assert world.carla.get("/notifications/count").json()["team"] == 0  # shown: read
    notes = world.carla.get("/team-mailboxes/notifications")
    assert "Ben Okafor assigned you a thread" in notes.text, notes.text
    assert f"/team-mailboxes/{world.box_id}/threads/{thread_id}" in notes.text
    mine = world.threads(CARLA, "?show=mine").json()["threads"]
    assert [t["thread_id"] for t in mine] == [thread_id] and mine[0]["new"] is True
    page = world.carla.get(f"/team-mailboxes/{world.box_id}/threads/{thread_id}")
    assert page.status_code == 200 and "Can you send a quote?" in page.text
    assert world.threads(CARLA, "?show=mine").json()["threads"][0]["new"] is False

    # She replies from the shared address.
    url = f"/team-mailboxes/{world.box_id}/threads/{thread_id}/reply"
    sent = world.carla.post(
        url, data={"csrf_token": csrf(world.carla, "/team-mailboxes"), "text": "Here it is."}
    )
    assert sent.status_code == 200 and "Your reply went out from sales@" in sent.text, sent.text[
        :400
    ]
    [out] = messages(stack, SALES_BOX, "SENT")
    message = parsed(out.raw)
    assert SALES_BOX in str(message["From"]) and PAT in str(message["To"])
    assert out.thread_id == thread_id
    # The thread records who replied, and its first response.
    replied = [e for e in stack.rows(team_thread_events) if e.kind == "replied"]
    assert [e.actor_id for e in replied] == [carla_id]
    [state] = stack.rows(team_threads)
    assert state.first_response_at is not None and state.assigned_at is not None

    closed = world.api(CARLA, "POST", path + "/status", {"status": "closed"})
    assert closed.status_code == 200, closed.text
    after = world.threads(BEN).json()
    assert after["counts"]["unassigned"] == 0 and after["counts"]["closed"] == 1
    banner = {b["status"]: b["count"] for b in after["banner"]}
    assert banner["closed"] == 1 and banner["unassigned"] == 0
    inbox = world.ben.get(f"/team-mailboxes/{world.box_id}")
    assert inbox.status_code == 200 and 'data-status="closed"' in inbox.text

    # The team account is not a person: it cannot sign in.
    other = stack.browser()
    stack.queue_consent(SALES_BOX)
    refused = other.get("/auth/google")
    assert "is a team mailbox in gpanel; nobody signs in with it" in seen(refused)
    assert other.get("/api/team-mailboxes").status_code == 401

    # Disconnecting forgets all of it: the mailbox, its team rows and the team account.
    page = f"/team-mailboxes/{world.box_id}/disconnect"
    assert "forgets everything" in world.alice.get(page).text
    gone = world.alice.post(page, data={"csrf_token": csrf(world.alice, page)})
    assert gone.status_code == 200 and gone.url.path == "/team-mailboxes/manage"
    for table in (team_mailboxes, team_threads, team_thread_events, team_notifications):
        assert stack.rows(table) == [], table.name
    assert SALES_BOX not in [u.email for u in stack.rows(users)]
    assert SALES_BOX not in [m.email for m in stack.rows(mailboxes)]
    assert world.ben.get(f"/team-mailboxes/{world.box_id}").status_code == 404
