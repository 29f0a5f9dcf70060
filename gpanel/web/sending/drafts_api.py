"""Save draft and follow-up reminders in the JSON API.

- `POST /api/mail/drafts`: a new Gmail draft of the viewer's own mailbox from the send request's
  fields (JSON, or a `message` JSON part and file parts) -> 201 `{"draft_id", "message_id",
  "thread_id"}`.
- `GET /api/mail/drafts/{draft_id}`: the draft read live (from, to, cc, bcc, subject, text,
  html, thread_id); `PUT`/`PATCH`: replace its message (users.drafts.update, same draft id).
- `GET /api/mail/follow-ups`, `DELETE /api/mail/follow-ups/{id}`: the viewer's reminders (ids
  and dates only) and cancelling one.

gpanel keeps nothing of a draft; the caller holds its id. Nothing of a message is logged here.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gpanel.gmail import GmailError
from gpanel.services.sending import drafts, follow_ups, send
from gpanel.services.sending.compose import Attachment, Invalid
from gpanel.web.guard.viewer import ctx_of, require_user
from gpanel.web.sending import api


async def _body(request: Request) -> tuple[dict[str, object], list[Attachment]] | JSONResponse:
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        return await api._multipart(request)
    read = await api._json(request)
    if isinstance(read, JSONResponse):
        return read
    return read, []


async def create(request: Request) -> Response:
    viewer = require_user(request)
    parsed = await _body(request)
    if isinstance(parsed, JSONResponse):
        return parsed
    body, files = parsed
    try:
        saved = await drafts.save(ctx_of(request), viewer, dict(body), None, files)
    except send.Refused as exc:
        return api._refused(exc)
    except Invalid as exc:
        return api._invalid(exc)
    except GmailError as exc:
        return api._gmail(exc)
    return JSONResponse(saved.as_json(), status_code=201)


async def one(request: Request) -> Response:
    viewer = require_user(request)
    draft_id = str(request.path_params["draft_id"])
    ctx = ctx_of(request)
    try:
        if request.method == "GET":
            return JSONResponse((await drafts.read(ctx, viewer, draft_id)).as_json())
        parsed = await _body(request)
        if isinstance(parsed, JSONResponse):
            return parsed
        body, files = parsed
        saved = await drafts.save(ctx, viewer, dict(body), draft_id, files)
    except send.Refused as exc:
        return api._refused(exc)
    except Invalid as exc:
        return api._invalid(exc)
    except GmailError as exc:
        return api._gmail(exc)
    return JSONResponse(saved.as_json())


async def follow_up_list(request: Request) -> Response:
    viewer = require_user(request)
    rows = await follow_ups.list_for(ctx_of(request).engine, viewer.id)
    return JSONResponse([r.as_json() for r in rows])


async def follow_up_cancel(request: Request) -> Response:
    viewer = require_user(request)
    follow_up_id = int(request.path_params["follow_up_id"])
    if await follow_ups.cancel(ctx_of(request).engine, viewer.id, follow_up_id):
        return Response(status_code=204)
    return api._errors(404, [{"field": "id", "message": "no such waiting reminder of yours"}])
