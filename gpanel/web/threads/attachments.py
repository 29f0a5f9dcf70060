"""One part of a message, streamed on demand: an attachment, or a `cid:` image the message frame
asks for with its frame token. Served with the part's type only when it is a well-formed MIME
type, a safe disposition, nosniff and a sandbox; inline only for a raster image whose bytes say
so. Only at full detail.
"""

from __future__ import annotations

import re

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from gpanel.gmail import GmailError, NotFound
from gpanel.mail.filenames import content_disposition
from gpanel.mail.image_policy import ALLOWED_CONTENT_TYPES, sniff_image_type
from gpanel.services.accounts.sessions import CurrentUser
from gpanel.services.sharing.policy import Detail
from gpanel.services.threads import gate as threads
from gpanel.web.guard.viewer import ctx_of, require_user, viewer_of
from gpanel.web.threads import frame
from gpanel.web.threads.grant import (
    NOT_FOUND,
    THREAD_ID,
    grant_for,
    path_params,
)

_PART = re.compile(r"^p[0-9.]{0,40}$")
_MIME = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/[a-z0-9][a-z0-9!#$&^_.+-]{0,127}$")


async def _attachment_viewer(request: Request, key: list[object]) -> CurrentUser:
    """The session's user, or for a `cid:` image in the (cookie-less) message frame, the user
    named by a live frame token for this very part (`frame.inline_viewer`)."""
    viewer = viewer_of(request)
    if viewer is not None:
        return viewer
    if request.query_params.get("t", ""):
        return await frame.inline_viewer(request, key, NOT_FOUND)
    return require_user(request)


def _safe_type(mime: str) -> str:
    mime = mime.strip().lower()
    return mime if _MIME.match(mime) else "application/octet-stream"


async def attachment(request: Request) -> Response:
    kind, record_id, mailbox_id, thread_id = path_params(request)
    message_id = str(request.path_params["message_id"])
    part_ref = str(request.path_params["part"])
    if not THREAD_ID.match(message_id) or not _PART.match(part_ref):
        raise HTTPException(404, NOT_FOUND)
    part_id = part_ref[1:]
    viewer = await _attachment_viewer(
        request, [kind, record_id, mailbox_id, thread_id, message_id, part_id]
    )
    grant = await grant_for(request, viewer, kind, record_id, mailbox_id, thread_id)
    if grant.detail is not Detail.FULL:
        raise HTTPException(
            403,
            "You may see this conversation's subject and participants, "
            "but not its messages or attachments.",
        )
    message = next((m for m in grant.thread.messages if m.id == message_id), None)
    part = next((a for a in message.attachments if a.part_id == part_id), None) if message else None
    if message is None or part is None:
        raise HTTPException(404, NOT_FOUND)
    data = part.data
    if data is None:
        if not part.attachment_id:
            raise HTTPException(404, NOT_FOUND)
        gmail = ctx_of(request).gmail.mailbox(grant.mailbox.key, retry=threads.VIEW_RETRY)
        try:
            data = await gmail.get_attachment(message_id, part.attachment_id)
        except NotFound:
            raise HTTPException(404, NOT_FOUND) from None
        except GmailError as exc:
            raise HTTPException(503, exc.user_message) from None
    media_type = _safe_type(part.mime_type)
    inline = False
    raster = part.mime_type.lower() in ALLOWED_CONTENT_TYPES
    if request.query_params.get("inline") == "1" and raster:
        sniffed = sniff_image_type(data[:32])
        if sniffed is not None:
            media_type, inline = sniffed, True
    return Response(
        data,
        media_type=media_type,
        headers={
            "Content-Disposition": content_disposition(part.filename, inline=inline),
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox; default-src 'none'",
            "Cache-Control": "private, no-store",
        },
    )
