"""The JSON API of sending: aliases, send, render, scheduled sends (cancel: undo send), templates.

Session (with CSRF, checked by the guard middleware) or an API token with the `mail:send`
scope (web/guard/scopes.py). Bad input answers 422 `{"errors": [{"field", "message"}]}`, with
`"missing": [...]` when merge fields have no value. `POST /api/mail/send` reads the
`Idempotency-Key` header: a repeat returns the first answer (200 instead of 201) and sends
nothing. Attachments come as `multipart/form-data` file parts beside a `message` JSON part,
held in memory for the send only. Nothing of a message is logged here.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gpanel.crm.errors import RecordNotFound
from gpanel.gmail import GmailError
from gpanel.services.records.access import Forbidden
from gpanel.services.sending import later, merge, send, templates
from gpanel.services.sending.compose import Attachment, Invalid
from gpanel.web.guard.viewer import ctx_of, require_user

# Gmail's 35 MB cap on the message, plus room for the base64 of the form parts' framing.
MAX_REQUEST_BYTES = 36_700_160


def _errors(status: int, errors: list[dict[str, str]], **extra: Any) -> JSONResponse:
    return JSONResponse({"errors": errors, **extra}, status_code=status)


async def _json(request: Request) -> dict[str, Any] | JSONResponse:
    try:
        body = json.loads(await request.body() or b"{}")
    except (ValueError, UnicodeDecodeError):
        return _errors(400, [{"field": "", "message": "the request body is not JSON"}])
    if not isinstance(body, dict):
        return _errors(400, [{"field": "", "message": "the body must be a JSON object"}])
    return body


def _refused(exc: send.Refused) -> JSONResponse:
    return _errors(exc.status, [{"field": exc.field, "message": exc.message}])


def _invalid(exc: Invalid) -> JSONResponse:
    extra = {"missing": exc.missing} if exc.missing else {}
    return _errors(422, exc.errors, **extra)


def _gmail(exc: GmailError) -> JSONResponse:
    status = 503 if exc.status == 0 or exc.status >= 500 else 502
    return _errors(status, [{"field": "", "message": exc.user_message}])


async def aliases(request: Request) -> Response:
    viewer = require_user(request)
    try:
        found = await send.viewer_aliases(ctx_of(request), viewer)
    except send.Refused as exc:
        return _refused(exc)
    except GmailError as exc:
        return _gmail(exc)
    return JSONResponse([a.as_json() for a in found])


async def _multipart(request: Request) -> tuple[dict[str, Any], list[Attachment]] | JSONResponse:
    """A `message` JSON part and file parts (attachments), read into memory for this send."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_REQUEST_BYTES:
        return _errors(413, [{"field": "attachments", "message": "larger than Gmail's 35 MB"}])
    async with request.form(max_files=100, max_fields=10) as form:
        message = form.get("message")
        if not isinstance(message, str):
            return _errors(422, [{"field": "message", "message": "a JSON part is required"}])
        try:
            body = json.loads(message)
        except ValueError:
            return _errors(400, [{"field": "message", "message": "the part is not JSON"}])
        if not isinstance(body, dict):
            return _errors(400, [{"field": "message", "message": "must be a JSON object"}])
        files = []
        for name, value in form.multi_items():
            if name != "message" and isinstance(value, UploadFile):
                data = await value.read()
                media = (value.content_type or "application/octet-stream").split(";")[0]
                files.append(Attachment(value.filename or "attachment", media.strip(), data))
    return body, files


async def send_mail(request: Request) -> Response:
    viewer = require_user(request)
    files: list[Attachment] = []
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        parsed = await _multipart(request)
        if isinstance(parsed, JSONResponse):
            return parsed
        body, files = parsed
    else:
        read = await _json(request)
        if isinstance(read, JSONResponse):
            return read
        body = read
    key = request.headers.get("idempotency-key")
    try:
        result = await send.send(ctx_of(request), viewer, body, key, files)
    except send.Refused as exc:
        return _refused(exc)
    except Invalid as exc:
        return _invalid(exc)
    except GmailError as exc:
        return _gmail(exc)
    return JSONResponse(result.as_json(), status_code=200 if result.replayed else 201)


async def render(request: Request) -> Response:
    """A template filled for a record: subject, text, html and every missing merge field."""
    viewer = require_user(request)
    body = await _json(request)
    if isinstance(body, JSONResponse):
        return body
    ctx = ctx_of(request)
    template_id, record = body.get("template_id"), body.get("record") or {}
    if not isinstance(template_id, int) or not isinstance(record, dict):
        return _errors(422, [{"field": "template_id", "message": "must be a template id"}])
    try:
        template = await templates.get_template(ctx.engine, viewer, template_id)
        signature, name = "", viewer.name
        try:
            found = await send.viewer_aliases(ctx, viewer)
            default = next((a for a in found if a.default), found[0] if found else None)
            if default is not None:
                signature, name = default.signature_html, default.name or viewer.name
        except (send.Refused, GmailError):
            pass  # no mailbox yet: the signature is simply missing
        rid = record.get("id")
        values = await merge.record_values(
            ctx.engine,
            viewer,
            record.get("type") if isinstance(rid, int) else None,
            rid if isinstance(rid, int) else None,
            sender_name=name,
            signature_html=signature,
        )
    except templates.TemplateRefused as exc:
        return _errors(exc.status, exc.errors)
    except (RecordNotFound, Forbidden, ValueError):
        return _errors(404, [{"field": "record", "message": "no such record"}])
    out: dict[str, Any] = {}
    missing: list[str] = []
    for key in ("subject", "text", "html"):
        filled, lacking = merge.render(getattr(template, key), values, as_html=key == "html")
        out[key] = filled
        missing += [m for m in lacking if m not in missing]
    out["missing"] = missing
    return JSONResponse(out)


async def scheduled(request: Request) -> Response:
    viewer = require_user(request)
    rows = await later.list_for(ctx_of(request).engine, viewer.id)
    return JSONResponse([r.as_json() for r in rows])


async def cancel(request: Request) -> Response:
    """Undo send / cancel a send later: the message stays a Gmail draft, unsent."""
    viewer = require_user(request)
    draft_id = str(request.path_params["draft_id"])
    if await later.cancel(ctx_of(request).engine, viewer.id, draft_id):
        return JSONResponse({"draft_id": draft_id, "state": "cancelled"})
    return _errors(409, [{"field": "draft_id", "message": "this message is no longer waiting"}])


async def template_list(request: Request) -> Response:
    viewer = require_user(request)
    engine = ctx_of(request).engine
    if request.method == "GET":
        return JSONResponse([t.as_json() for t in await templates.list_templates(engine, viewer)])
    body = await _json(request)
    if isinstance(body, JSONResponse):
        return body
    try:
        made = await templates.create_template(engine, viewer, body)
    except templates.TemplateRefused as exc:
        return _errors(exc.status, exc.errors)
    return JSONResponse(made.as_json(), status_code=201)


async def template_one(request: Request) -> Response:
    viewer = require_user(request)
    engine = ctx_of(request).engine
    template_id = int(request.path_params["template_id"])
    try:
        if request.method == "GET":
            return JSONResponse(
                (await templates.get_template(engine, viewer, template_id)).as_json()
            )
        if request.method == "DELETE":
            await templates.delete_template(engine, viewer, template_id)
            return Response(status_code=204)
        body = await _json(request)
        if isinstance(body, JSONResponse):
            return body
        changed = await templates.update_template(engine, viewer, template_id, body)
    except templates.TemplateRefused as exc:
        return _errors(exc.status, exc.errors)
    return JSONResponse(changed.as_json())
