"""The opened thread as a page and as JSON: every message, at the detail the viewer may see.

Opening a colleague's thread is recorded for its owner (`grant.note_open`, ids and times only).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gpanel.services.threads.actions import (
    DONE_WORDS,
    Action,
)
from gpanel.services.threads.view import ThreadPage
from gpanel.web.guard.viewer import ctx_of, require_user
from gpanel.web.templating import render
from gpanel.web.threads.add_contact import record_company, unknown_people
from gpanel.web.threads.grant import (
    api_record,
    base_url,
    grant_for,
    load_page,
    note_open,
    path_params,
    shown_images,
)


async def thread_page(request: Request) -> Response:
    viewer = require_user(request)
    kind, record_id, mailbox_id, thread_id = path_params(request)
    grant = await grant_for(request, viewer, kind, record_id, mailbox_id, thread_id)
    page = await load_page(request, grant)
    await note_open(request, grant)
    base = base_url(grant.record_type, record_id, mailbox_id, thread_id)
    shown = shown_images(request)
    done = request.query_params.get("done", "")
    company = await record_company(request, grant.record_type, record_id)
    return render(
        request,
        "threads/thread.html",
        {
            "page": page,
            "base": base,
            "record_url": f"/{grant.record_type.plural}/{record_id}",
            "record_word": grant.record_type.value,
            "shown": shown,
            "done": _done_words(done),
            "unknown": unknown_people(page, ctx_of(request).settings.own_domains, company),
            "added": request.query_params.get("added", "").isdigit()
            and int(request.query_params["added"]),
            "add_error": request.query_params.get("error", "")[:300],
            "images_query": lambda message_id: (
                "?" + urlencode({"images": ",".join(sorted(shown | {message_id}))})
            ),
        },
    )


def _done_words(value: str) -> str:
    try:
        return DONE_WORDS[Action(value)]
    except ValueError:
        return ""


def _person(p: Any) -> dict[str, Any]:
    return {"name": p.name, "email": p.email, "contact_id": p.contact_id, "user_name": p.user_name}


def page_json(page: ThreadPage) -> dict[str, Any]:
    """The JSON shape of a thread (the API's answer; fields absent below FULL are null)."""
    grant = page.grant
    messages = []
    for m in page.messages:
        body = None
        if m.body is not None:
            body = {
                "html": m.body.html,
                "srcdoc": m.body.srcdoc,
                "text": m.body.text,
                "truncated": m.body.truncated,
                "remote_images": m.body.remote_images,
                "blocked_images": m.body.blocked_images,
                "images_shown": m.body.images_shown,
                "too_large": m.body.too_large,
            }
        messages.append(
            {
                "id": m.id,
                "from": [_person(p) for p in m.sender],
                "to": [_person(p) for p in m.to],
                "cc": [_person(p) for p in m.cc],
                "bcc": [_person(p) for p in m.bcc],
                "date": m.date.isoformat() if m.date else None,
                "subject": m.subject,
                "unread": m.unread,
                "body": body,
                "attachments": [
                    {"filename": a.filename, "mime_type": a.mime_type, "size": a.size, "url": a.url}
                    for a in m.attachments
                ],
            }
        )
    return {
        "mailbox_id": grant.mailbox.id,
        "thread_id": grant.thread.id,
        "record_type": grant.record_type.value,
        "record_id": grant.record_id,
        "owner": {"user_id": grant.owner.owner.user_id, "name": grant.owner.owner_name},
        "detail": page.detail.value,
        "subject": page.subject,
        # The owner's labels and read, starred and inbox state are theirs alone (docs/behaviour.md,
        # "Sharing").
        "labels": list(page.labels) if page.is_owner else None,
        "unread": page.unread if page.is_owner else None,
        "starred": page.starred if page.is_owner else None,
        "in_inbox": page.in_inbox if page.is_owner else None,
        "unlinked": grant.unlinked,
        "can_act": page.is_owner,
        "gmail_url": page.gmail_url,
        "user_labels": [{"id": i, "name": n} for i, n in page.user_labels],
        "messages": messages,
    }


async def api_thread(request: Request) -> Response:
    viewer = require_user(request)
    kind, record_id = api_record(request)
    grant = await grant_for(
        request,
        viewer,
        kind,
        record_id,
        int(request.path_params["mailbox_id"]),
        str(request.path_params["thread_id"]),
    )
    body = page_json(await load_page(request, grant))
    await note_open(request, grant)
    return JSONResponse(body, headers={"Cache-Control": "private, no-store"})
