"""What each MailboxClient method puts on the wire and makes of the answer (respx)."""

from __future__ import annotations

import base64
import json

import httpx
import pytest

from gpanel.gmail.errors import Conflict, InvalidRequest
from tests.gmail.fakes import google_error, make_client

ME = "/gmail/v1/users/me"
EXISTS = google_error(409, "Label name exists or conflicts", "duplicate")


async def test_list_all_message_ids_follows_pages_up_to_the_limit(router, http, tokens, fake_time):
    """Pages of up to 500 are followed through nextPageToken until the limit is met."""
    asked: list[dict[str, str]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        params = dict(request.url.params)
        asked.append(params)
        n = int(params["maxResults"])
        start = int(params.get("pageToken", "0"))
        return httpx.Response(
            200,
            json={
                "messages": [{"id": f"m{i}", "threadId": "t"} for i in range(start, start + n)],
                "nextPageToken": str(start + n),
            },
        )

    router.get(f"{ME}/messages").mock(side_effect=answer)
    client = make_client(http, tokens, fake_time)
    found = await client.mailbox("mb").list_all_message_ids("label:x", limit=1200)
    assert len(found) == 1200 and found[-1]["id"] == "m1199"
    assert [a["maxResults"] for a in asked] == ["500", "500", "200"]
    assert all(a["q"] == "label:x" for a in asked)


async def test_ensure_label_finds_existing_without_creating(router, http, tokens, fake_time):
    """An existing label (any case) is returned; nothing is created."""
    router.get(f"{ME}/labels").respond(
        200, json={"labels": [{"id": "Label_1", "name": "gpanel/Customers"}]}
    )
    create = router.post(f"{ME}/labels").respond(200, json={})
    client = make_client(http, tokens, fake_time)
    got = await client.mailbox("mb").ensure_label("GPANEL/customers")
    assert got["id"] == "Label_1" and create.call_count == 0


async def test_create_label_after_409_returns_the_existing_one(router, http, tokens, fake_time):
    """A 409 (someone created it meanwhile) resolves to the existing label, never a duplicate."""
    lists = router.get(f"{ME}/labels").mock(
        side_effect=[
            httpx.Response(200, json={"labels": []}),
            httpx.Response(200, json={"labels": [{"id": "Label_9", "name": "Deals"}]}),
        ]
    )
    create = router.post(f"{ME}/labels").respond(409, json=EXISTS)
    client = make_client(http, tokens, fake_time)
    color = {"backgroundColor": "#16a765", "textColor": "#ffffff"}
    got = await client.mailbox("mb").ensure_label("Deals", color=color)
    assert got["id"] == "Label_9"
    assert create.call_count == 1 and lists.call_count == 2
    sent = json.loads(create.calls.last.request.content)
    assert sent["name"] == "Deals" and sent["color"] == color


async def test_409_without_a_matching_label_stays_a_conflict(router, http, tokens, fake_time):
    """A name that conflicts with a different label (e.g. a nested path) is not papered over."""
    router.get(f"{ME}/labels").respond(200, json={"labels": []})
    router.post(f"{ME}/labels").respond(409, json=EXISTS)
    client = make_client(http, tokens, fake_time)
    with pytest.raises(Conflict):
        await client.mailbox("mb").create_label("Deals")


async def test_batch_modify_sends_chunks_of_1000(router, http, tokens, fake_time):
    """2,500 ids are three batchModify calls of 1000, 1000 and 500 with the same changes."""
    route = router.post(f"{ME}/messages/batchModify").respond(204)
    client = make_client(http, tokens, fake_time, regime="legacy")
    ids = [f"m{i}" for i in range(2500)]
    await client.mailbox("mb").batch_modify(ids, add=["Label_1"], remove=["INBOX"])
    bodies = [json.loads(c.request.content) for c in route.calls]
    assert sorted(len(b["ids"]) for b in bodies) == [500, 1000, 1000]
    assert all(b["addLabelIds"] == ["Label_1"] and b["removeLabelIds"] == ["INBOX"] for b in bodies)
    assert client.stats.snapshot().get("mb").units == 150


async def test_more_than_100_label_changes_are_refused(router, http, tokens, fake_time):
    client = make_client(http, tokens, fake_time)
    with pytest.raises(InvalidRequest):
        await client.mailbox("mb").modify_message("m1", add=[f"L{i}" for i in range(101)])


async def test_modify_thread_posts_label_changes(router, http, tokens, fake_time):
    route = router.post(f"{ME}/threads/t1/modify").respond(200, json={"id": "t1"})
    client = make_client(http, tokens, fake_time)
    await client.mailbox("mb").modify_thread("t1", add=["STARRED"], remove=["UNREAD"])
    assert json.loads(route.calls.last.request.content) == {
        "addLabelIds": ["STARRED"],
        "removeLabelIds": ["UNREAD"],
    }


async def test_get_attachment_decodes_unpadded_base64url(router, http, tokens, fake_time):
    """Gmail's attachment data is base64url, often without padding; bytes come back intact."""
    payload = bytes(range(256)) * 3 + b"x"
    data = base64.urlsafe_b64encode(payload).decode().rstrip("=")
    router.get(f"{ME}/messages/m1/attachments/a1").respond(
        200, json={"size": len(payload), "data": data}
    )
    client = make_client(http, tokens, fake_time)
    assert await client.mailbox("mb").get_attachment("m1", "a1") == payload


async def test_history_all_follows_pages_and_collects_added_ids(router, http, tokens, fake_time):
    """Every page is fetched from the same start id; the cursor is the last page's id."""

    def answer(request: httpx.Request) -> httpx.Response:
        assert request.url.params["startHistoryId"] == "100"
        assert request.url.params.get_list("historyTypes") == ["messageAdded"]
        if "pageToken" not in request.url.params:
            return httpx.Response(
                200,
                json={
                    "history": [{"id": "101", "messagesAdded": [{"message": {"id": "m1"}}]}],
                    "historyId": "150",
                    "nextPageToken": "p2",
                },
            )
        return httpx.Response(
            200,
            json={
                "history": [{"id": "120", "messagesAdded": [{"message": {"id": "m2"}}]}],
                "historyId": "150",
            },
        )

    router.get(f"{ME}/history").mock(side_effect=answer)
    client = make_client(http, tokens, fake_time)
    page = await client.mailbox("mb").history_all("100", history_types=["messageAdded"])
    assert page.message_ids_added == ["m1", "m2"]
    assert page.history_id == "150" and page.pages == 2 and len(page.records) == 2


async def test_history_without_changes_keeps_the_cursor(router, http, tokens, fake_time):
    router.get(f"{ME}/history").respond(200, json={"historyId": "100"})
    client = make_client(http, tokens, fake_time)
    page = await client.mailbox("mb").history("100")
    assert page.records == [] and page.history_id == "100" and page.next_page_token is None


async def test_watch_and_stop(router, http, tokens, fake_time):
    """watch posts the topic and label filter; stop posts nothing and answers nothing."""
    watch = router.post(f"{ME}/watch").respond(
        200, json={"historyId": "5", "expiration": "1700000000000"}
    )
    router.post(f"{ME}/stop").respond(204)
    client = make_client(http, tokens, fake_time)
    mb = client.mailbox("mb")
    assert (await mb.watch("projects/p/topics/gmail", ["INBOX"]))["historyId"] == "5"
    assert json.loads(watch.calls.last.request.content) == {
        "topicName": "projects/p/topics/gmail",
        "labelIds": ["INBOX"],
        "labelFilterBehavior": "include",
    }
    await mb.stop()
    assert client.stats.snapshot().get("mb").units == 150
