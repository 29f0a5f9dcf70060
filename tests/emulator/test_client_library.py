"""google-api-python-client itself, unchanged, against the emulator over real HTTP.

Pins down that Google's own client completes gpanel's whole Gmail repertoire against the
emulator: thread list/get, a `BatchHttpRequest` of 50 gets (on `/batch/gmail/v1` and on the
library's default `/batch`), a reply sent into a thread, batchModify with a user label, history
after changes, a stale history id as HttpError 404, an injected 429 as HttpError 429 with
Google's exact body, sending through a media upload, and a long search turned into a POST with
`x-http-method-override` by the library.
"""

from __future__ import annotations

import base64
import io
import json
from importlib import resources
from typing import Any

import pytest
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build, build_from_document
from googleapiclient.errors import HttpError
from googleapiclient.http import BatchHttpRequest, MediaIoBaseUpload

from gpanel.emulator.config import EmulatorConfig
from tests.emulator.conftest import ANN, BOB, make_mail
from tests.support.emulator import RunningEmulator, run_emulator


def gmail_service(emulator: RunningEmulator, email: str = ANN) -> Any:
    """The client as the brief prescribes: the bundled document, `api_endpoint` overridden."""
    return build(
        "gmail",
        "v1",
        credentials=Credentials(emulator.token(email)),
        client_options={"api_endpoint": emulator.url},
        static_discovery=True,
        cache_discovery=False,
    )


def rooted_service(emulator: RunningEmulator, email: str = ANN) -> Any:
    """The client built from the bundled document with `rootUrl` pointing at the emulator.

    `api_endpoint` alone does not move everything: the library builds media-upload URLs from
    `rootUrl` keeping its https scheme (only the host is replaced) and `new_batch_http_request()`
    posts to `rootUrl + batchPath`, i.e. to Google. Rewriting `rootUrl` moves both.
    """
    document = json.loads(
        resources.files("googleapiclient.discovery_cache.documents")
        .joinpath("gmail.v1.json")
        .read_text("utf-8")
    )
    document["rootUrl"] = emulator.url + "/"
    return build_from_document(document, credentials=Credentials(emulator.token(email)))


def _raw(message: bytes) -> str:
    return base64.urlsafe_b64encode(message).decode("ascii")


def test_threads_list_and_get(users: RunningEmulator) -> None:
    """threads.list finds a two-message conversation; threads.get returns both in order."""
    first = users.insert(ANN, make_mail(subject="Pricing", message_id="<p1@globex.example>"))
    users.insert(
        ANN,
        make_mail(
            subject="Re: Pricing",
            message_id="<p2@globex.example>",
            extra="In-Reply-To: <p1@globex.example>\r\nReferences: <p1@globex.example>",
        ),
    )
    service = gmail_service(users)
    listed = service.users().threads().list(userId="me", labelIds=["INBOX"]).execute()
    assert [t["id"] for t in listed["threads"]] == [first["threadId"]]
    thread = service.users().threads().get(userId="me", id=first["threadId"]).execute()
    assert len(thread["messages"]) == 2
    assert thread["messages"][0]["id"] == first["id"]


@pytest.mark.parametrize("batch_path", ["/batch/gmail/v1", None])
def test_batch_http_request_of_50_gets(users: RunningEmulator, batch_path: str | None) -> None:
    """BatchHttpRequest, 50 messages.get in batches of 25: every callback gets its message."""
    # Seeded in-process (the state's lock makes that safe): 50 control calls would be slow.
    mailbox = users.state.mailbox(ANN)
    ids = [mailbox.insert_raw(make_mail(subject=f"Item {i}")).id for i in range(50)]
    service = gmail_service(users)
    results: dict[str, Any] = {}

    def collect(request_id: str, response: Any, exception: Exception | None) -> None:
        results[request_id] = exception or response

    if batch_path is None:
        service = rooted_service(users)
    # Two batches of 25: Google (and the emulator, limit 40) refuses parts of larger cold
    # batches for concurrency (docs/gmail-facts.md, "Per-user limits and concurrency").
    for chunk in (ids[:25], ids[25:]):
        if batch_path is None:
            batch = service.new_batch_http_request(callback=collect)  # the library's /batch
        else:
            batch = BatchHttpRequest(callback=collect, batch_uri=users.url + batch_path)
        for mid in chunk:
            batch.add(
                service.users().messages().get(userId="me", id=mid, format="minimal"),
                request_id=mid,
            )
        batch.execute()
    assert sorted(results) == sorted(ids)
    assert all(isinstance(r, dict) and r["id"] == mid for mid, r in results.items())
    log = users.control.get("/_emulator/log", params={"user": ANN}).json()["entries"]
    assert sum(e["batch_part"] for e in log) == 50


def test_batch_part_errors_reach_their_callback(users: RunningEmulator) -> None:
    """A 404 part arrives as HttpError in its own callback; the others succeed."""
    good = users.insert(ANN, make_mail())["id"]
    service = gmail_service(users)
    results: dict[str, Any] = {}
    batch = BatchHttpRequest(
        callback=lambda rid, resp, exc: results.update({rid: exc or resp}),
        batch_uri=users.url + "/batch/gmail/v1",
    )
    batch.add(service.users().messages().get(userId="me", id=good), request_id="good")
    batch.add(service.users().messages().get(userId="me", id="ffffffffffffffff"), request_id="bad")
    batch.execute()
    assert results["good"]["id"] == good
    assert isinstance(results["bad"], HttpError) and results["bad"].resp.status == 404


def test_reply_sent_into_a_thread_joins_it(users: RunningEmulator) -> None:
    """messages.send with threadId plus In-Reply-To/References lands in the same thread."""
    original = users.insert(ANN, make_mail(subject="Contract", message_id="<c1@globex.example>"))
    reply = make_mail(
        subject="Re: Contract",
        sender=ANN,
        to=BOB,
        extra="In-Reply-To: <c1@globex.example>\r\nReferences: <c1@globex.example>",
    )
    service = gmail_service(users)
    sent = (
        service.users()
        .messages()
        .send(userId="me", body={"raw": _raw(reply), "threadId": original["threadId"]})
        .execute()
    )
    assert sent["threadId"] == original["threadId"]
    thread = service.users().threads().get(userId="me", id=original["threadId"]).execute()
    assert [m["id"] for m in thread["messages"]] == [original["id"], sent["id"]]
    assert "SENT" in thread["messages"][1]["labelIds"]


def test_batch_modify_with_a_user_label(users: RunningEmulator) -> None:
    """labels.create then messages.batchModify adds it and removes UNREAD on every id."""
    ids = [users.insert(ANN, make_mail(subject=f"Deal {i}"))["id"] for i in range(3)]
    service = gmail_service(users)
    label = service.users().labels().create(userId="me", body={"name": "gpanel/Customers"})
    label = label.execute()
    service.users().messages().batchModify(
        userId="me",
        body={"ids": ids, "addLabelIds": [label["id"]], "removeLabelIds": ["UNREAD"]},
    ).execute()
    for mid in ids:
        got = service.users().messages().get(userId="me", id=mid, format="minimal").execute()
        assert label["id"] in got["labelIds"] and "UNREAD" not in got["labelIds"]


def test_history_after_changes(users: RunningEmulator) -> None:
    """history.list from the profile's historyId reports the added message and label change."""
    service = gmail_service(users)
    start = service.users().getProfile(userId="me").execute()["historyId"]
    mid = users.insert(ANN, make_mail(subject="New lead"))["id"]
    service.users().messages().modify(
        userId="me", id=mid, body={"addLabelIds": ["STARRED"]}
    ).execute()
    history = service.users().history().list(userId="me", startHistoryId=start).execute()
    added = [m["message"]["id"] for h in history["history"] for m in h.get("messagesAdded", [])]
    labelled = [
        (m["message"]["id"], m["labelIds"])
        for h in history["history"]
        for m in h.get("labelsAdded", [])
    ]
    assert added == [mid]
    assert labelled == [(mid, ["STARRED"])]
    assert int(history["historyId"]) > int(start)


def test_stale_history_id_is_http_error_404() -> None:
    """Once the start id has left the retention window, history.list raises HttpError 404."""
    with run_emulator(EmulatorConfig(history_retention=3, auto_consent=True)) as emulator:
        emulator.add_user(ANN)
        service = gmail_service(emulator)
        start = service.users().getProfile(userId="me").execute()["historyId"]
        for i in range(6):
            emulator.insert(ANN, make_mail(subject=f"Churn {i}"))
        with pytest.raises(HttpError) as info:
            service.users().history().list(userId="me", startHistoryId=start).execute()
    assert info.value.resp.status == 404
    assert json.loads(info.value.content)["error"]["errors"][0]["reason"] == "notFound"


def test_injected_stale_history_fault_is_http_error_404(users: RunningEmulator) -> None:
    """The wire's stale_history fault gives the same HttpError 404 on demand."""
    service = gmail_service(users)
    start = service.users().getProfile(userId="me").execute()["historyId"]
    users.control.post("/_emulator/faults", json={"user": ANN, "kind": "stale_history"})
    with pytest.raises(HttpError) as info:
        service.users().history().list(userId="me", startHistoryId=start).execute()
    assert info.value.resp.status == 404
    service.users().history().list(userId="me", startHistoryId=start).execute()


def test_injected_429_is_http_error_429_with_googles_body(users: RunningEmulator) -> None:
    """An injected 429 reaches the library as HttpError 429 carrying Google's exact body."""
    service = gmail_service(users)
    users.control.post(
        "/_emulator/faults",
        json={"user": ANN, "method": "gmail.users.threads.list", "kind": "429"},
    ).raise_for_status()
    with pytest.raises(HttpError) as info:
        service.users().threads().list(userId="me").execute()
    assert info.value.resp.status == 429
    assert json.loads(info.value.content) == {
        "error": {
            "code": 429,
            "message": "Too many concurrent requests for user",
            "errors": [
                {
                    "message": "Too many concurrent requests for user",
                    "domain": "global",
                    "reason": "rateLimitExceeded",
                }
            ],
            "status": "RESOURCE_EXHAUSTED",
        }
    }
    assert info.value.reason == "Too many concurrent requests for user"
    assert service.users().threads().list(userId="me").execute() is not None


def test_send_via_media_upload(users: RunningEmulator) -> None:
    """MediaIoBaseUpload (message/rfc822): simple upload alone, multipart with a threadId."""
    service = rooted_service(users)
    raw = make_mail(subject="Uploaded", sender=ANN, to=BOB, message_id="<u1@acme.example>")
    media = MediaIoBaseUpload(io.BytesIO(raw), mimetype="message/rfc822")
    sent = service.users().messages().send(userId="me", media_body=media).execute()
    assert "SENT" in sent["labelIds"]
    follow = make_mail(
        subject="Re: Uploaded",
        sender=ANN,
        to=BOB,
        extra="In-Reply-To: <u1@acme.example>\r\nReferences: <u1@acme.example>",
    )
    media = MediaIoBaseUpload(io.BytesIO(follow), mimetype="message/rfc822")
    second = (
        service.users()
        .messages()
        .send(userId="me", body={"threadId": sent["threadId"]}, media_body=media)
        .execute()
    )
    assert second["threadId"] == sent["threadId"]
    log = users.control.get("/_emulator/log", params={"user": ANN}).json()["entries"]
    uploads = [e for e in log if e["path"].startswith("/upload/")]
    assert [(e["method_id"], e["status"]) for e in uploads] == [
        ("gmail.users.messages.send", 200),
        ("gmail.users.messages.send", 200),
    ]


def test_long_search_goes_through_method_override(users: RunningEmulator) -> None:
    """A q that makes the URL exceed 2,048 characters is sent as POST + override and works."""
    mid = users.insert(ANN, make_mail(sender="Zed <zed@initech.example>"))["id"]
    others = " OR ".join(f"from:nobody{i}@example.org" for i in range(80))
    query = f"from:zed@initech.example OR {others}"
    service = gmail_service(users)
    listed = service.users().messages().list(userId="me", q=query).execute()
    assert [m["id"] for m in listed["messages"]] == [mid]
    entry = users.control.get("/_emulator/log").json()["entries"][-1]
    assert (entry["http_method"], entry["method_id"]) == ("GET", "gmail.users.messages.list")
