"""users.drafts and users.settings.sendAs on the emulator, over real HTTP.

Pins down: every drafts method and both sendAs methods answer the discovery document's shapes
(validated with the strict schema converter of test_contract_schemas); a draft keeps its id
while its message is replaced; sending a draft threads the reply and delivers it into the other
emulator mailbox's thread; multipart upload works for drafts; a `send_limit` fault answers 429
"User-rate limit exceeded. Retry after <ISO time>" and leaves the draft in place.
"""

from __future__ import annotations

import base64
import re

import httpx

from gpanel.gmail.sending import related_upload
from tests.emulator.conftest import ANN, BOB, client_for, make_mail
from tests.emulator.test_contract_schemas import CHECKED, _check
from tests.support.emulator import RunningEmulator


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode()


def test_drafts_lifecycle_and_shapes(users: RunningEmulator) -> None:
    """create, get, list, update, send and delete answer Draft/Message shapes; the id is stable."""
    CHECKED.clear()
    with client_for(users, users.token(ANN)) as gmail:
        raw = make_mail(subject="Quote", sender=ANN, to=BOB, body="v1")
        draft = _check(gmail.post("/drafts", json={"message": {"raw": _b64(raw)}}))
        assert draft["message"]["labelIds"] == ["DRAFT"]
        got = _check(gmail.get(f"/drafts/{draft['id']}", params={"format": "raw"}))
        assert base64.urlsafe_b64decode(got["message"]["raw"] + "==").endswith(b"v1\r\n")
        listed = _check(gmail.get("/drafts"))
        assert [d["id"] for d in listed["drafts"]] == [draft["id"]]
        v2 = make_mail(subject="Quote", sender=ANN, to=BOB, body="v2")
        updated = _check(gmail.put(f"/drafts/{draft['id']}", json={"message": {"raw": _b64(v2)}}))
        assert updated["id"] == draft["id"]
        assert updated["message"]["id"] != draft["message"]["id"]
        assert gmail.get(f"/messages/{draft['message']['id']}").status_code == 404
        sent = _check(gmail.post("/drafts/send", json={"id": draft["id"]}))
        assert sent["labelIds"] == ["SENT"]
        assert gmail.get(f"/drafts/{draft['id']}").status_code == 404
        assert gmail.post("/drafts/send", json={"id": draft["id"]}).status_code == 404
        other = _check(gmail.post("/drafts", json={"message": {"raw": _b64(raw)}}))
        _check(gmail.delete(f"/drafts/{other['id']}"))
        assert gmail.get(f"/drafts/{other['id']}").status_code == 404
        assert "resultSizeEstimate" in _check(gmail.get("/drafts"))
    with client_for(users, users.token(BOB)) as bob:
        found = bob.get("/messages", params={"q": "subject:Quote"}).json()["messages"]
        body = bob.get(f"/messages/{found[0]['id']}", params={"format": "raw"}).json()["raw"]
        assert base64.urlsafe_b64decode(body + "==").endswith(b"v2\r\n")  # the latest version
    expected = {f"gmail.users.drafts.{m}" for m in ("create", "get", "list", "update", "send")}
    assert expected <= CHECKED


def test_a_sent_draft_reply_joins_the_thread_in_both_mailboxes(users: RunningEmulator) -> None:
    """A reply draft with threadId, In-Reply-To, References and the same subject threads at
    the sender and is delivered into the recipient's existing thread."""
    first = make_mail(subject="Pricing", sender=ANN, to=BOB, message_id="<p1@acme.example>")
    with client_for(users, users.token(ANN)) as ann:
        original = ann.post("/messages/send", json={"raw": _b64(first)}).json()
        reply = make_mail(
            subject="Re: Pricing",
            sender=ANN,
            to=BOB,
            extra="In-Reply-To: <p1@acme.example>\r\nReferences: <p1@acme.example>",
        )
        draft = ann.post(
            "/drafts", json={"message": {"raw": _b64(reply), "threadId": original["threadId"]}}
        ).json()
        assert draft["message"]["threadId"] == original["threadId"]
        sent = ann.post("/drafts/send", json={"id": draft["id"]}).json()
        assert sent["threadId"] == original["threadId"]
    with client_for(users, users.token(BOB)) as bob:
        threads = bob.get("/threads").json()["threads"]
        assert len(threads) == 1
        messages = bob.get(f"/threads/{threads[0]['id']}").json()["messages"]
        assert len(messages) == 2


def test_multipart_upload_creates_and_sends_a_draft(users: RunningEmulator) -> None:
    """The drafts upload paths take a multipart/related body (metadata JSON, then the message)."""
    url = f"{users.url}/upload/gmail/v1/users/me/drafts"
    auth = {"Authorization": f"Bearer {users.token(ANN)}"}
    body, content_type = related_upload(make_mail(subject="Big", sender=ANN, to=BOB), {})
    created = httpx.post(
        url,
        params={"uploadType": "multipart"},
        content=body,
        headers={**auth, "Content-Type": content_type},
    )
    draft = _check(created)
    body, content_type = related_upload(
        make_mail(subject="Big", sender=ANN, to=BOB, body="final"), {"id": draft["id"]}
    )
    sent = httpx.post(
        url + "/send",
        params={"uploadType": "multipart"},
        content=body,
        headers={**auth, "Content-Type": content_type},
    )
    assert _check(sent)["labelIds"] == ["SENT"]


def test_send_limit_fault_answers_429_with_retry_after(users: RunningEmulator) -> None:
    """A queued send_limit fault refuses drafts.send with Google's wording; the draft stays."""
    with client_for(users, users.token(ANN)) as gmail:
        raw = make_mail(subject="Later", sender=ANN, to=BOB)
        draft = gmail.post("/drafts", json={"message": {"raw": _b64(raw)}}).json()
        users.control.post(
            "/_emulator/faults",
            json={"user": ANN, "method": "gmail.users.drafts.send", "kind": "send_limit"},
        ).raise_for_status()
        refused = gmail.post("/drafts/send", json={"id": draft["id"]})
        assert refused.status_code == 429
        message = refused.json()["error"]["message"]
        assert re.search(r"User-rate limit exceeded\.\s+Retry after \d{4}-\d\d-\d\dT", message)
        assert gmail.get(f"/drafts/{draft['id']}").status_code == 200


def test_send_as_lists_primary_and_aliases(emulator: RunningEmulator) -> None:
    """sendAs.list answers the primary (with its signature) and the aliases with their status;
    sendAs.get finds one by address and 404s an unknown one."""
    CHECKED.clear()
    emulator.control.post(
        "/_emulator/users",
        json={
            "email": ANN,
            "name": "Ann Acme",
            "aliases": [
                {"email": "sales@acme.example", "name": "Sales", "signature": "<b>S</b>"},
                {"email": "old@acme.example", "verified": False},
            ],
        },
    ).raise_for_status()
    with client_for(emulator, emulator.token(ANN)) as gmail:
        listed = _check(gmail.get("/settings/sendAs"))["sendAs"]
        assert [(s["sendAsEmail"], s.get("verificationStatus")) for s in listed] == [
            (ANN, None),
            ("sales@acme.example", "accepted"),
            ("old@acme.example", "pending"),
        ]
        one = _check(gmail.get("/settings/sendAs/sales@acme.example"))
        assert one["signature"] == "<b>S</b>" and one["displayName"] == "Sales"
        assert gmail.get("/settings/sendAs/nobody@acme.example").status_code == 404
    assert {"gmail.users.settings.sendAs.list", "gmail.users.settings.sendAs.get"} <= CHECKED


def test_send_from_an_unverified_address_goes_as_the_primary(emulator: RunningEmulator) -> None:
    """Gmail replaces a From that is not a verified send-as alias by the primary address; a
    verified alias is kept."""
    emulator.control.post(
        "/_emulator/users",
        json={
            "email": ANN,
            "name": "Ann Acme",
            "aliases": [
                {"email": "sales@acme.example", "name": "Sales"},
                {"email": "old@acme.example", "verified": False},
            ],
        },
    ).raise_for_status()
    emulator.add_user(BOB, "Bob")
    with client_for(emulator, emulator.token(ANN)) as gmail:
        for sender, expected in (
            ("Sales <sales@acme.example>", "sales@acme.example"),
            ("Old <old@acme.example>", ANN),
            ("Someone <someone@else.example>", ANN),
        ):
            raw = make_mail(subject=sender, sender=sender, to=BOB)
            sent = gmail.post("/messages/send", json={"raw": _b64(raw)}).json()
            message = emulator.state.mailbox(ANN).get(sent["id"])
            assert expected in message.summary.sender, (sender, message.summary.sender)
