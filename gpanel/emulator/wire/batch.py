"""Google's batch endpoint: many Gmail calls in one multipart/mixed request.

`POST /batch/gmail/v1` (and `/batch`, where googleapiclient posts by default) takes a
multipart/mixed envelope whose parts are `application/http` requests, parsed with Python's
`email` package. More than 100 parts are refused before any part is looked at, with Google's
message. Each part is dispatched back through the whole emulator app, so the wire middleware
charges it, logs it and may fail it on its own. As at Google, all parts arrive at once: each
takes one of its user's concurrency slots the moment the batch arrives (shared with the user's
plain calls), and parts beyond the limit answer 429 "Too many concurrent requests for user"
(docs/gmail-facts.md, "Per-user limits and concurrency"). The
answer is a multipart/mixed envelope with one `application/http` part per request, in request
order, each with `Content-ID: <response-...>` and a status line with its reason phrase.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import http
import http.client
import io
import json
import secrets
from dataclasses import dataclass, field
from email.message import Message as EmailMessage
from typing import Any
from urllib.parse import unquote, urlsplit

from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gpanel.emulator import errors
from gpanel.emulator.errors import GoogleError
from gpanel.emulator.wire.conditions import (
    SCOPE_BATCH_PART,
    SCOPE_SLOT,
    ConnectionDropped,
    Wire,
    drop_connection,
    replay,
)

MAX_PARTS = 100


class BatchRefused(Exception):
    """The envelope as a whole is unacceptable; answered with one 400 before any part runs."""

    def __init__(self, message: str, plain: bool = False) -> None:
        super().__init__(message)
        self.message = message
        # Google answers the part-count refusal without an `errors` array; keep that shape.
        self.plain = plain

    def response(self) -> Response:
        if self.plain:
            body = {"error": {"code": 400, "message": self.message, "status": "INVALID_ARGUMENT"}}
            return JSONResponse(body, status_code=400)
        return errors.bad_request(self.message, reason="badRequest").response()


@dataclass
class PartRequest:
    content_id: str | None
    method: str
    target: str
    headers: list[tuple[bytes, bytes]]
    body: bytes


@dataclass
class PartResponse:
    status: int = 0
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytearray = field(default_factory=bytearray)
    complete: bool = False

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = int(message["status"])
            self.headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            self.body += message.get("body", b"")
            if not message.get("more_body", False):
                self.complete = True

    @classmethod
    def of_error(cls, error: GoogleError) -> PartResponse:
        body = json.dumps(error.body()).encode()
        headers = [(b"content-type", b"application/json; charset=UTF-8")]
        return cls(status=error.code, headers=headers, body=bytearray(body), complete=True)


def parse_envelope(content_type: str, body: bytes) -> list[EmailMessage]:
    """The parts of a multipart/mixed batch envelope, refusing anything malformed."""
    if content_type.split(";")[0].strip().lower() != "multipart/mixed":
        raise BatchRefused("Batch requests must be multipart/mixed.")
    # The email parser wants the content type as a header of the message it parses.
    head = b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n"
    envelope = email.message_from_bytes(head + body, policy=email.policy.compat32)
    if not envelope.is_multipart() or envelope.defects:
        raise BatchRefused("Failed to parse batch request: malformed multipart/mixed body.")
    parts = [p for p in envelope.get_payload() if isinstance(p, EmailMessage)]
    if len(parts) > MAX_PARTS:
        raise BatchRefused(
            f"Inner request count exceeds the limit. Received: {len(parts)}, Limit: {MAX_PARTS}",
            plain=True,
        )
    if not parts:
        raise BatchRefused("Failed to parse batch request: the batch has no parts.")
    return parts


def parse_part(part: EmailMessage) -> PartRequest:
    if part.get_content_type() != "application/http":
        raise BatchRefused("Each batch part must have Content-Type: application/http.")
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        raise BatchRefused("Failed to parse batch request: empty part.")
    fp = io.BytesIO(payload)
    request_line = fp.readline().decode("latin-1").strip().split(" ")
    if len(request_line) not in (2, 3) or not request_line[0].isalpha():
        raise BatchRefused("Failed to parse batch request: bad request line in a part.")
    try:
        parsed = http.client.parse_headers(fp)
    except http.client.HTTPException as exc:
        raise BatchRefused("Failed to parse batch request: bad headers in a part.") from exc
    body = fp.read()
    # googleapiclient counts characters, not bytes, in an inner Content-Length; use the bytes.
    headers = [
        (name.lower().encode("latin-1"), value.encode("latin-1"))
        for name, value in parsed.items()
        if name.lower() not in ("content-length", "mime-version")
    ]
    if body:
        headers.append((b"content-length", str(len(body)).encode()))
    return PartRequest(
        content_id=part.get("Content-ID"),
        method=request_line[0].upper(),
        target=request_line[1],
        headers=headers,
        body=body,
    )


def _part_scope(outer: Scope, request: PartRequest, slot: bool | None) -> Scope:
    url = urlsplit(request.target)
    headers = list(request.headers)
    names = {name for name, _ in headers}
    for name, value in outer.get("headers", []):
        # The envelope's credentials apply to every part that does not bring its own.
        if name.lower() in (b"authorization", b"host") and name.lower() not in names:
            headers.append((name.lower(), value))
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": outer.get("asgi", {"version": "3.0"}),
        "http_version": "1.1",
        "method": request.method,
        "scheme": outer.get("scheme", "http"),
        "path": unquote(url.path),
        "raw_path": url.path.encode("latin-1"),
        "root_path": "",
        "query_string": url.query.encode("latin-1"),
        "headers": headers,
        "client": outer.get("client"),
        "server": outer.get("server"),
        "extensions": {},
        SCOPE_BATCH_PART: True,
    }
    if slot is not None:
        scope[SCOPE_SLOT] = slot
    if "state" in outer:
        scope["state"] = dict(outer["state"])
    return scope


def render(responses: list[tuple[str | None, PartResponse]]) -> tuple[bytes, str]:
    boundary = "batch_" + secrets.token_urlsafe(18).replace("-", "").replace("_", "")
    out = bytearray()
    for content_id, response in responses:
        out += f"--{boundary}\r\nContent-Type: application/http\r\n".encode()
        if content_id:
            out += f"Content-ID: <response-{content_id.strip().strip('<>')}>\r\n".encode()
        phrase = http.HTTPStatus(response.status).phrase if response.status else "Unknown"
        out += f"\r\nHTTP/1.1 {response.status} {phrase}\r\n".encode()
        for name, value in response.headers:
            if name.lower() in (b"content-length", b"connection", b"transfer-encoding"):
                continue
            out += name + b": " + value + b"\r\n"
        out += b"Content-Length: " + str(len(response.body)).encode() + b"\r\n\r\n"
        out += bytes(response.body) + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out), boundary


class BatchEndpoint:
    """The ASGI endpoint behind both batch paths (raw ASGI so a part can drop the connection)."""

    def __init__(self, wire: Wire, dispatch: ASGIApp) -> None:
        self.wire = wire
        self.dispatch = dispatch

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        from starlette.requests import Request

        request = Request(scope, receive)
        try:
            parts = parse_envelope(request.headers.get("content-type", ""), await request.body())
            requests = [parse_part(part) for part in parts]
        except BatchRefused as refused:
            await refused.response()(scope, receive, send)
            return
        limit = asyncio.Semaphore(self.wire.effective_batch_parallelism())
        users = [self.wire.part_user(scope, part.headers) for part in requests]
        slots = self.wire.admit_batch(users)

        async def run(part: PartRequest, user: str | None, slot: bool | None) -> PartResponse:
            try:
                async with limit:
                    return await self._run_part(scope, part, slot)
            finally:
                if slot and user is not None:
                    self.wire.release(user)

        dropped = False
        try:
            async with asyncio.TaskGroup() as group:
                tasks = [
                    group.create_task(run(part, user, slot))
                    for part, user, slot in zip(requests, users, slots, strict=True)
                ]
        except* ConnectionDropped:
            dropped = True
        if dropped:
            # A part's injected drop takes the whole batch down: the parts share one connection.
            await drop_connection(send)
            return
        answers = [task.result() for task in tasks]
        body, boundary = render([(r.content_id, a) for r, a in zip(requests, answers, strict=True)])
        response = Response(body, media_type=f"multipart/mixed; boundary={boundary}")
        await response(scope, receive, send)

    async def _run_part(self, outer: Scope, part: PartRequest, slot: bool | None) -> PartResponse:
        if not urlsplit(part.target).path.startswith("/gmail/v1/"):
            return PartResponse.of_error(
                errors.not_found("Batch parts must be Gmail API requests (/gmail/v1/...).")
            )
        collected = PartResponse()
        try:
            await self.dispatch(_part_scope(outer, part, slot), replay(part.body), collected.send)
        except ConnectionDropped:
            raise
        except Exception:
            # Starlette's error middleware sends a plain-text 500 and re-raises; Google would
            # answer the part with its JSON backendError instead.
            return PartResponse.of_error(errors.backend_error())
        if not collected.complete:
            return PartResponse.of_error(errors.backend_error())
        return collected


def batch_routes(wire: Wire, dispatch: ASGIApp) -> list[BaseRoute]:
    endpoint = BatchEndpoint(wire, dispatch)
    return [
        Route("/batch/gmail/v1", endpoint, methods=["POST"]),
        Route("/batch", endpoint, methods=["POST"]),
    ]
