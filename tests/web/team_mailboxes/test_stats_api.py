"""The figures of a team mailbox through its page and `GET /api/team-mailboxes/{id}/stats`,
over real HTTP on both engines: they follow a real reply from the shared address and a close
(first response and resolution counted for the member who did them); members only: a member of
another team, a former member and a non-member get 404 from the page and the API alike; an API
token needs `mail:read`; the operation is in the OpenAPI document with that scope; the figures
hold no mail (the subject and body of the thread appear nowhere in the answer)."""

from __future__ import annotations

import httpx

from tests.support.stack import Stack, csrf
from tests.web.team_mailboxes.kit import api_token, build_team_world
from tests.web.thread_support import BEN, CARLA

SUBJECT, BODY = "Figures quote zq81", "Please quote zq81 seats"


def test_figures_follow_reply_and_close_and_stay_with_members(stack: Stack) -> None:
    world = build_team_world(stack)
    thread_id = world.customer_mail(SUBJECT, BODY)
    stats = f"/api/team-mailboxes/{world.box_id}/stats"
    page = f"/team-mailboxes/{world.box_id}/stats"
    empty = world.api(BEN, "GET", stats)
    assert empty.status_code == 200, empty.text
    assert empty.json()["total"]["first_response"]["count"] == 0

    listed = world.threads(BEN).json()["threads"]
    [row] = [t for t in listed if t["thread_id"] == thread_id]
    path = f"/api/team-mailboxes/{world.box_id}/threads/{thread_id}"
    carla = world.ids[CARLA]
    assigned = world.api(
        BEN, "POST", path + "/assign", {"user_id": carla, "version": row["version"]}
    )
    assert assigned.status_code == 200, assigned.text
    sent = world.carla.post(
        f"/team-mailboxes/{world.box_id}/threads/{thread_id}/reply",
        data={"csrf_token": csrf(world.carla, "/team-mailboxes"), "text": "Here it is."},
    )
    assert sent.status_code == 200, sent.text[:300]
    after_reply = world.api(CARLA, "GET", stats).json()
    assert after_reply["total"]["first_response"]["count"] == 1
    assert after_reply["total"]["resolution"]["count"] == 0
    closed = world.api(CARLA, "POST", path + "/status", {"status": "closed"})
    assert closed.status_code == 200, closed.text
    body = world.api(BEN, "GET", stats + "?weeks=4").json()
    assert body["weeks"] == 4 and len(body["by_week"]) == 4
    assert body["total"]["first_response"]["count"] == 1
    assert body["total"]["resolution"]["count"] == 1
    [member] = body["members"]
    assert member["key"] == str(carla) and member["label"] == "Carla Reyes"
    assert member["resolution"]["median_seconds"] >= member["first_response"]["median_seconds"]
    assert body["by_week"][-1]["resolution"]["count"] == 1
    shown = world.carla.get(page)
    assert shown.status_code == 200 and "Carla Reyes" in shown.text
    for text in (str(body), shown.text):
        assert SUBJECT not in text and "zq81" not in text
    assert world.api(BEN, "GET", stats + "?weeks=0").status_code == 422
    assert world.api(BEN, "GET", stats + "?weeks=x").status_code == 422

    # Dev is in Support, another team: nothing, not even that the mailbox exists.
    assert world.api("dev@brightwave.example", "GET", stats).status_code == 404
    assert world.dev.get(page).status_code == 404
    # Alice is an admin who manages it but is no member: managing is not reading.
    assert world.alice.get(stats).status_code == 404
    # Signed out: no figures.
    assert httpx.get(stack.url + stats).status_code == 401
    # Tokens: mail:read gives the figures; crm scopes alone do not.
    with_read = api_token(world.carla, ["mail:read"])
    crm_only = api_token(world.carla, ["crm:read"])
    assert httpx.get(stack.url + stats, headers=with_read).status_code == 200
    assert httpx.get(stack.url + stats, headers=crm_only).status_code == 403
    # Carla leaves Sales: at once no figures, by page, API or token.
    world.move_to_team(CARLA, "Support")
    assert world.api(CARLA, "GET", stats).status_code == 404
    assert world.carla.get(page).status_code == 404
    assert httpx.get(stack.url + stats, headers=with_read).status_code == 404


def test_stats_operation_is_documented_with_mail_read(stack: Stack) -> None:
    doc = httpx.get(stack.url + "/api/openapi.json").json()
    operation = doc["paths"]["/api/team-mailboxes/{box_id}/stats"]["get"]
    assert {"apiToken": ["mail:read"]} in operation["security"]
    assert "weeks" in {p["name"] for p in operation["parameters"]}
