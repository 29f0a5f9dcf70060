"""The compose page of a record: `/records/{type}/{id}/compose`, also for a reply, reply all or
forward from the thread view (`?mailbox_id=&thread_id=&message_id=&mode=`), and for a Gmail draft
reopened (`?draft_id=`: read live with drafts.get into the form, never stored).

The page is a form filled from CRM data only: From (the user's address and verified aliases),
To prefilled with the record's address (the others offered in a datalist for completion), the
templates the user may use, and the reply's ids. static/compose.js renders a chosen template
for the record (`POST /api/mail/render`), shows every missing merge field before sending, and
sends with `POST /api/mail/send` under one Idempotency-Key per page; "Save draft" keeps the
form as a Gmail draft (`POST /api/mail/drafts`, then `PUT` of the same draft id). Nothing of
the thread is read here: a reply's recipients, subject and threading headers are made at send
time.
"""

from __future__ import annotations

import secrets

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from gpanel.crm.errors import RecordNotFound
from gpanel.crm.models import RecordType
from gpanel.gmail import GmailError
from gpanel.services.records.access import Forbidden
from gpanel.services.sending import drafts, send, templates
from gpanel.services.sending.compose import REPLY_MODES
from gpanel.services.sending.recipients import record_addresses
from gpanel.web.guard.viewer import ctx_of, require_user
from gpanel.web.templating import render

REMIND_CHOICES = (1, 2, 3, 5, 7, 14)
MODE_WORDS = {"reply": "Reply", "reply_all": "Reply all", "forward": "Forward"}


def _reply(request: Request) -> dict[str, object] | None:
    q = request.query_params
    mode = q.get("mode")
    if mode is None:
        return None
    try:
        mailbox_id = int(q.get("mailbox_id", ""))
    except ValueError:
        raise HTTPException(400, "That reply link is incomplete.") from None
    thread_id, message_id = q.get("thread_id", ""), q.get("message_id", "")
    if mode not in REPLY_MODES or not thread_id.isalnum() or not message_id.isalnum():
        raise HTTPException(400, "That reply link is incomplete.")
    return {
        "mailbox_id": mailbox_id,
        "thread_id": thread_id,
        "message_id": message_id,
        "mode": mode,
        "word": MODE_WORDS[mode],
    }


async def compose_page(request: Request) -> Response:
    viewer = require_user(request)
    ctx = ctx_of(request)
    try:
        kind = RecordType.parse(str(request.path_params["type"]))
        record_id = int(request.path_params["id"])
        name, addresses = await record_addresses(ctx.engine, viewer, kind, record_id)
    except (RecordNotFound, Forbidden, ValueError):
        raise HTTPException(404, "No such record.") from None
    problem = ""
    aliases: list[send.Alias] = []
    try:
        aliases = await send.viewer_aliases(ctx, viewer)
    except send.Refused as exc:
        problem = exc.message
    except GmailError as exc:
        problem = exc.user_message
    reply = _reply(request)
    draft: drafts.DraftView | None = None
    draft_id = request.query_params.get("draft_id")
    if draft_id is not None and not problem:
        try:
            draft = await drafts.read(ctx, viewer, draft_id)
        except send.Refused as exc:
            problem = exc.message
        except GmailError as exc:
            problem = exc.user_message
    # A reply's recipients come from the message answered, unless the user types others.
    prefill = "" if reply and reply["mode"] != "forward" else (addresses[0][1] if addresses else "")
    usable = [t for t in await templates.list_templates(ctx.engine, viewer)]
    return render(
        request,
        "sending/compose.html",
        {
            "kind": kind.value,
            "record_id": record_id,
            "record_name": name,
            "record_url": f"/{kind.plural}/{record_id}",
            "addresses": addresses,
            "prefill": prefill,
            "aliases": aliases,
            "problem": problem,
            "templates": usable,
            "reply": reply,
            "draft": draft,
            "remind_choices": REMIND_CHOICES,
            "idempotency_key": secrets.token_urlsafe(16),
        },
    )
