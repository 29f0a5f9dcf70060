"""Labels CRUD with Gmail's conflicts and reserved names; history.list after changes, its
filters and paging, and the 404 for a startHistoryId older than the retention window."""

from __future__ import annotations

import httpx
import pytest

from gpanel.emulator.config import EmulatorConfig
from tests.emulator.conftest import ANN, client_for, make_mail
from tests.support.emulator import RunningEmulator, run_emulator


def test_labels_crud(gmail: httpx.Client) -> None:
    """create, get, patch, update, list and delete a user label."""
    created = gmail.post("/labels", json={"name": "gpanel/Customers"})
    assert created.status_code == 200
    label = created.json()
    assert label["id"].startswith("Label_") and label["type"] == "user"
    patched = gmail.patch(
        f"/labels/{label['id']}", json={"labelListVisibility": "labelHide"}
    ).json()
    assert patched["name"] == "gpanel/Customers" and patched["labelListVisibility"] == "labelHide"
    color = {"backgroundColor": "#16a766", "textColor": "#ffffff"}
    updated = gmail.put(
        f"/labels/{label['id']}", json={"name": "gpanel/Clients", "color": color}
    ).json()
    assert updated["name"] == "gpanel/Clients" and updated["color"]["backgroundColor"] == "#16a766"
    names = {x["name"] for x in gmail.get("/labels").json()["labels"]}
    assert {"INBOX", "CATEGORY_UPDATES", "gpanel/Clients"} <= names
    assert gmail.delete(f"/labels/{label['id']}").status_code == 204
    assert gmail.get(f"/labels/{label['id']}").status_code == 404


@pytest.mark.parametrize("name", ["Inbox", "SPAM", "drafts", "Trash", " ", ""])
def test_reserved_label_names_are_refused(gmail: httpx.Client, name: str) -> None:
    """Reserved or empty names answer 400 "Invalid label name"."""
    response = gmail.post("/labels", json={"name": name})
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "Invalid label name"


def test_duplicate_label_name_conflicts_case_insensitively(gmail: httpx.Client) -> None:
    """A second label whose name differs only in case is 409 "Label name exists or conflicts"."""
    assert gmail.post("/labels", json={"name": "Deals"}).status_code == 200
    conflict = gmail.post("/labels", json={"name": "deals"})
    assert conflict.status_code == 409
    assert conflict.json()["error"]["message"] == "Label name exists or conflicts"
    bad_color = gmail.post("/labels", json={"name": "X", "color": {"backgroundColor": "#123456"}})
    assert bad_color.status_code == 400
    assert gmail.delete("/labels/INBOX").status_code == 400


def test_history_lists_changes_with_filters_and_paging(
    users: RunningEmulator, gmail: httpx.Client
) -> None:
    """messageAdded, labelAdded/Removed and messageDeleted records after a startHistoryId."""
    start = gmail.get("/profile").json()["historyId"]
    mid = users.insert(ANN, make_mail())["id"]
    gmail.post(
        f"/messages/{mid}/modify", json={"addLabelIds": ["STARRED"], "removeLabelIds": ["UNREAD"]}
    )
    assert gmail.delete(f"/messages/{mid}").status_code == 403  # gmail.modify cannot delete
    with client_for(users, users.token(ANN, ["https://mail.google.com/"])) as full:
        assert full.delete(f"/messages/{mid}").status_code == 204
    body = gmail.get("/history", params={"startHistoryId": start}).json()
    kinds = [sorted(k for k in r if k not in ("id", "messages")) for r in body["history"]]
    assert kinds == [["messagesAdded"], ["labelsAdded", "labelsRemoved"], ["messagesDeleted"]]
    assert body["history"][1]["labelsAdded"][0]["labelIds"] == ["STARRED"]
    assert body["historyId"] == gmail.get("/profile").json()["historyId"]
    only_added = gmail.get(
        "/history", params={"startHistoryId": start, "historyTypes": "labelAdded"}
    ).json()
    assert [list(r)[-1] for r in only_added["history"]] == ["labelsAdded"]
    starred = gmail.get("/history", params={"startHistoryId": start, "labelId": "STARRED"}).json()
    assert len(starred["history"]) == 1
    page1 = gmail.get("/history", params={"startHistoryId": start, "maxResults": 2}).json()
    page2 = gmail.get(
        "/history",
        params={"startHistoryId": start, "maxResults": 2, "pageToken": page1["nextPageToken"]},
    ).json()
    assert len(page1["history"]) == 2 and len(page2["history"]) == 1
    current = gmail.get("/profile").json()["historyId"]
    assert "history" not in gmail.get("/history", params={"startHistoryId": current}).json()
    assert gmail.get("/history").status_code == 400


def test_stale_start_history_id_is_404() -> None:
    """With a retention of 3 records, a startHistoryId before the window answers 404 notFound."""
    with run_emulator(EmulatorConfig(history_retention=3)) as emu:
        emu.add_user(ANN)
        with client_for(emu, emu.token(ANN)) as gmail:
            start = gmail.get("/profile").json()["historyId"]
            for i in range(5):
                emu.insert(ANN, make_mail(subject=f"n{i}"))
            stale = gmail.get("/history", params={"startHistoryId": start})
            assert stale.status_code == 404
            assert stale.json()["error"]["errors"][0]["reason"] == "notFound"
            recent = int(gmail.get("/profile").json()["historyId"]) - 2
            assert gmail.get("/history", params={"startHistoryId": recent}).status_code == 200


def test_watch_pushes_pubsub_message_at_most_once_per_second() -> None:
    """After watch, changes POST a Pub/Sub push body; a burst of changes yields one push."""
    import base64
    import datetime as dt
    import itertools
    import json
    import threading
    import time

    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    received: list[dict[str, object]] = []

    async def sink(request: Request) -> Response:
        received.append(await request.json())
        return Response(status_code=204)

    # The push receiver is itself a tiny server; run_emulator's machinery serves any ASGI app.
    import uvicorn

    from tests.support.emulator import _free_socket

    sock = _free_socket()
    server = uvicorn.Server(
        uvicorn.Config(
            Starlette(routes=[Route("/push", sink, methods=["POST"])]), log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        push_url = f"http://127.0.0.1:{sock.getsockname()[1]}/push"
        with run_emulator(EmulatorConfig(push_endpoint=push_url)) as emu:
            emu.add_user(ANN)
            with client_for(emu, emu.token(ANN)) as gmail:
                watch = gmail.post("/watch", json={"topicName": "projects/p1/topics/gmail"}).json()
                assert int(watch["expiration"]) > time.time() * 1000
                for i in range(3):
                    emu.insert(ANN, make_mail(subject=f"w{i}"))
                current = gmail.get("/profile").json()["historyId"]

                def last_history_id() -> str | None:
                    if not received:
                        return None
                    message = received[-1]["message"]
                    assert isinstance(message, dict)
                    data = json.loads(base64.urlsafe_b64decode(message["data"]))
                    assert data["emailAddress"] == ANN
                    return str(data["historyId"])

                deadline = time.monotonic() + 5
                while last_history_id() != current and time.monotonic() < deadline:
                    time.sleep(0.05)
                assert last_history_id() == current
                # Three changes in a burst: the first is pushed at once, the rest coalesced into
                # a push a second later (publishTime is stamped when each push is sent).
                assert len(received) <= 3
                published = []
                for item in received:
                    message = item["message"]
                    assert isinstance(message, dict)
                    published.append(dt.datetime.fromisoformat(str(message["publishTime"])))
                for before, after in itertools.pairwise(published):
                    assert (after - before).total_seconds() >= 0.95
                assert received[0]["subscription"] == "projects/p1/subscriptions/gmail-push"
                bad = gmail.post("/watch", json={"topicName": "nope"})
                assert bad.status_code == 400
                assert gmail.post("/stop").status_code == 204
    finally:
        server.should_exit = True
        thread.join(5)
        sock.close()
