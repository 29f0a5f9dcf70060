"""The size rules and upload body for sending a message through Gmail.

Gmail takes a message as JSON (`raw`, base64url) or, for large ones, on its media-upload
endpoint. Google's upload guide keeps simple and multipart uploads to 5 MB, so above that a
message goes by resumable upload (`resumable_upload`: the metadata opens a session, whose
`Location` then takes the bytes in one PUT; docs/gmail-facts.md, "Sending"). The "multipart"
upload (`related_upload`) is a `multipart/related` body of the JSON metadata (e.g. `threadId`)
and the `message/rfc822` bytes. The `email` package cannot carry
raw bytes as a `message/rfc822` part without re-parsing (and so rewriting) the message, so
the body is written here, with a boundary checked absent from the message. Drafts
(create/update/send/get/delete), send-as aliases and the Message-ID lookup that decides
whether a send whose answer was lost went out are here too.
"""

from __future__ import annotations

import base64
import json
import secrets
from typing import TYPE_CHECKING, Any

from gpanel.gmail import discovery
from gpanel.gmail.dispatch import Outgoing
from gpanel.gmail.errors import BadResponse, InvalidRequest
from gpanel.gmail.retry import Attempts

if TYPE_CHECKING:
    from gpanel.gmail.mailbox import MailboxClient

SIMPLE_SEND_BYTES = 5 * 1024 * 1024  # Google advises simple requests up to 5 MB


def max_send_bytes() -> int:
    """Gmail's cap on a sent message: the discovery document's mediaUpload.maxSize (35 MB)."""
    limit = discovery.method("gmail.users.messages.send").max_upload
    return limit if limit is not None else 36_700_160


def related_upload(raw: bytes, metadata: dict[str, Any]) -> tuple[bytes, str]:
    """A `multipart/related` upload body (metadata JSON, then the message) and its type."""
    while True:
        boundary = "gpanel_" + secrets.token_hex(16)
        if boundary.encode() not in raw:
            break
    crlf = b"\r\n"
    marker = b"--" + boundary.encode()
    body = b"".join(
        [
            marker + crlf,
            b"Content-Type: application/json; charset=UTF-8" + crlf + crlf,
            json.dumps(metadata).encode() + crlf,
            marker + crlf,
            b"Content-Type: message/rfc822" + crlf + crlf,
            raw + crlf,
            marker + b"--" + crlf,
        ]
    )
    return body, f'multipart/related; boundary="{boundary}"'


async def resumable_upload(
    gmail: MailboxClient,
    method_id: str,
    params: dict[str, object],
    metadata: dict[str, Any],
    raw: bytes,
) -> dict[str, Any]:
    """`method_id` with the message by resumable upload: the session opened with the metadata
    (charged as the method; safe to retry, nothing is sent yet), then the bytes in one PUT to
    the session URI, never retried blindly (the caller checks the sent mail by Message-ID)."""
    built = discovery.build(method_id, {"userId": "me", **params}, upload=True)
    start = Outgoing(
        calls=(method_id,),
        http_method=built.http_method,
        url=gmail.client.base_url + built.path,
        query=(("uploadType", "resumable"),),
        headers={
            "Content-Type": "application/json; charset=UTF-8",
            "X-Upload-Content-Type": "message/rfc822",
            "X-Upload-Content-Length": str(len(raw)),
        },
        content=json.dumps(metadata).encode(),
        error_method=method_id,
        idempotent=True,
    )
    dispatcher = gmail.client.dispatcher
    opened = await dispatcher.send(gmail.key, gmail.priority, Attempts(gmail.retry), start)
    location = opened.headers.get("location", "")
    if not location.startswith(("https://", "http://")):
        raise BadResponse(
            "Gmail opened no upload session", status=opened.status_code, method=method_id
        )
    put = Outgoing(
        calls=(),  # the session's opening was charged as the method
        http_method="PUT",
        url=location,
        headers={"Content-Type": "message/rfc822"},
        content=raw,
        error_method=method_id,
        idempotent=False,
    )
    return await gmail.send_outgoing(put)


# --- drafts and send-as (users.drafts, users.settings.sendAs) --------------------------------
# These take the mailbox's `MailboxClient` (mailbox.py imports this module, hence the
# TYPE_CHECKING import): a draft is created or replaced as JSON up to 5 MB, by resumable
# upload above; sending a draft is not idempotent (the dispatcher does not retry it blindly).


def _draft_body(raw: bytes, thread_id: str | None) -> dict[str, Any]:
    message: dict[str, Any] = {"raw": base64.urlsafe_b64encode(raw).decode()}
    if thread_id:
        message["threadId"] = thread_id
    return {"message": message}


async def save_draft(
    gmail: MailboxClient, raw: bytes, *, thread_id: str | None = None, draft_id: str | None = None
) -> dict[str, Any]:
    """drafts.create (or drafts.update of `draft_id`); Gmail's Draft resource."""
    m = "gmail.users.drafts.update" if draft_id else "gmail.users.drafts.create"
    params: dict[str, object] = {"id": draft_id} if draft_id else {}
    if len(raw) > max_send_bytes():
        raise InvalidRequest(
            "Message exceeds Gmail's 35 MB limit",
            method=m,
            user_message="This message is larger than Gmail's 35 MB limit. "
            "Remove or shrink attachments.",
        )
    if len(raw) <= SIMPLE_SEND_BYTES:
        return await gmail.call(m, params, body=_draft_body(raw, thread_id), idempotent=False)
    meta = {"message": {"threadId": thread_id}} if thread_id else {}
    return await resumable_upload(gmail, m, params, meta, raw)


async def send_draft(gmail: MailboxClient, draft_id: str) -> dict[str, Any]:
    """drafts.send: the draft's latest version goes; Gmail's Message (id, threadId, labels)."""
    return await gmail.call("gmail.users.drafts.send", body={"id": draft_id}, idempotent=False)


async def get_draft(gmail: MailboxClient, draft_id: str) -> dict[str, Any]:
    return await gmail.call("gmail.users.drafts.get", {"id": draft_id, "format": "minimal"})


async def delete_draft(gmail: MailboxClient, draft_id: str) -> None:
    await gmail.call("gmail.users.drafts.delete", {"id": draft_id})


async def send_as(gmail: MailboxClient) -> list[dict[str, Any]]:
    """users.settings.sendAs.list: the primary address and every alias, as Gmail keeps them."""
    answer = await gmail.call("gmail.users.settings.sendAs.list")
    found = answer.get("sendAs")
    return [x for x in found if isinstance(x, dict)] if isinstance(found, list) else []


async def find_sent(gmail: MailboxClient, rfc_message_id: str) -> dict[str, Any] | None:
    """The mailbox's message with this Message-ID (drafts aside), or None: how a send whose
    answer was lost is checked before anything is sent again."""
    query = f"rfc822msgid:{rfc_message_id.strip('<>')} -in:drafts"
    answer = await gmail.list_messages(query, max_results=5, include_spam_trash=True)
    found = answer.get("messages")
    if isinstance(found, list) and found and isinstance(found[0], dict):
        return found[0]
    return None
