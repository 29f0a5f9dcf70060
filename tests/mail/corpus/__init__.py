"""Finding the raw messages in the shared corpora, and turning one into a Gmail resource.

Shared by the corpus tests and the benchmark numbers in docs/rendering.md. A file "looks like a
message" when its first header block (after an optional mbox `From ` line) starts with header
lines and names at least one header every message has (From, To, Subject, Date, Message-ID,
MIME-Version, Content-Type, Received, Return-Path). mbox files are split with `mailbox.mbox`.
"""

from __future__ import annotations

import base64
import email
import mailbox
import re
from collections.abc import Iterator
from email.policy import compat32
from pathlib import Path
from typing import Any

from tests.support.needs import corpus

MIME = corpus("mime")
XSS = corpus("xss")

_HEADER_LINE = re.compile(rb"^[!-9;-~]+:")
_KNOWN = re.compile(
    rb"^(from|to|subject|date|message-id|mime-version|content-type|received|return-path):",
    re.I | re.M,
)


def looks_like_message(head: bytes) -> bool:
    lines = head.replace(b"\r\n", b"\n").split(b"\n")
    if lines and lines[0].startswith(b"From "):
        lines = lines[1:]
    block = []
    for line in lines:
        if not line.strip():
            break
        block.append(line)
    if not block or not _HEADER_LINE.match(block[0]):
        return False
    return bool(_KNOWN.search(b"\n".join(block)))


def is_mbox(head: bytes) -> bool:
    return head.startswith(b"From ") and b"\n" in head


def corpus_messages(root: Path = MIME) -> Iterator[tuple[str, bytes]]:
    """(name, raw bytes) for every message under `root`, mbox files split into messages."""
    for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink()):
        with path.open("rb") as handle:
            head = handle.read(8192)
        if not looks_like_message(head):
            continue
        rel = str(path.relative_to(root))
        if is_mbox(head):
            box = mailbox.mbox(str(path), create=False)
            try:
                keys = list(box.keys())
                if len(keys) > 1:
                    for key in keys:
                        yield f"{rel}#{key}", box.get_bytes(key)
                    continue
            finally:
                box.close()
        yield rel, path.read_bytes()


def local_payload(raw: bytes, message_id: str) -> dict[str, Any]:
    """A minimal raw -> Gmail `payload` converter, used only if the emulator's is missing."""
    msg = email.message_from_bytes(raw, policy=compat32)

    def render(part: email.message.Message, part_id: str, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {
            "partId": part_id,
            "mimeType": part.get_content_type(),
            "filename": part.get_filename() or "",
            "headers": [{"name": k, "value": str(v)} for k, v in part.raw_items()],
        }
        payload = part.get_payload()
        if part.is_multipart() and isinstance(payload, list) and depth < 30:
            out["body"] = {"size": 0}
            out["parts"] = [
                render(p, f"{part_id}.{i}" if part_id else str(i), depth + 1)
                for i, p in enumerate(payload)
            ]
        else:
            data = part.get_payload(decode=True)
            data = data if isinstance(data, bytes) else b""
            out["body"] = {"size": len(data), "data": base64.urlsafe_b64encode(data).decode()}
        return out

    return render(msg, "", 0)


def gmail_message(raw: bytes, message_id: str) -> dict[str, Any]:
    """A `format=full` message resource for raw bytes, through the emulator's converter."""
    try:
        from gpanel.emulator.mime.payload import payload_resource
    except ImportError:  # pragma: no cover - only before the emulator's converter exists
        payload = local_payload(raw, message_id)
    else:
        payload = payload_resource(raw, message_id)
    return {
        "id": message_id,
        "threadId": message_id,
        "labelIds": ["INBOX"],
        "internalDate": "1700000000000",
        "snippet": "",
        "payload": payload,
    }


_TAGS = re.compile(rb"<(style|script|title)\b.*?</\1\s*>|<!--.*?-->|<[^>]*>", re.I | re.S)
_WORD = re.compile(rb"[A-Za-z0-9\x80-\xff]")


def has_readable_body(raw: bytes) -> bool:
    """The oracle: does the raw message hold a body part a reader should see as text?

    Judged independently of gpanel's reader with the stdlib's compat32 parser: a text/plain or
    text/html part, not an attachment (no file name, no `attachment` disposition), outside any
    attached message/rfc822, whose decoded bytes hold a letter or digit outside markup.
    """
    try:
        msg = email.message_from_bytes(raw, policy=compat32)
    except Exception:
        return False
    stack: list[tuple[email.message.Message, int]] = [(msg, 0)]
    while stack:
        part, depth = stack.pop()
        ctype = part.get_content_type()
        payload = part.get_payload()
        if part.is_multipart() and isinstance(payload, list):
            if ctype.startswith("multipart/") and depth < 30:
                stack.extend((p, depth + 1) for p in payload)
            continue
        if ctype.startswith("multipart/"):
            ctype = "text/plain"  # a multipart whose boundary never appears is shown as text
        if ctype not in ("text/plain", "text/html"):
            continue
        if part.get_filename() or str(part.get("Content-Disposition", "")).lower().startswith(
            "attachment"
        ):
            continue
        data = part.get_payload(decode=True)
        if not isinstance(data, bytes):
            continue
        if ctype == "text/html":
            data = _TAGS.sub(b" ", data)
        if _WORD.search(data):
            return True
    return False
