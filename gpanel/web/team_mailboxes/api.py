"""The JSON API of team mailboxes. A session (with CSRF) or an API token: `mail:read` to read
(`GET /api/team-mailboxes`, `GET .../threads`), `mail:act` to assign or change a status
(web/guard/scopes.py). A non-member gets 404; a member who may not do it 403; a lost
compare-and-set 409 with who holds the thread; bad input 422. Every thread list is read live
from Gmail through the panel's gate (services.team_mailboxes.inbox)."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from gpanel.gmail import GmailError
from gpanel.services.team_mailboxes import actions, inbox
from gpanel.services.team_mailboxes.access import boxes_of, open_box
from gpanel.services.team_mailboxes.model import Invalid, TeamError
from gpanel.web.guard.viewer import ctx_of, require_user


def _error(exc: TeamError) -> JSONResponse:
    status = 422 if isinstance(exc, Invalid) else exc.status
    body: dict[str, Any] = {
        "errors": [{"field": str(exc.extra.get("field", "")), "message": exc.message}]
    }
    if exc.status == 409:
        body.update({k: v for k, v in exc.extra.items() if k != "field"})
    return JSONResponse(body, status_code=status)


def _gmail(exc: GmailError) -> JSONResponse:
    status = 503 if exc.status == 0 or exc.status >= 500 else 502
    return JSONResponse({"errors": [{"field": "", "message": exc.user_message}]}, status)


async def _body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise Invalid("The request body is not JSON.") from None
    if not isinstance(body, dict):
        raise Invalid("The body must be a JSON object.")
    return body


def _opt_int(body: dict[str, Any], key: str) -> int | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise Invalid(f"{key} must be an integer or null.", field=key)
    return value


async def list_boxes(request: Request) -> Response:
    ctx, user = ctx_of(request), require_user(request)
    found = await boxes_of(ctx, user)
    return JSONResponse(
        {"team_mailboxes": [{**a.box.as_json(), "dispatcher": a.is_dispatcher} for a in found]}
    )


async def threads(request: Request) -> Response:
    ctx, user = ctx_of(request), require_user(request)
    query = request.query_params
    try:
        access = await open_box(ctx, user, int(request.path_params["box_id"]))
        raw = query.get("assignee")
        if raw is not None and not raw.isdigit():
            raise Invalid("assignee must be a user id.", field="assignee")
        found = await inbox.read_inbox(
            ctx,
            access,
            show=query.get("show", "all"),
            status=query.get("status") or None,
            assignee=int(raw) if raw else None,
            page=query.get("page") or None,
        )
    except TeamError as exc:
        return _error(exc)
    except GmailError as exc:
        return _gmail(exc)
    return JSONResponse(
        {
            "threads": [r.as_json() for r in found.rows],
            "counts": found.counts,
            "banner": [{"status": s, "count": n} for s, _, n in found.banner],
            "next_page": found.next_page,
        }
    )


async def assign(request: Request) -> Response:
    ctx, user = ctx_of(request), require_user(request)
    try:
        access = await open_box(ctx, user, int(request.path_params["box_id"]))
        body = await _body(request)
        if "user_id" not in body:
            raise Invalid("user_id is required (null to unassign).", field="user_id")
        state = await actions.assign(
            ctx,
            access,
            str(request.path_params["thread_id"]),
            _opt_int(body, "user_id"),
            version=_opt_int(body, "version"),
        )
    except TeamError as exc:
        return _error(exc)
    return JSONResponse(_state(state))


async def status(request: Request) -> Response:
    ctx, user = ctx_of(request), require_user(request)
    try:
        access = await open_box(ctx, user, int(request.path_params["box_id"]))
        body = await _body(request)
        wanted = body.get("status")
        if not isinstance(wanted, str):
            raise Invalid("status is required.", field="status")
        state = await actions.set_status(
            ctx,
            access,
            str(request.path_params["thread_id"]),
            wanted,
            version=_opt_int(body, "version"),
        )
    except TeamError as exc:
        return _error(exc)
    return JSONResponse(_state(state))


def _state(state: Any) -> dict[str, Any]:
    return {
        "thread_id": state.thread_id,
        "status": state.status,
        "assignee_id": state.assignee_id,
        "version": state.version,
        "assigned_at": state.assigned_at.isoformat() if state.assigned_at else None,
        "closed_at": state.closed_at.isoformat() if state.closed_at else None,
    }


_THREAD = "/api/team-mailboxes/{box_id:int}/threads/{thread_id:str}"
routes: list[BaseRoute] = [
    Route("/api/team-mailboxes", list_boxes, methods=["GET"]),
    Route("/api/team-mailboxes/{box_id:int}/threads", threads, methods=["GET"]),
    Route(_THREAD + "/assign", assign, methods=["POST"]),
    Route(_THREAD + "/status", status, methods=["POST"]),
]
