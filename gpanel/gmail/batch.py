"""Gmail's batch endpoint: many calls in one `multipart/mixed` round trip.

`encode_batch` writes the envelope with the standard library's `email` package (one
`application/http` part per call, each with a Content-ID), `decode_batch` reads Google's
answer with the policy-aware `BytesParser` and maps each `Content-ID: <response-...>` back to
its call. `run_batch` sends calls in batches sized by the mailbox's window
(`slots.BatchWindow`: Google refuses parts beyond the mailbox's concurrency limit, so the size
shrinks after refused parts and grows after clean batches) and retries only the parts that failed in
a retryable way (concurrency refusals after a brief wait; rate limits and 5xx with backoff; one
token refresh on 401), inside the caller's deadline; any other per-part failure (a 404 for a deleted
thread, say) is that item's result, not the batch's.
"""

from __future__ import annotations

import asyncio
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
    TooManyConcurrent,
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


async def _send_chunk(
    dispatcher: Dispatcher,
    mailbox: str,
    priority: Priority,
    attempts: Attempts,
    batch_url: str,
    chunk: Mapping[str, BuiltRequest],
    prefix: str,
) -> dict[str, PartResponse | None]:
    """One batch request for `chunk`; each key's part answer (None when the answer lacks it)."""
    keys = list(chunk)
    cids = {f"{prefix}+{i}": key for i, key in enumerate(keys)}
    body, content_type = encode_batch([(cid, chunk[key]) for cid, key in cids.items()])
    out = Outgoing(
        calls=tuple(chunk[k].method.id for k in keys),
        http_method="POST",
        url=batch_url,
        headers={"Content-Type": content_type},
        content=body,
        error_method="batch",
        batch=True,
    )
    resp = await dispatcher.send(mailbox, priority, attempts.child(), out)
    parts = decode_batch(resp.headers.get("content-type", ""), resp.content)
    return {key: parts.get(cid) for cid, key in cids.items()}


def _chunks(calls: Mapping[str, BuiltRequest], size: int) -> list[dict[str, BuiltRequest]]:
    items = list(calls.items())
    return [dict(items[n : n + size]) for n in range(0, len(items), size)]


async def run_batch(
    dispatcher: Dispatcher,
    mailbox: str,
    priority: Priority,
    attempts: Attempts,
    batch_url: str,
    calls: Mapping[str, BuiltRequest],
) -> dict[str, dict[str, Any] | GmailError]:
    """Run `calls` as batches sized by the mailbox's window; return each key's JSON or error.

    Each round sends the pending calls in chunks of the window's size (side by side; the
    mailbox's slots decide how many at once), then retries only the parts that failed in a
    retryable way, within `attempts` (its tries and the caller's deadline). Parts refused for
    concurrency shrink the window and are retried after a brief wait; a clean full batch grows
    it again. A part still failing when the tries or the deadline run out keeps its error.
    """
    results: dict[str, dict[str, Any] | GmailError] = {}
    pending = dict(calls)
    refreshed = False
    prefix = f"gpanel-{uuid.uuid4().hex}"
    window = dispatcher.window(mailbox)
    round_no = 0
    while pending:
        attempts.begin()
        chunks = _chunks(pending, min(window.size, MAX_PARTS))
        answers = await asyncio.gather(
            *(
                _send_chunk(
                    dispatcher,
                    mailbox,
                    priority,
                    attempts,
                    batch_url,
                    chunk,
                    f"{prefix}.{round_no}.{n}",
                )
                for n, chunk in enumerate(chunks)
            )
        )
        round_no += 1
        retry: dict[str, BuiltRequest] = {}
        waits: list[float] = []
        only_concurrency = True
        unauthorized = False
        refused = 0
        for chunk, answer in zip(chunks, answers, strict=True):
            for key, part in answer.items():
                method_id = chunk[key].method.id
                if part is None:
                    results[key] = BadResponse("Batch answer lacks a part", method=method_id)
                    continue
                if 200 <= part.status < 300:
                    results[key] = _json(part, method_id)
                    continue
                error = error_for_status(part.status, part.body, part.headers, method_id)
                results[key] = error
                dispatcher.stats.failed(mailbox, error)
                if isinstance(error, TooManyConcurrent):
                    refused += 1
                if isinstance(error, TokenExpired) and not refreshed:
                    unauthorized = True
                    retry[key] = chunk[key]
                elif is_retryable(error):
                    retry[key] = chunk[key]
                    waits.append(getattr(error, "retry_after", None) or 0.0)
                    only_concurrency = only_concurrency and isinstance(error, TooManyConcurrent)
        # The round's chunks ran side by side: learn from them together, once.
        window.observe(sum(len(chunk) for chunk in chunks), refused)
        if not retry:
            break
        if unauthorized:
            refreshed = True
            dispatcher.stats.refreshed(mailbox)
            await dispatcher.tokens.refresh(mailbox)
        if waits and not await attempts.wait_before_retry(
            max(waits) or None, brief=only_concurrency
        ):
            break  # out of tries or time: the failed parts keep their errors
        dispatcher.stats.retried(mailbox)
        pending = retry
    return results
