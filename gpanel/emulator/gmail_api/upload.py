"""Gmail's media-upload endpoints for sending (and inserting) a whole RFC 822 message.

`POST /upload/gmail/v1/users/{userId}/messages/send` takes the message as the request body
(`uploadType=media`, `Content-Type: message/rfc822`) or as the second part of a
multipart/related body whose first part is the JSON metadata (`uploadType=multipart`, optional
`threadId`). Bodies above the discovery document's 35 MB cap (36,700,160 bytes) answer 413;
`uploadType=resumable` (or the `/resumable/upload/...` path) opens an upload session
(`resumable.py`) whose last chunk runs the same method on the whole message. The wire
middleware has already charged the call as `gmail.users.messages.send` (or `.insert`); this
module authorizes the caller like every Gmail route (`common.authorize`: token, userId, the
method's scopes), parses the upload, and hands the raw bytes to the mailbox (`send_raw`, or
`insert_raw` for `POST /upload/gmail/v1/users/{userId}/messages`).
"""

from __future__ import annotations

import email
import email.policy
import email.utils
import io
import json
from email.generator import BytesGenerator
from email.message import Message as EmailMessage
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from gpanel.emulator import errors
from gpanel.emulator.errors import GoogleError
from gpanel.emulator.gmail_api import resumable
from gpanel.emulator.gmail_api.common import Call, authorize, respond
from gpanel.emulator.gmail_api.messages import short_resource

MAX_UPLOAD_BYTES = 36_700_160
# A too-large body is still read (and thrown away) up to this size so that the client, which
# writes the whole body before reading, sees the 413 rather than a reset connection.
_DRAIN_LIMIT = 4 * MAX_UPLOAD_BYTES


def upload_too_large() -> GoogleError:
    # Google's exact body for an oversized Gmail upload is not documented; this follows its
    # standard error shape with the "uploadTooLarge" reason its other upload APIs use.
    return GoogleError(413, "Request Too Large", "uploadTooLarge", status="INVALID_ARGUMENT")


def _unsupported_media(media_type: str) -> GoogleError:
    return errors.bad_request(
        f"Media type '{media_type}' is not supported. Valid media types: [message/*]",
        reason="badContent",
    )


async def _read_capped(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > _DRAIN_LIMIT:
        raise upload_too_large()
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size <= MAX_UPLOAD_BYTES:
            chunks.append(chunk)
        elif size > _DRAIN_LIMIT:
            break
    if size > MAX_UPLOAD_BYTES:
        raise upload_too_large()
    return b"".join(chunks)


def _message_bytes(part: EmailMessage) -> bytes:
    """The RFC 822 bytes of a message/* part (the email parser has parsed it into a Message)."""
    payload = part.get_payload()
    if isinstance(payload, list) and isinstance(payload[0], EmailMessage):
        inner = payload[0]
        out = io.BytesIO()
        BytesGenerator(out, mangle_from_=False, policy=email.policy.compat32).flatten(inner)
        return out.getvalue()
    raw = part.get_payload(decode=True)
    return raw if isinstance(raw, bytes) else b""


def parse_multipart(content_type: str, body: bytes) -> tuple[dict[str, Any], bytes]:
    """The JSON metadata and the message bytes of a multipart/related upload."""
    head = b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n"
    envelope = email.message_from_bytes(head + body, policy=email.policy.compat32)
    if not envelope.is_multipart() or envelope.defects:
        raise errors.bad_request("Failed to parse the multipart/related upload body.")
    parts = [p for p in envelope.get_payload() if isinstance(p, EmailMessage)]
    if len(parts) != 2:
        raise errors.bad_request("A multipart upload has exactly two parts: metadata and media.")
    meta_part, media_part = parts
    if meta_part.get_content_type() != "application/json":
        raise errors.bad_request("The first part of a multipart upload must be JSON metadata.")
    try:
        raw_meta = meta_part.get_payload(decode=True) or b"{}"
        metadata = json.loads(raw_meta if isinstance(raw_meta, bytes) else b"{}")
    except ValueError as exc:
        raise errors.bad_request("Invalid JSON payload received in the metadata part.") from exc
    if not isinstance(metadata, dict):
        raise errors.bad_request("The metadata part must be a JSON object.")
    if media_part.get_content_maintype() != "message":
        raise _unsupported_media(media_part.get_content_type())
    return metadata, _message_bytes(media_part)


async def _upload(request: Request) -> tuple[dict[str, Any], bytes]:
    """Metadata and raw message of an upload request, whatever its uploadType."""
    upload_type = request.query_params.get("uploadType")
    if upload_type not in ("media", "multipart"):
        raise errors.bad_request(
            "Upload requests must include an uploadType URL parameter and a URL path beginning "
            "with /upload/"
        )
    body = await _read_capped(request)
    content_type = request.headers.get("content-type", "")
    if upload_type == "multipart":
        return parse_multipart(content_type, body)
    media_type = content_type.split(";")[0].strip().lower()
    if not media_type.startswith("message/"):
        raise _unsupported_media(media_type or "application/octet-stream")
    return {}, body


async def read_upload(request: Request) -> tuple[dict[str, Any], bytes]:
    """The metadata and raw message of an upload (the drafts routes share the reader)."""
    return await _upload(request)


async def handle_upload(request: Request, call: Call, finish: resumable.Finish) -> Response:
    """A simple or multipart upload run at once, or a resumable one's session opened."""
    if resumable.wants_resumable(request):
        return await resumable.start(request, call, finish)
    metadata, raw = await _upload(request)
    return respond(request, finish(call, metadata, raw))


def _send(call: Call, metadata: dict[str, Any], raw: bytes) -> dict[str, Any]:
    if not raw.strip():
        raise errors.bad_request("Recipient address required", reason="invalidArgument")
    thread_id = metadata.get("threadId")
    if thread_id is not None and not isinstance(thread_id, str):
        raise errors.bad_request("Invalid value for threadId.")
    return short_resource(call.mailbox.send_raw(raw, thread_id))


async def send_upload(request: Request) -> Response:
    call = authorize(request, "gmail.users.messages.send")
    return await handle_upload(request, call, _send)


def _date_header_ms(raw: bytes) -> int | None:
    """internalDateSource=dateHeader: the message's Date header, in epoch milliseconds."""
    head = email.message_from_bytes(raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0])
    value = head.get("Date")
    if not value:
        return None
    try:
        return int(email.utils.parsedate_to_datetime(str(value)).timestamp() * 1000)
    except (TypeError, ValueError):
        return None


async def insert_upload(request: Request) -> Response:
    call = authorize(request, "gmail.users.messages.insert")
    source = request.query_params.get("internalDateSource", "receivedTime")
    return await handle_upload(request, call, lambda c, m, r: _insert(c, m, r, source))


def _insert(call: Call, metadata: dict[str, Any], raw: bytes, source: str) -> dict[str, Any]:
    if not raw.strip():
        raise errors.bad_request("Invalid raw message: the message is empty.")
    labels = metadata.get("labelIds", [])
    thread_id = metadata.get("threadId")
    if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
        raise errors.bad_request("Invalid value for labelIds.")
    if thread_id is not None and not isinstance(thread_id, str):
        raise errors.bad_request("Invalid value for threadId.")
    if source not in ("receivedTime", "dateHeader"):
        raise errors.bad_request(f"Invalid value for internalDateSource: {source}")
    date_ms = _date_header_ms(raw) if source == "dateHeader" else None
    return short_resource(call.mailbox.insert_raw(raw, labels, date_ms, thread_id))


def routes() -> list[BaseRoute]:
    return [
        Route("/upload/gmail/v1/users/{userId}/messages/send", send_upload, methods=["POST"]),
        Route("/upload/gmail/v1/users/{userId}/messages", insert_upload, methods=["POST"]),
        Route(
            "/resumable/upload/gmail/v1/users/{userId}/messages/send",
            send_upload,
            methods=["POST"],
        ),
        Route(
            "/resumable/upload/gmail/v1/users/{userId}/messages", insert_upload, methods=["POST"]
        ),
        *resumable.routes(),
    ]
