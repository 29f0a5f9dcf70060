"""Live actions on the opened thread (read, unread, archive, inbox, star, labels), applied in
Gmail at once, as a form post (303 back to the page) or JSON; and relinking an unlinked thread.
Only the mailbox's owner may act (`services.threads.actions` refuses anyone else).
"""

from __future__ import annotations

import dataclasses
import json
from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from gpanel.services.panel import unlinks
from gpanel.services.threads import gate as threads
from gpanel.services.threads.actions import (
    ActionRefused,
    apply_action,
    parse_action,
)
from gpanel.web.errors import wants_json
from gpanel.web.guard.viewer import ctx_of, require_user
from gpanel.web.threads.grant import (
    NOT_FOUND,
    api_record,
    base_url,
    grant_for,
    load_page,
    path_params,
)
from gpanel.web.threads.page import page_json


async def _action_input(request: Request) -> tuple[str, str | None]:
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            body = json.loads(await request.body() or b"{}")
        except ValueError:
            raise HTTPException(400, "The request body is not JSON.") from None
        if not isinstance(body, dict):
            raise HTTPException(400, "The request body must be a JSON object.")
        action, label = body.get("action"), body.get("label_id")
    else:
        form = await request.form()
        action, label = form.get("action"), form.get("label_id")
    return (
        str(action) if action else "",
        str(label) if isinstance(label, str | int) and str(label) else None,
    )


async def _act(request: Request, grant: threads.ThreadGrant) -> tuple[str, threads.ThreadGrant]:
    action_name, label_id = await _action_input(request)
    try:
        result = await apply_action(ctx_of(request), grant, parse_action(action_name), label_id)
    except ActionRefused as exc:
        raise HTTPException(exc.status, exc.message) from None
    except threads.ThreadNotFound:
        raise HTTPException(404, NOT_FOUND) from None
    except threads.ThreadUnavailable as exc:
        raise HTTPException(exc.status, exc.user_message) from None
    return result.action.value, _with_thread(grant, result.thread)


def _with_thread(grant: threads.ThreadGrant, thread: threads.LoadedThread) -> threads.ThreadGrant:
    return dataclasses.replace(grant, thread=thread)


async def thread_action(request: Request) -> Response:
    viewer = require_user(request)
    kind, record_id, mailbox_id, thread_id = path_params(request)
    grant = await grant_for(request, viewer, kind, record_id, mailbox_id, thread_id)
    action, updated = await _act(request, grant)
    if wants_json(request):
        return JSONResponse(
            {"done": action, "thread": page_json(await load_page(request, updated))}
        )
    base = base_url(grant.record_type, record_id, mailbox_id, thread_id)
    return RedirectResponse(f"{base}?done={quote(action)}", status_code=303)


async def api_action(request: Request) -> Response:
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
    action, updated = await _act(request, grant)
    return JSONResponse({"done": action, "thread": page_json(await load_page(request, updated))})


async def relink(request: Request) -> Response:
    viewer = require_user(request)
    kind, record_id, mailbox_id, thread_id = path_params(request)
    grant = await grant_for(request, viewer, kind, record_id, mailbox_id, thread_id)
    try:
        await unlinks.relink(
            ctx_of(request), viewer, grant.record_type, record_id, mailbox_id, thread_id
        )
    except unlinks.NotAllowed as exc:
        raise HTTPException(403, str(exc)) from None
    if wants_json(request):
        return JSONResponse({"unlinked": False})
    return RedirectResponse(
        base_url(grant.record_type, record_id, mailbox_id, thread_id), status_code=303
    )
