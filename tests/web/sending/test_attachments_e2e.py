"""Attachments over real HTTP: `multipart/form-data` with a `message` JSON part and file parts
sends them in Gmail (name, type and bytes intact); a file name with a line break is 422; a
forward carries the original's attachments, read live from Gmail; a body above Gmail's 35 MB
is refused before Gmail; above 5 MB the client uses the upload endpoint."""

from __future__ import annotations

import json

import pytest

from tests.support.stack import Stack, csrf
from tests.web.sending.kit import messages, parsed, post
from tests.web.thread_support import BEN, CARLA, PAT, PDF, World, build_world, mail

SEND = "/api/mail/send"


@pytest.fixture
def world(stack: Stack) -> World:
    return build_world(stack)


def _form(world: World, body: dict[str, object], files: list[tuple[str, bytes, str]]) -> object:
    return world.ben.post(
        SEND,
        data={"message": json.dumps(body)},
        files=[("file", f) for f in files],
        headers={"X-CSRF-Token": csrf(world.ben)},
    )


def test_files_are_attached_as_sent(world: World) -> None:
    """Two files arrive at the recipient with their names, types and bytes."""
    answer = _form(
        world,
        {"to": [CARLA], "subject": "Contract", "text": "Attached."},
        [("contract.pdf", PDF, "application/pdf"), ("notes.txt", b"plain notes", "text/plain")],
    )
    assert answer.status_code == 201, answer.text  # type: ignore[attr-defined]
    (received,) = messages(world.stack, CARLA, "INBOX")
    found = {
        p.get_filename(): (p.get_content_type(), p.get_payload(decode=True))
        for p in parsed(received.raw).iter_attachments()
    }
    assert found == {
        "contract.pdf": ("application/pdf", PDF),
        "notes.txt": ("text/plain", b"plain notes"),
    }


def test_a_file_name_cannot_inject_a_header(world: World) -> None:
    """A name trying a header break (form encoding turns CR LF into %0D%0A, as browsers do)
    stays inside the part's filename: the message has no extra Bcc and goes to Carla only."""
    answer = _form(
        world,
        {"to": [CARLA], "subject": "x", "text": "x"},
        [("evil\r\nBcc: spy@evil.example.pdf", PDF, "application/pdf")],
    )
    assert answer.status_code == 201, answer.text  # type: ignore[attr-defined]
    (sent,) = messages(world.stack, BEN, "SENT")
    head = parsed(sent.raw)
    assert head["Bcc"] is None and b"\r\nBcc:" not in sent.raw.split(b"\r\n\r\n", 1)[0]
    (part,) = list(head.iter_attachments())
    assert "spy@evil.example" in (part.get_filename() or "")  # kept as (encoded) name text


def test_a_forward_carries_the_originals_attachments(world: World) -> None:
    """Forwarding Pat's message to Carla sends Pat's PDF along, subject "Fwd: ..."."""
    raw, _ = mail(
        f"Pat <{PAT}>",
        BEN,
        "Signed",
        "See attached",
        attachments=[("s.pdf", PDF, "application/pdf")],
    )
    created = world.insert(raw)
    body = {
        "to": [CARLA],
        "text": "FYI",
        "reply_to": {
            "mailbox_id": world.mailbox_id,
            "thread_id": created["threadId"],
            "message_id": created["id"],
            "mode": "forward",
        },
    }
    answer = post(world, SEND, body)
    assert answer.status_code == 201, answer.text
    (received,) = messages(world.stack, CARLA, "INBOX")
    message = parsed(received.raw)
    assert message["Subject"] == "Fwd: Signed"
    (part,) = list(message.iter_attachments())
    assert (part.get_filename(), part.get_payload(decode=True)) == ("s.pdf", PDF)


def test_sizes_past_5_mb_upload_and_past_35_mb_are_refused(world: World) -> None:
    """A 6 MB attachment goes through the upload endpoint; 36 MB is 413 before Gmail."""
    big = b"\x00" * (6 * 1024 * 1024)
    ok = _form(
        world,
        {"to": [CARLA], "subject": "Big", "text": "x"},
        [("b.bin", big, "application/octet-stream")],
    )
    assert ok.status_code == 201, ok.text  # type: ignore[attr-defined]
    log = world.stack.emulator.control.get("/_emulator/log").json()["entries"]
    assert any("/upload/gmail/v1/users/me/messages/send" in e.get("path", "") for e in log), log[
        -3:
    ]
    huge = b"\x00" * (36 * 1024 * 1024)
    refused = _form(
        world,
        {"to": [CARLA], "subject": "Huge", "text": "x"},
        [("h.bin", huge, "application/octet-stream")],
    )
    assert refused.status_code in (413, 422), refused.text  # type: ignore[attr-defined]
    assert len(messages(world.stack, BEN, "SENT")) == 1
