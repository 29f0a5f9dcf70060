"""Resumable media upload on the full emulator over real HTTP, driven by google-api-python-client
itself (`MediaIoBaseUpload(resumable=True)`, unchanged) and by hand.

Pins down: messages.send in 256 KB chunks (the library follows the 308s and their Range header)
lands in SENT and in the recipient's inbox, with a threadId from the metadata joining its
thread; drafts.create then drafts.update by resumable upload keep one draft id with the new
message; the discovery document's `/resumable/upload/...` path works too; the session's first
request is charged as the method; a declared size over 35 MB is 413 before any byte, bytes past
35 MB are 413, a non-message media type is 400, a chunk that skips ahead is 400, an unknown
session is 404, and `bytes */total` reports how far the upload got.
"""

from __future__ import annotations

import io
import json
from importlib import resources
from typing import Any

import httpx
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build_from_document
from googleapiclient.http import MediaIoBaseUpload

from tests.emulator.conftest import ANN, BOB, make_mail
from tests.support.emulator import RunningEmulator

CHUNK = 256 * 1024


def _service(emulator: RunningEmulator) -> Any:
    document = json.loads(
        resources.files("googleapiclient.discovery_cache.documents")
        .joinpath("gmail.v1.json")
        .read_text("utf-8")
    )
    document["rootUrl"] = emulator.url + "/"
    return build_from_document(document, credentials=Credentials(emulator.token(ANN)))


def _big(subject: str, size: int, extra: str = "") -> bytes:
    head = make_mail(subject=subject, sender=ANN, to=BOB, extra=extra)
    return head + b"z" * (size - len(head))


def _upload(data: bytes) -> MediaIoBaseUpload:
    return MediaIoBaseUpload(
        io.BytesIO(data), mimetype="message/rfc822", chunksize=CHUNK, resumable=True
    )


def _same(stored: bytes, raw: bytes) -> bool:
    """The stored message is the uploaded one (Gmail may add or reorder headers on send)."""
    head, _, body = raw.partition(b"\r\n\r\n")
    subject = next(line for line in head.split(b"\r\n") if line.startswith(b"Subject:"))
    return stored.endswith(b"\r\n\r\n" + body) and subject in stored


def _run(request: Any) -> dict[str, Any]:
    response = None
    rounds = 0
    while response is None:
        _, response = request.next_chunk()
        rounds += 1
    assert rounds > 1  # more than one chunk really went
    return dict(response)


def test_send_in_chunks_with_the_client_library(users: RunningEmulator) -> None:
    service = _service(users)
    raw = _big("Resumable", 3 * CHUNK + 1000, "Message-ID: <big1@acme.example>")
    sent = _run(service.users().messages().send(userId="me", media_body=_upload(raw)))
    assert "SENT" in sent["labelIds"]
    box = users.state.mailbox(ANN)
    assert _same(box.messages[sent["id"]].raw, raw)
    (received,) = [m for m in users.state.mailbox(BOB).messages.values()]
    assert _same(received.raw, raw)
    follow = _big("Re: Resumable", 2 * CHUNK + 5, "In-Reply-To: <big1@acme.example>")
    second = _run(
        service.users()
        .messages()
        .send(userId="me", body={"threadId": sent["threadId"]}, media_body=_upload(follow))
    )
    assert second["threadId"] == sent["threadId"]
    log = users.control.get("/_emulator/log", params={"user": ANN}).json()["entries"]
    starts = [e for e in log if e["path"].startswith("/upload/gmail/")]
    assert [(e["method_id"], e["status"]) for e in starts] == [
        ("gmail.users.messages.send", 200),
        ("gmail.users.messages.send", 200),
    ]


def test_drafts_create_and_update_by_resumable_upload(users: RunningEmulator) -> None:
    service = _service(users)
    drafts = service.users().drafts()
    first = _big("Draft v1", 2 * CHUNK + 10)
    made = _run(drafts.create(userId="me", body={}, media_body=_upload(first)))
    second = _big("Draft v2", 3 * CHUNK + 10)
    changed = _run(drafts.update(userId="me", id=made["id"], body={}, media_body=_upload(second)))
    box = users.state.mailbox(ANN)
    assert changed["id"] == made["id"] and list(box.drafts) == [made["id"]]
    assert _same(box.messages[box.drafts[made["id"]]].raw, second)


def _start(users: RunningEmulator, path: str, headers: dict[str, str]) -> httpx.Response:
    auth = {"Authorization": f"Bearer {users.token(ANN)}"}
    return httpx.post(f"{users.url}{path}", headers={**auth, **headers}, content=b"")


def test_the_protocol_by_hand(users: RunningEmulator) -> None:
    raw = _big("By hand", 1000)
    path = "/resumable/upload/gmail/v1/users/me/messages/send"
    begun = _start(
        users,
        path,
        {"X-Upload-Content-Type": "message/rfc822", "X-Upload-Content-Length": str(len(raw))},
    )
    assert begun.status_code == 200 and begun.content == b""
    session = begun.headers["location"]
    ask = httpx.put(session, headers={"Content-Range": f"bytes */{len(raw)}"})
    assert ask.status_code == 308 and "range" not in ask.headers
    part = httpx.put(
        session, content=raw[:400], headers={"Content-Range": f"bytes 0-399/{len(raw)}"}
    )
    assert part.status_code == 308 and part.headers["range"] == "bytes=0-399"
    skip = httpx.put(
        session, content=raw[600:], headers={"Content-Range": f"bytes 600-999/{len(raw)}"}
    )
    assert skip.status_code == 400
    rest = httpx.put(
        session, content=raw[400:], headers={"Content-Range": f"bytes 400-999/{len(raw)}"}
    )
    assert rest.status_code == 200 and "SENT" in rest.json()["labelIds"]
    assert _same(users.state.mailbox(ANN).messages[rest.json()["id"]].raw, raw)
    assert (
        httpx.put(session, content=raw, headers={"Content-Range": "bytes 0-999/1000"}).status_code
        == 404
    )

    upload = "/upload/gmail/v1/users/me/messages/send?uploadType=resumable"
    too_big = _start(
        users,
        upload,
        {"X-Upload-Content-Type": "message/rfc822", "X-Upload-Content-Length": "36700161"},
    )
    assert too_big.status_code == 413
    wrong = _start(users, upload, {"X-Upload-Content-Type": "text/plain"})
    assert wrong.status_code == 400
    open_ended = _start(users, upload, {"X-Upload-Content-Type": "message/rfc822"})
    session = open_ended.headers["location"]
    block = b"x" * (8 * 1024 * 1024)
    done = 0
    status = 308
    while status == 308 and done <= 36_700_160:
        end = done + len(block) - 1
        status = httpx.put(
            session, content=block, headers={"Content-Range": f"bytes {done}-{end}/*"}, timeout=60
        ).status_code
        done += len(block)
    assert status == 413 and done > 36_700_160
    assert len(users.state.mailbox(BOB).messages) == 1  # only the hand-made one arrived
