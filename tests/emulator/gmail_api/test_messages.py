"""Gmail messages and threads over real HTTP: insert, list, get formats, send, threading,
modify/batchModify with label counts, trash/spam visibility, paging and search."""

from __future__ import annotations

import base64

import httpx

from tests.emulator.conftest import ANN, BOB, client_for, make_mail
from tests.support.emulator import RunningEmulator


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode()


def ids(response: httpx.Response, key: str = "messages") -> list[str]:
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json().get(key, [])]


def test_profile_reports_address_counts_and_history_id(
    users: RunningEmulator, gmail: httpx.Client
) -> None:
    """getProfile names the mailbox and its historyId, which grows with every change."""
    first = gmail.get("/profile").json()
    assert first["emailAddress"] == ANN and first["messagesTotal"] == 0
    users.insert(ANN, make_mail())
    second = gmail.get("/profile").json()
    assert second["messagesTotal"] == 1 and second["threadsTotal"] == 1
    assert int(second["historyId"]) > int(first["historyId"])


def test_get_in_every_format(users: RunningEmulator, gmail: httpx.Client) -> None:
    """minimal has no payload; metadata only asked headers; full the parts; raw the bytes."""
    raw = make_mail(subject="Formats", body="Body text here")
    mid = users.insert(ANN, raw, internal_date_ms=1_700_000_000_000)["id"]
    minimal = gmail.get(f"/messages/{mid}", params={"format": "minimal"}).json()
    assert "payload" not in minimal and minimal["internalDate"] == "1700000000000"
    assert minimal["labelIds"] == ["INBOX", "UNREAD"] and minimal["snippet"] == "Body text here"
    meta = gmail.get(
        f"/messages/{mid}",
        params=[
            ("format", "metadata"),
            ("metadataHeaders", "subject"),
            ("metadataHeaders", "From"),
        ],
    ).json()
    assert [h["name"] for h in meta["payload"]["headers"]] == ["From", "Subject"]
    full = gmail.get(f"/messages/{mid}").json()
    assert base64.urlsafe_b64decode(full["payload"]["body"]["data"]) == b"Body text here\r\n"
    assert full["sizeEstimate"] == len(raw)
    raw_format = gmail.get(f"/messages/{mid}", params={"format": "raw"}).json()
    assert base64.urlsafe_b64decode(raw_format["raw"]) == raw and "payload" not in raw_format
    bad = gmail.get(f"/messages/{mid}", params={"format": "fancy"})
    assert bad.status_code == 400 and bad.json()["error"]["status"] == "INVALID_ARGUMENT"
    assert gmail.get("/messages/ffff0000ffff0000").status_code == 404


def test_list_is_newest_first_paged_and_excludes_spam_and_trash(
    users: RunningEmulator, gmail: httpx.Client
) -> None:
    """Pages follow nextPageToken; SPAM/TRASH only with includeSpamTrash or when named."""
    made = [
        users.insert(ANN, make_mail(subject=f"m{i}"), internal_date_ms=1_000_000 + i)["id"]
        for i in range(5)
    ]
    spam = users.insert(ANN, make_mail(subject="spam"), ["SPAM"], 2_000_000)["id"]
    first = gmail.get("/messages", params={"maxResults": 2}).json()
    assert [m["id"] for m in first["messages"]] == made[::-1][:2]
    assert first["resultSizeEstimate"] == 5
    second = gmail.get("/messages", params={"maxResults": 2, "pageToken": first["nextPageToken"]})
    third = gmail.get(
        "/messages", params={"maxResults": 2, "pageToken": second.json()["nextPageToken"]}
    )
    assert ids(second) == made[::-1][2:4] and ids(third) == made[:1]
    assert "nextPageToken" not in third.json()
    assert spam not in ids(gmail.get("/messages"))
    assert ids(gmail.get("/messages", params={"includeSpamTrash": "true"}))[0] == spam
    assert ids(gmail.get("/messages", params={"labelIds": "SPAM"})) == [spam]
    assert ids(gmail.get("/messages", params={"q": "in:spam"})) == [spam]
    gmail.post(f"/messages/{made[0]}/trash")
    assert made[0] not in ids(gmail.get("/messages"))
    gmail.post(f"/messages/{made[0]}/untrash")
    assert made[0] in ids(gmail.get("/messages"))
    assert gmail.get("/messages", params={"maxResults": "x"}).status_code == 400
    empty = gmail.get("/messages", params={"q": "nothingmatches"}).json()
    assert empty == {"resultSizeEstimate": 0}


def test_search_and_label_filters_over_http(users: RunningEmulator, gmail: httpx.Client) -> None:
    """q and repeated labelIds narrow the list together."""
    a = users.insert(ANN, make_mail(subject="Invoice 42", sender="billing@acme-supplier.example"))[
        "id"
    ]
    b = users.insert(ANN, make_mail(subject="Lunch?"), ["INBOX"])["id"]
    assert ids(gmail.get("/messages", params={"q": "from:acme-supplier.example"})) == [a]
    assert ids(gmail.get("/messages", params={"q": "subject:(invoice OR lunch)"})) == [b, a]
    assert ids(gmail.get("/messages", params=[("labelIds", "INBOX"), ("labelIds", "UNREAD")])) == [
        a
    ]
    assert ids(gmail.get("/messages", params={"q": "is:read"})) == [b]


def test_replies_thread_by_references_and_subject(
    users: RunningEmulator, gmail: httpx.Client
) -> None:
    """A reply referencing a message with the same subject joins its thread; others do not."""
    first = users.insert(ANN, make_mail(subject="Quote", message_id="<q1@globex.example>"))
    reply = users.insert(
        ANN,
        make_mail(
            subject="RE: Quote",
            message_id="<q2@globex.example>",
            extra="In-Reply-To: <q1@globex.example>",
        ),
    )
    other = users.insert(
        ANN, make_mail(subject="Different", extra="References: <q1@globex.example>")
    )
    assert reply["threadId"] == first["threadId"]
    assert other["threadId"] != first["threadId"]
    thread = gmail.get(f"/threads/{first['threadId']}").json()
    assert [m["id"] for m in thread["messages"]] == [first["id"], reply["id"]]
    listed = gmail.get("/threads").json()
    assert [t["id"] for t in listed["threads"]] == [other["threadId"], first["threadId"]]
    assert set(listed["threads"][1]) == {"id", "snippet", "historyId"}


def test_send_into_thread_delivers_to_recipient_mailbox(
    users: RunningEmulator, gmail: httpx.Client
) -> None:
    """messages.send with threadId joins the thread, labels SENT, and lands in Bob's inbox."""
    first = users.insert(ANN, make_mail(subject="Quote", message_id="<q1@globex.example>"))
    reply = (
        f"To: {BOB}\r\nSubject: Re: Quote\r\nIn-Reply-To: <q1@globex.example>\r\n"
        "References: <q1@globex.example>\r\n\r\nSounds good.\r\n"
    ).encode()
    sent = gmail.post("/messages/send", json={"raw": b64(reply), "threadId": first["threadId"]})
    assert sent.status_code == 200, sent.text
    assert sent.json()["threadId"] == first["threadId"] and sent.json()["labelIds"] == ["SENT"]
    stored = gmail.get(f"/messages/{sent.json()['id']}", params={"format": "metadata"}).json()
    names = {h["name"]: h["value"] for h in stored["payload"]["headers"]}
    assert ANN in names["From"] and names["Message-ID"]
    with client_for(users, users.token(BOB)) as bob:
        inbox = bob.get("/messages", params={"q": "in:inbox"}).json()["messages"]
        got = bob.get(f"/messages/{inbox[0]['id']}", params={"format": "minimal"}).json()
        assert got["snippet"] == "Sounds good." and "INBOX" in got["labelIds"]
    no_rcpt = gmail.post("/messages/send", json={"raw": b64(b"Subject: x\r\n\r\nhi")})
    assert no_rcpt.status_code == 400


def test_modify_batch_modify_and_label_counts(users: RunningEmulator, gmail: httpx.Client) -> None:
    """Label changes show in labels.get counts; batchModify takes at most 1000 ids."""
    label = gmail.post("/labels", json={"name": "Customers"}).json()
    m1 = users.insert(ANN, make_mail(subject="one"))["id"]
    m2 = users.insert(ANN, make_mail(subject="two"))["id"]
    done = gmail.post(
        f"/messages/{m1}/modify", json={"addLabelIds": [label["id"]], "removeLabelIds": ["UNREAD"]}
    )
    assert done.json()["labelIds"] == ["INBOX", label["id"]]
    batch = gmail.post(
        "/messages/batchModify", json={"ids": [m1, m2], "addLabelIds": [label["id"], "STARRED"]}
    )
    assert batch.status_code == 204 and batch.content == b""
    counts = gmail.get(f"/labels/{label['id']}").json()
    assert (
        counts["messagesTotal"],
        counts["messagesUnread"],
        counts["threadsTotal"],
        counts["threadsUnread"],
    ) == (2, 1, 2, 1)
    assert ids(gmail.get("/messages", params={"q": "label:customers is:starred"})) == [m2, m1]
    too_many = gmail.post(
        "/messages/batchModify", json={"ids": ["x"] * 1001, "addLabelIds": ["STARRED"]}
    )
    assert too_many.status_code == 400
    unknown = gmail.post(f"/messages/{m1}/modify", json={"addLabelIds": ["Label_999"]})
    assert unknown.status_code == 400
    thread = gmail.post(f"/threads/{m1}/modify", json={"removeLabelIds": ["INBOX"]}).json()
    assert "INBOX" not in thread["messages"][0]["labelIds"]
    gmail.post(f"/threads/{m2}/trash")
    assert (
        gmail.get(f"/messages/{m2}", params={"format": "minimal"}).json()["labelIds"][-1] == "TRASH"
    )
