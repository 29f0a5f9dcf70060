"""Who may reach a team mailbox, through the pages and the JSON API: a member of another team,
a member who is not a dispatcher, a former member (access goes at once; their thread returns
to unassigned and the dispatchers are told), API tokens without the mail scopes; the team
account is offered to nobody as a person."""

from __future__ import annotations

import httpx

from tests.support.stack import Stack, csrf, seen
from tests.web.team_mailboxes.kit import DEV, EMMA, SALES_BOX, api_token, build_team_world
from tests.web.thread_support import BEN, CARLA


def test_outsiders_former_members_and_tokens(stack: Stack) -> None:
    world = build_team_world(stack)
    thread_id = world.customer_mail("Invoice 2291", "Please resend the invoice.")
    assert world.threads(BEN).status_code == 200  # the dispatcher's read lists it
    base = f"/team-mailboxes/{world.box_id}"
    api = f"/api/team-mailboxes/{world.box_id}"
    thread_api = f"{api}/threads/{thread_id}"

    def closed_to(who: httpx.Client) -> None:
        token = csrf(who, "/team-mailboxes")
        h = {"X-CSRF-Token": token}
        assert who.get(base).status_code == 404
        assert who.get(f"{base}/threads/{thread_id}").status_code == 404
        assert who.get(f"{api}/threads").status_code == 404
        assert (
            who.post(f"{thread_api}/assign", json={"user_id": None}, headers=h).status_code == 404
        )
        assert (
            who.post(f"{thread_api}/status", json={"status": "closed"}, headers=h).status_code
            == 404
        )
        form = {"csrf_token": token, "text": "x"}
        assert who.post(f"{base}/threads/{thread_id}/reply", data=form).status_code == 404
        assert who.post(f"{base}/threads/{thread_id}/assign", data=form).status_code == 404
        assert who.post(f"{base}/test", data={"csrf_token": token}).status_code == 404
        assert who.get(f"{base}/settings").status_code == 403
        listed = who.get("/api/team-mailboxes").json()["team_mailboxes"]
        assert world.box_id not in [b["id"] for b in listed]
        assert "Invoice 2291" not in who.get("/team-mailboxes/notifications").text

    # A member of another team sees nothing of it, not even on the customer's record, where
    # the mailbox's own sharing (its teams) shows it to the team.
    closed_to(world.dev)
    on_record = f"/api/records/contact/{world.contact_id}/threads"
    assert "Invoice 2291" in world.carla.get(on_record).text
    dev_view = world.dev.get(on_record)
    assert dev_view.status_code == 200 and "Invoice 2291" not in dev_view.text

    # A member who is not a dispatcher may not assign to others, nor assign to a non-member;
    # she may take an unassigned thread (the mailbox allows it).
    carla_h = {"X-CSRF-Token": csrf(world.carla, "/team-mailboxes")}
    to_ben = world.carla.post(
        f"{thread_api}/assign", json={"user_id": world.ids[BEN]}, headers=carla_h
    )
    assert to_ben.status_code == 403
    to_dev = world.ben.post(
        f"{thread_api}/assign",
        json={"user_id": world.ids[DEV]},
        headers={"X-CSRF-Token": csrf(world.ben, "/team-mailboxes")},
    )
    assert to_dev.status_code == 422
    took = world.carla.post(
        f"{thread_api}/assign", json={"user_id": world.ids[CARLA]}, headers=carla_h
    )
    assert took.status_code == 200 and took.json()["assignee_id"] == world.ids[CARLA]
    assert world.carla.get(f"{base}/threads/{thread_id}").status_code == 200
    # A dispatcher reassigns it: the one it was taken from is told; then it comes back to her.
    ben_h = {"X-CSRF-Token": csrf(world.ben, "/team-mailboxes")}
    for who in (EMMA, CARLA):
        moved = world.ben.post(
            f"{thread_api}/assign", json={"user_id": world.ids[who]}, headers=ben_h
        )
        assert moved.status_code == 200 and moved.json()["assignee_id"] == world.ids[who]
    assert "gave your thread to someone else" in seen(
        world.carla.get("/team-mailboxes/notifications")
    )
    mine = world.threads(CARLA, f"?assignee={world.ids[CARLA]}").json()["threads"]
    assert [t["thread_id"] for t in mine] == [thread_id]
    assert world.threads(CARLA, f"?assignee={world.ids[EMMA]}").json()["threads"] == []

    # API tokens: none without mail:read reads; none without mail:act assigns.
    no_mail = api_token(world.ben, ["crm:read"])
    read_only = api_token(world.ben, ["mail:read"])
    acting = api_token(world.ben, ["mail:read", "mail:act"])
    url = stack.url
    assert httpx.get(f"{url}/api/team-mailboxes", headers=no_mail).status_code == 403
    assert httpx.get(f"{url}{api}/threads", headers=no_mail).status_code == 403
    assert httpx.get(f"{url}{api}/threads", headers=read_only).status_code == 200
    body = {"user_id": world.ids[BEN]}
    assert httpx.post(f"{url}{thread_api}/assign", json=body, headers=read_only).status_code == 403
    assert (
        httpx.post(
            f"{url}{thread_api}/status", json={"status": "closed"}, headers=no_mail
        ).status_code
        == 403
    )
    page = httpx.get(f"{url}{base}", headers=acting)  # pages take no tokens: sign in first
    assert page.status_code == 303 and "Invoice 2291" not in page.text
    dev_token = api_token(world.dev, ["mail:read", "mail:act"])
    assert httpx.get(f"{url}{api}/threads", headers=dev_token).status_code == 404
    assert httpx.post(f"{url}{thread_api}/assign", json=body, headers=dev_token).status_code == 404

    # Carla leaves the Sales team: access goes at once; her thread returns to unassigned on the
    # next look, and the dispatchers are told.
    world.move_to_team(CARLA, "Support")
    closed_to(world.carla)
    rows = world.threads(BEN).json()["threads"]
    [row] = [t for t in rows if t["thread_id"] == thread_id]
    assert row["status"] == "unassigned" and row["assignee_id"] is None
    told = world.ben.get("/team-mailboxes/notifications")
    assert "came back unassigned" in seen(told)
    assigned = httpx.post(f"{url}{thread_api}/assign", json=body, headers=acting)
    assert assigned.status_code == 200 and assigned.json()["assignee_id"] == world.ids[BEN]

    # The team account is nobody's colleague: not offered in the sharing choices.
    sharing = world.ben.get("/settings/sharing")
    assert sharing.status_code == 200 and SALES_BOX not in sharing.text
    assert "Brightwave Sales" not in sharing.text
