"""The media-upload endpoints on the full emulator over real HTTP.

Pins down: a message sent by `uploadType=media` lands in SENT and in the recipient's inbox;
`uploadType=multipart` carries a threadId that makes a reply join its thread; insert via upload
keeps the metadata's labels; a 40 MB upload answers 413 in Google's shape (not a reset, not a
500); a wrong media type, a missing uploadType and a read-only token are refused (resumable
uploads: test_resumable_upload.py); uploads are
charged as messages.send.
"""

from __future__ import annotations

import json

import httpx
import pytest

from tests.emulator.conftest import ANN, BOB, make_mail
from tests.support.emulator import RunningEmulator

READONLY = "https://www.googleapis.com/auth/gmail.readonly"
SEND = "https://www.googleapis.com/auth/gmail.send"


def _send_url(emulator: RunningEmulator, upload_type: str, path: str = "messages/send") -> str:
    return f"{emulator.url}/upload/gmail/v1/users/me/{path}?uploadType={upload_type}"


def _related(metadata: dict[str, object], raw: bytes) -> tuple[bytes, str]:
    boundary = "===============upload=="
    body = (
        (
            f"--{boundary}\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n"
            f"{json.dumps(metadata)}\r\n"
            f"--{boundary}\r\nContent-Type: message/rfc822\r\n\r\n"
        ).encode()
        + raw
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f'multipart/related; boundary="{boundary}"'


def test_media_upload_sends_the_message(users: RunningEmulator) -> None:
    """uploadType=media with message/rfc822: SENT for Ann, INBOX for Bob, charged 100 units."""
    raw = make_mail(subject="Quote", sender=ANN, to=BOB)
    response = httpx.post(
        _send_url(users, "media"),
        content=raw,
        headers={"Authorization": f"Bearer {users.token(ANN)}", "Content-Type": "message/rfc822"},
    )
    assert response.status_code == 200, response.text
    sent = response.json()
    assert set(sent) == {"id", "threadId", "labelIds"} and sent["labelIds"] == ["SENT"]
    assert users.state.mailbox(ANN).get(sent["id"]).summary.subject == "Quote"
    inbox = [m for m in users.state.mailbox(BOB).messages.values() if "INBOX" in m.label_ids]
    assert [m.summary.subject for m in inbox] == ["Quote"]
    log = users.control.get("/_emulator/log", params={"user": ANN}).json()["entries"]
    assert (log[-1]["method_id"], log[-1]["quota_cost"]) == ("gmail.users.messages.send", 100)


def test_multipart_upload_with_thread_id_joins_the_thread(users: RunningEmulator) -> None:
    """A reply uploaded with threadId, In-Reply-To and References stays in the thread."""
    first = users.insert(ANN, make_mail(subject="Renewal", message_id="<r1@globex.example>"))
    reply = make_mail(
        subject="Re: Renewal",
        sender=ANN,
        to=BOB,
        extra="In-Reply-To: <r1@globex.example>\r\nReferences: <r1@globex.example>",
    )
    body, ctype = _related({"threadId": first["threadId"]}, reply)
    response = httpx.post(
        _send_url(users, "multipart"),
        content=body,
        headers={"Authorization": f"Bearer {users.token(ANN, [SEND])}", "Content-Type": ctype},
    )
    assert response.status_code == 200, response.text
    assert response.json()["threadId"] == first["threadId"]
    assert len(users.state.mailbox(ANN).thread(first["threadId"])) == 2


def test_insert_upload_keeps_metadata_labels(users: RunningEmulator) -> None:
    """POST /upload/.../messages (insert) files the message under the given labels."""
    body, ctype = _related({"labelIds": ["INBOX", "STARRED"]}, make_mail(subject="Imported"))
    response = httpx.post(
        _send_url(users, "multipart", path="messages"),
        content=body,
        headers={"Authorization": f"Bearer {users.token(ANN)}", "Content-Type": ctype},
    )
    assert response.status_code == 200, response.text
    stored = users.state.mailbox(ANN).get(response.json()["id"])
    assert set(stored.label_ids) == {"INBOX", "STARRED"}
    log = users.control.get("/_emulator/log", params={"user": ANN}).json()["entries"]
    assert (log[-1]["method_id"], log[-1]["quota_cost"]) == ("gmail.users.messages.insert", 25)


def test_a_40_mb_upload_is_refused_with_413(users: RunningEmulator) -> None:
    """Over 36,700,160 bytes: 413 in Google's error shape, read by the client, nothing sent."""
    head = make_mail(subject="Huge", sender=ANN, to=BOB)
    raw = head + b"x" * (40 * 1024 * 1024)
    response = httpx.post(
        _send_url(users, "media"),
        content=raw,
        headers={"Authorization": f"Bearer {users.token(ANN)}", "Content-Type": "message/rfc822"},
        timeout=60,
    )
    assert response.status_code == 413
    assert response.json() == {
        "error": {
            "code": 413,
            "message": "Request Too Large",
            "errors": [
                {"message": "Request Too Large", "domain": "global", "reason": "uploadTooLarge"}
            ],
            "status": "INVALID_ARGUMENT",
        }
    }
    assert users.state.mailbox(BOB).messages == {}


def test_one_byte_over_the_cap_is_refused(users: RunningEmulator) -> None:
    """The cap is exact: 36,700,161 bytes answer 413 (smaller uploads are sent, see above)."""
    head = make_mail(subject="Big", sender=ANN, to=BOB)
    raw = head + b"y" * (36_700_161 - len(head))
    response = httpx.post(
        _send_url(users, "media"),
        content=raw,
        headers={"Authorization": f"Bearer {users.token(ANN)}", "Content-Type": "message/rfc822"},
        timeout=60,
    )
    assert response.status_code == 413


@pytest.mark.parametrize(
    ("upload_type", "content_type", "message"),
    [
        ("media", "text/plain", "Media type 'text/plain' is not supported. "),
        ("", "message/rfc822", "Upload requests must include an uploadType URL parameter"),
    ],
)
def test_unsupported_uploads_answer_400(
    users: RunningEmulator, upload_type: str, content_type: str, message: str
) -> None:
    """Non-message media and a missing uploadType are 400s, never 500s."""
    response = httpx.post(
        _send_url(users, upload_type),
        content=make_mail(sender=ANN, to=BOB),
        headers={"Authorization": f"Bearer {users.token(ANN)}", "Content-Type": content_type},
    )
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith(message)


def test_broken_multipart_and_bad_metadata_answer_400(users: RunningEmulator) -> None:
    """A multipart body without its parts, or metadata that is not JSON, is a 400."""
    token = users.token(ANN)
    for body, ctype in [
        (b"garbage", 'multipart/related; boundary="x"'),
        (
            b"--x\r\nContent-Type: application/json\r\n\r\n{not json\r\n"
            b"--x\r\nContent-Type: message/rfc822\r\n\r\nSubject: a\r\n\r\nb\r\n--x--\r\n",
            'multipart/related; boundary="x"',
        ),
    ]:
        response = httpx.post(
            _send_url(users, "multipart"),
            content=body,
            headers={"Authorization": f"Bearer {token}", "Content-Type": ctype},
        )
        assert response.status_code == 400, response.text


def test_sending_needs_a_sending_scope(users: RunningEmulator) -> None:
    """A gmail.readonly token may not send: 403 insufficientPermissions; no token: 401."""
    raw = make_mail(sender=ANN, to=BOB)
    response = httpx.post(
        _send_url(users, "media"),
        content=raw,
        headers={
            "Authorization": f"Bearer {users.token(ANN, [READONLY])}",
            "Content-Type": "message/rfc822",
        },
    )
    assert response.status_code == 403
    assert response.json()["error"]["errors"][0]["reason"] == "insufficientPermissions"
    response = httpx.post(
        _send_url(users, "media"), content=raw, headers={"Content-Type": "message/rfc822"}
    )
    assert response.status_code == 401
