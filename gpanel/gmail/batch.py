"""Gmail's batch endpoint: many calls in one `multipart/mixed` round trip.

`encode_batch` writes the envelope with the standard library's `email` package (one
`application/http` part per call, each with a Content-ID), `decode_batch` reads Google's
answer with the policy-aware `BytesParser` and maps each `Content-ID: <response-...>` back to
its call. `run_batch` sends one chunk of at most 100 calls and retries only the parts that
failed in a retryable way (rate limits, 5xx; one token refresh on 401) as a smaller batch,
with backoff; any other per-part failure (a 404 for a deleted thread, say) is that item's
result, not the batch's.
"""

from __future__ import annotations

import email.policy
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.parser import BytesParser
from typing import Any
from urllib.parse import urlencode

from gpanel.gmail.budget import Priority
from gpanel.gmail.discovery import BuiltRequest
from gpanel.gmail.dispatch import Dispatcher, Outgoing
from gpanel.gmail.errors import (
    BadResponse,
    GmailError,
    TokenExpired,
    error_for_status,
    is_retryable,
)
from gpanel.gmail.retry import Attempts

MAX_PARTS = 100  # Google refuses more: "Inner request count exceeds the limit"
_HTTP = email.policy.HTTP  # CRLF line ends, no header folding


@dataclass(frozen=True)
class PartResponse:
    status: int
    headers: Mapping[str, str]
    body: bytes


def encode_batch(parts: Sequence[tuple[str, BuiltRequest]]) -> tuple[bytes, str]:
    """The body and Content-Type of a batch request; each part's Content-ID is `<cid>`."""
    if not parts:
        raise ValueError("A batch needs at least one call.")
    if len(parts) > MAX_PARTS:
        raise ValueError(f"A Gmail batch holds at most {MAX_PARTS} calls.")
    envelope = MIMEMultipart("mixed", policy=_HTTP)
    for cid, req in parts:
        target = req.path + (("?" + urlencode(req.query)) if req.query else "")
        inner = MIMENonMultipart("application", "http", policy=_HTTP)
        del inner["MIME-Version"]
        inner["Content-Transfer-Encoding"] = "binary"
        inner["Content-ID"] = f"<{cid}>"
        inner.set_payload(
            f"{req.http_method} {target} HTTP/1.1\r\nAccept: application/json\r\n\r\n"
        )
        envelope.attach(inner)
    raw = envelope.as_bytes(policy=_HTTP)
    # The generator writes the envelope's own headers first; HTTP carries them as headers.
    _, _, body = raw.partition(b"\r\n\r\n")
    boundary = envelope.get_boundary()
    return body, f'multipart/mixed; boundary="{boundary}"'


def _response_cid(header: str) -> str:
    value = header.strip().strip("<>")
    return value.removeprefix("response-")


def _parse_inner(payload: bytes) -> PartResponse:
    status_line, _, rest = payload.lstrip(b"\r\n").partition(b"\n")
    fields = status_line.decode("latin-1").split()
    if len(fields) < 2 or not fields[0].startswith("HTTP/") or not fields[1].isdigit():
        raise BadResponse("Batch part without an HTTP status line")
    inner = BytesParser(policy=_HTTP).parsebytes(rest)
    body = inner.get_payload(decode=True)
    headers = {k.lower(): str(v) for k, v in inner.items()}
    return PartResponse(int(fields[1]), headers, body if isinstance(body, bytes) else b"")


def decode_batch(content_type: str, body: bytes) -> dict[str, PartResponse]:
    """Each part of a batch answer, keyed by the Content-ID of the request it answers."""
    if not content_type.lower().startswith("multipart/"):
        raise BadResponse("Batch answer is not multipart")
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    envelope = BytesParser(policy=_HTTP).parsebytes(head + body)
    if not envelope.is_multipart():
        raise BadResponse("Batch answer has no parts")
    out: dict[str, PartResponse] = {}
    for part in envelope.get_payload():
        assert isinstance(part, Message)
        cid = part.get("Content-ID")
        payload = part.get_payload(decode=True)
        if cid is None or not isinstance(payload, bytes):
            continue
        out[_response_cid(str(cid))] = _parse_inner(payload)
    return out


def _json(part: PartResponse, method_id: str) -> dict[str, Any] | GmailError:
    try:
        value = json.loads(part.body) if part.body.strip() else {}
    except (ValueError, UnicodeDecodeError):
        return BadResponse("Batch part is not JSON", status=part.status, method=method_id)
    if not isinstance(value, dict):
        return BadResponse("Batch part is not a JSON object", status=part.status, method=method_id)
    return value


async def run_batch(
    dispatcher: Dispatcher,
    mailbox: str,
    priority: Priority,
    attempts: Attempts,
    batch_url: str,
    calls: Mapping[str, BuiltRequest],
) -> dict[str, dict[str, Any] | GmailError]:
    """Run one chunk (at most 100 calls) and return each key's JSON or error."""
    results: dict[str, dict[str, Any] | GmailError] = {}
    pending = dict(calls)
    refreshed = False
    prefix = f"gpanel-{uuid.uuid4().hex}"
    while pending:
        keys = list(pending)
        cids = {f"{prefix}+{i}": key for i, key in enumerate(keys)}
        body, content_type = encode_batch([(cid, pending[key]) for cid, key in cids.items()])
        out = Outgoing(
            calls=tuple(pending[k].method.id for k in keys),
            http_method="POST",
            url=batch_url,
            headers={"Content-Type": content_type},
            content=body,
            error_method="batch",
            batch=True,
        )
        resp = await dispatcher.send(mailbox, priority, attempts, out)
        parts = decode_batch(resp.headers.get("content-type", ""), resp.content)
        retry: dict[str, BuiltRequest] = {}
        waits: list[float] = []
        unauthorized = False
        for cid, key in cids.items():
            method_id = pending[key].method.id
            part = parts.get(cid)
            if part is None:
                results[key] = BadResponse("Batch answer lacks a part", method=method_id)
                continue
            if 200 <= part.status < 300:
                results[key] = _json(part, method_id)
                continue
            error = error_for_status(part.status, part.body, part.headers, method_id)
            results[key] = error
            dispatcher.stats.failed(mailbox, error)
            if isinstance(error, TokenExpired) and not refreshed:
                unauthorized = True
                retry[key] = pending[key]
            elif is_retryable(error):
                retry[key] = pending[key]
                waits.append(getattr(error, "retry_after", None) or 0.0)
        if not retry:
            break
        if unauthorized:
            refreshed = True
            dispatcher.stats.refreshed(mailbox)
            await dispatcher.tokens.refresh(mailbox)
        if waits and not await attempts.wait_before_retry(max(waits) or None):
            break  # out of tries: the failed parts keep their errors
        dispatcher.stats.retried(mailbox)
        pending = retry
    return results
