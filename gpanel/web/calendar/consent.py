"""Adding Google Calendar to the mailbox's grant: the GET link that starts Google's
incremental consent, and its callback."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from gpanel.services.accounts import mailboxes
from gpanel.services.accounts.google_oauth import FLOW_COOKIE, OAuthFlowError
from gpanel.services.accounts.redirects import safe_next
from gpanel.services.calendar.consent import CalendarRefused, add_calendar
from gpanel.web.auth import set_flow_cookie
from gpanel.web.calendar.tab import flag
from gpanel.web.guard.viewer import ctx_of, require_user
from gpanel.web.templating import render


async def connect(request: Request) -> Response:
    """Start Google's incremental consent for the calendar (a GET link, like Connect Gmail)."""
    ctx, user = ctx_of(request), require_user(request)
    if request.headers.get("sec-fetch-site") == "cross-site":
        return RedirectResponse("/mailbox", status_code=303)
    if await mailboxes.for_user(ctx.engine, user.id) is None:
        return RedirectResponse("/mailbox", status_code=303)
    purpose = "calendar_write" if flag(request, "write") else "calendar"
    back = safe_next(request.query_params.get("next", "/mailbox"))
    start = ctx.oauth.start(purpose, login_hint=user.email, next_path=back)
    response = RedirectResponse(start.url, status_code=303)
    set_flow_cookie(request, response, start.cookie, "/mailbox/")
    return response


async def callback(request: Request) -> Response:
    ctx, user = ctx_of(request), require_user(request)
    cookie, query = request.cookies.get(FLOW_COOKIE), dict(request.query_params)
    result = None
    for purpose in ("calendar", "calendar_write"):
        try:
            result = await ctx.oauth.finish(purpose, cookie, query)
            break
        except OAuthFlowError as exc:
            error = exc
    response: Response
    try:
        if result is None:
            raise CalendarRefused(str(error))
        write = "https://www.googleapis.com/auth/calendar.events" in result.granted_scopes
        await add_calendar(ctx.engine, ctx.vault, user, result, write=write)
    except CalendarRefused as exc:
        response = render(
            request,
            "records/calendar_write.html",
            {"error": str(exc), "back": "/mailbox"},
            status_code=400,
        )
    else:
        box = await mailboxes.for_user(ctx.engine, user.id)
        if box is not None:
            ctx.tokens.forget(box.key)  # the cached access token predates the calendar scope
            ctx.calendar.forget(box.key)
        response = RedirectResponse(result.next_path or "/mailbox", status_code=303)
    response.delete_cookie(FLOW_COOKIE, path="/mailbox/")
    return response
