"""Resumable media upload (`uploadType=resumable`), as Google's upload protocol describes it, for
messages.send, messages.insert and drafts.create/update/send.

The first request goes to the method's upload path (`/upload/gmail/v1/...?uploadType=resumable`,
or the discovery document's `/resumable/upload/gmail/v1/...` path) with the metadata as JSON
(possibly empty), `X-Upload-Content-Type` (the message's media type: `message/*` only) and,
optionally, `X-Upload-Content-Length`; it is authorized and charged like the method, nothing is
sent yet, and the answer is 200 with an empty body and a `Location` header: the session URI.
The bytes then go to that URI with `PUT`, whole or in chunks (`Content-Range: bytes a-b/total`,
`bytes a-b/*` while the total is unknown, `bytes */total` to ask how far it got). An unfinished
upload answers 308 with `Range: bytes=0-n` (no Range before the first byte); the last chunk runs
the method on the whole message and answers its resource (200). Over the discovery document's
`maxSize` (36,700,160 bytes), declared or received, is 413; a chunk that does not start where
the last one ended is 400; an unknown or finished session is 404.

Session URIs live outside `/upload/gmail/v1/` (`/upload/resumable/gmail/{upload_id}`): they are
no method of the discovery document, and the wire conditions (quota, latency, faults) were met
by the first request. Sessions live in memory for the emulator's run (at most `MAX_SESSIONS`,
oldest dropped first).
"""

from __future__ import annotations

import json
import re
import secrets
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from gpanel.emulator import errors
from gpanel.emulator.gmail_api.common import Call

MAX_UPLOAD_BYTES = 36_700_160  # the discovery document's mediaUpload.maxSize for Gmail
MAX_SESSIONS = 200
SESSION_PATH = "/upload/resumable/gmail/{upload_id}"
_RANGE = re.compile(r"^bytes (?:(\d+)-(\d+)|\*)/(\d+|\*)$")

Finish = Callable[[Call, dict[str, Any], bytes], dict[str, Any]]


@dataclass
class Session:
    call: Call
    finish: Finish
    metadata: dict[str, Any]
    total: int | None
    data: bytearray = field(default_factory=bytearray)


_sessions: OrderedDict[str, Session] = OrderedDict()


def wants_resumable(request: Request) -> bool:
    return request.query_params.get("uploadType") == "resumable" or request.url.path.startswith(
        "/resumable/"
    )


def _too_large() -> errors.GoogleError:
    return errors.GoogleError(413, "Request Too Large", "uploadTooLarge", status="INVALID_ARGUMENT")


async def start(request: Request, call: Call, finish: Finish) -> Response:
    """Open an upload session for `call`; `finish` runs the method on the whole message."""
    media = request.headers.get("x-upload-content-type", "").split(";")[0].strip().lower()
    if not media.startswith("message/"):
        raise errors.bad_request(
            f"Media type '{media or 'application/octet-stream'}' is not supported. "
            "Valid media types: [message/*]",
            reason="badContent",
        )
    declared = request.headers.get("x-upload-content-length")
    total: int | None = None
    if declared is not None:
        if not declared.strip().isdigit():
            raise errors.bad_request("Invalid X-Upload-Content-Length header.")
        total = int(declared)
        if total > MAX_UPLOAD_BYTES:
            raise _too_large()
    body = await request.body()
    metadata: Any = {}
    if body.strip():
        try:
            metadata = json.loads(body)
        except ValueError as exc:
            raise errors.bad_request("Invalid JSON payload received.") from exc
    if not isinstance(metadata, dict):
        raise errors.bad_request("The metadata must be a JSON object.")
    upload_id = secrets.token_urlsafe(24)
    _sessions[upload_id] = Session(call, finish, metadata, total)
    while len(_sessions) > MAX_SESSIONS:
        _sessions.popitem(last=False)
    location = str(request.base_url).rstrip("/") + SESSION_PATH.format(upload_id=upload_id)
    return Response(
        status_code=200, headers={"Location": location, "X-GUploader-UploadID": upload_id}
    )


def _incomplete(session: Session) -> Response:
    headers = {"Range": f"bytes=0-{len(session.data) - 1}"} if session.data else {}
    return Response(status_code=308, headers=headers)


async def put_bytes(request: Request) -> Response:
    upload_id = request.path_params["upload_id"]
    session = _sessions.get(upload_id)
    if session is None:
        raise errors.not_found("No such upload session.")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and len(session.data) + int(declared) > 4 * MAX_UPLOAD_BYTES:
        raise _too_large()
    chunk = await request.body()
    content_range = request.headers.get("content-range")
    total: int | None
    if content_range is None:
        first, total = 0, len(chunk)
        session.data = bytearray()
    else:
        found = _RANGE.match(content_range.strip())
        if found is None:
            raise errors.bad_request(f"Invalid Content-Range header: {content_range[:60]}")
        begin, end, whole = found.groups()
        total = int(whole) if whole != "*" else None
        if begin is None:  # "bytes */total": how far did it get?
            if chunk:
                raise errors.bad_request("A status request has no body.")
            if total is not None:
                session.total = total
            if session.total is not None and len(session.data) == session.total:
                return _complete(request, upload_id, session)
            return _incomplete(session)
        first = int(begin)
        if int(end) - first + 1 != len(chunk):
            raise errors.bad_request("The Content-Range does not match the body's length.")
        if first > len(session.data):
            raise errors.bad_request("The chunk does not start where the upload stands.")
    if total is not None:
        if session.total is not None and total != session.total:
            raise errors.bad_request("The upload's total length changed.")
        session.total = total
    del session.data[first:]
    session.data += chunk
    if len(session.data) > MAX_UPLOAD_BYTES:
        _sessions.pop(upload_id, None)
        raise _too_large()
    if session.total is not None and len(session.data) > session.total:
        raise errors.bad_request("More bytes than the upload's total length.")
    if session.total is None or len(session.data) < session.total:
        return _incomplete(session)
    return _complete(request, upload_id, session)


def _complete(request: Request, upload_id: str, session: Session) -> Response:
    _sessions.pop(upload_id, None)
    resource = session.finish(session.call, session.metadata, bytes(session.data))
    return JSONResponse(resource, media_type="application/json; charset=UTF-8")


def routes() -> list[BaseRoute]:
    return [Route(SESSION_PATH, put_bytes, methods=["PUT", "POST"])]
