"""The team inbox page, one thread of it (read live, reply from the shared address, assign,
status) and the person's team notifications. A non-member gets 404 on every page."""

from __future__ import annotations

import datetime as dt
import secrets

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from gpanel.gmail import GmailError
from gpanel.services.team_mailboxes import actions, inbox, notices, reply
from gpanel.services.team_mailboxes.access import Access, boxes_of, open_box
from gpanel.services.team_mailboxes.model import STATUS_WORDS, Status, TeamError
from gpanel.web.guard.viewer import ctx_of, require_user
from gpanel.web.templating import render


def _fail(exc: TeamError) -> HTTPException:
    return HTTPException(exc.status, exc.message)


async def _access(request: Request) -> Access:
    try:
        return await open_box(
            ctx_of(request), require_user(request), int(request.path_params["box_id"])
        )
    except TeamError as exc:
        raise _fail(exc) from None


def _age(at: dt.datetime) -> str:
    seconds = max(0, int((dt.datetime.now(dt.UTC) - at).total_seconds()))
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} d"


async def index(request: Request) -> Response:
    ctx, user = ctx_of(request), require_user(request)
    mine = await boxes_of(ctx, user)
    return render(
        request,
        "team_mailboxes/index.html",
        {"mine": mine, "is_admin": user.is_admin, "notice": request.query_params.get("notice")},
    )


async def team_inbox(request: Request) -> Response:
    access = await _access(request)
    ctx = ctx_of(request)
    show = request.query_params.get("show", "all")
    status = request.query_params.get("status") or None
    error = None
    try:
        found = await inbox.read_inbox(ctx, access, show=show, status=status)
    except TeamError as exc:
        raise _fail(exc) from None
    except GmailError as exc:
        found, error = None, exc.user_message
    return render(
        request,
        "team_mailboxes/inbox.html",
        {
            "access": access,
            "box": access.box,
            "inbox": found,
            "error": error,
            "show": show,
            "status": status or "",
            "statuses": STATUS_WORDS,
            "age": _age,
            "notice": request.query_params.get("notice"),
        },
        status_code=502 if error else 200,
    )


async def thread_page(request: Request, **extra: object) -> Response:
    access = await _access(request)
    ctx = ctx_of(request)
    thread_id = str(request.path_params["thread_id"])
    try:
        thread = await reply.open_thread(ctx, access, thread_id)
    except TeamError as exc:
        raise _fail(exc) from None
    state = await actions.get(ctx, access, thread_id)
    names = await actions.names(ctx, access)
    status = int(extra.pop("status_code", 200))  # type: ignore[call-overload]
    return render(
        request,
        "team_mailboxes/thread.html",
        {
            "access": access,
            "box": access.box,
            "thread": thread,
            "state": state,
            "members": names,
            "statuses": [s.value for s in Status if s is not Status.UNASSIGNED],
            "words": STATUS_WORDS,
            "notice": request.query_params.get("notice"),
            # One key per reply form: a repeated submit is answered, not sent again.
            "idempotency_key": secrets.token_urlsafe(16),
            **extra,
        },
        status_code=status,
    )


def _back(request: Request, box_id: int, thread_id: str, notice: str) -> Response:
    where = request.query_params.get("back")
    url = (
        f"/team-mailboxes/{box_id}"
        if where == "inbox"
        else (f"/team-mailboxes/{box_id}/threads/{thread_id}")
    )
    return RedirectResponse(f"{url}?notice={notice}", status_code=303)


def _int(value: object) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() else None


async def assign(request: Request) -> Response:
    access = await _access(request)
    thread_id = str(request.path_params["thread_id"])
    form = await request.form()
    try:
        await actions.assign(
            ctx_of(request),
            access,
            thread_id,
            _int(form.get("user_id")),
            version=_int(form.get("version")),
        )
    except TeamError as exc:
        if request.query_params.get("back") == "inbox":
            raise _fail(exc) from None
        return await thread_page(request, error=exc.message, status_code=exc.status)
    return _back(request, access.box.id, thread_id, "assigned")


async def set_status(request: Request) -> Response:
    access = await _access(request)
    thread_id = str(request.path_params["thread_id"])
    form = await request.form()
    try:
        await actions.set_status(
            ctx_of(request),
            access,
            thread_id,
            str(form.get("status", "")),
            version=_int(form.get("version")),
        )
    except TeamError as exc:
        return await thread_page(request, error=exc.message, status_code=exc.status)
    return _back(request, access.box.id, thread_id, "status")


async def send_reply(request: Request) -> Response:
    access = await _access(request)
    thread_id = str(request.path_params["thread_id"])
    form = await request.form()
    key = str(form.get("idempotency_key", "")).strip()[:200] or None
    again = {"idempotency_key": key} if key else {}  # the form keeps its key on an error
    try:
        await reply.reply(
            ctx_of(request),
            access,
            thread_id,
            str(form.get("text", "")),
            reply_all=form.get("mode") == "reply_all",
            idempotency_key=key,
        )
    except TeamError as exc:
        return await thread_page(request, error=exc.message, status_code=exc.status, **again)
    except GmailError as exc:
        return await thread_page(request, error=exc.user_message, status_code=502, **again)
    return _back(request, access.box.id, thread_id, "replied")


async def notifications(request: Request) -> Response:
    ctx, user = ctx_of(request), require_user(request)
    items = await notices.recent(ctx.engine, user.id)
    await notices.mark_read(ctx.engine, user.id)
    return render(request, "team_mailboxes/notifications.html", {"items": items})


_THREAD = "/team-mailboxes/{box_id:int}/threads/{thread_id:str}"
routes: list[BaseRoute] = [
    Route("/team-mailboxes", index, name="team_mailboxes"),
    Route("/team-mailboxes/notifications", notifications, name="team_notifications"),
    Route("/team-mailboxes/{box_id:int}", team_inbox, name="team_inbox"),
    Route(_THREAD, thread_page, name="team_thread"),
    Route(_THREAD + "/assign", assign, methods=["POST"], name="team_assign"),
    Route(_THREAD + "/status", set_status, methods=["POST"], name="team_status"),
    Route(_THREAD + "/reply", send_reply, methods=["POST"], name="team_reply"),
]
