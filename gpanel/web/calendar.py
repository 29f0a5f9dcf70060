"""The calendar tab on record pages, its JSON API, creating a meeting, adding the calendar.

- `/records/{type}/{id}/calendar`: the tab's fragment (`?fragment=1`, what calendar.js loads
  beside the mail panel) or a page of its own without JavaScript; `?when=past|upcoming`,
  `?tz=` (the browser's zone, else the org's), `?company=1` on deals.
- `/api/records/{type}/{id}/events`: the same rows and sharing as JSON (scope `mail:read`:
  the tab follows the owner's mail sharing setting and shows no more than the mail panel).
- `/records/{type}/{id}/meetings` (POST, CSRF): an event on the viewer's calendar with the
  record's contacts invited; without `calendar.events` it answers a page with the link that
  asks Google for it (a form POST cannot redirect to Google under CSP form-action 'self').
- `/mailbox/calendar/connect` (GET link, `?write=1` for creating) and its callback: Google's
  incremental consent for the calendar on the connected mailbox.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from gpanel.crm.errors import RecordNotFound
from gpanel.crm.models import RecordType
from gpanel.gmail.errors import GmailError
from gpanel.services.accounts import mailboxes
from gpanel.services.accounts.google_oauth import FLOW_COOKIE, OAuthFlowError
from gpanel.services.accounts.redirects import safe_next
from gpanel.services.calendar.consent import CalendarRefused, add_calendar
from gpanel.services.calendar.create import NeedsCalendarWrite, create_meeting
from gpanel.services.calendar.view import CalendarView, EventRow, record_events, viewer_zone
from gpanel.services.records import access as records
from gpanel.web.auth import set_flow_cookie
from gpanel.web.guard.viewer import ctx_of, require_user
from gpanel.web.templating import render


def _record(request: Request) -> tuple[RecordType, int]:
    try:
        kind = RecordType(str(request.path_params["type"]))
    except ValueError:
        raise HTTPException(404, "There is no such kind of record.") from None
    return kind, int(request.path_params["id"])


def _flag(request: Request, name: str) -> bool:
    return request.query_params.get(name, "") in ("1", "true", "yes", "on")


async def _view(request: Request) -> CalendarView:
    kind, record_id = _record(request)
    when = request.query_params.get("when", "upcoming")
    if when not in ("past", "upcoming"):
        raise HTTPException(400, "when must be past or upcoming.")
    try:
        return await record_events(
            ctx_of(request),
            require_user(request),
            kind,
            record_id,
            when=when,
            include_company=_flag(request, "company"),
            tz=request.query_params.get("tz"),
        )
    except RecordNotFound:
        raise HTTPException(404, "There is no such record, or it was deleted.") from None
    except records.Forbidden:
        raise HTTPException(403, "You do not have access to this record.") from None


def _context(request: Request, view: CalendarView) -> dict[str, Any]:
    kind, record_id = _record(request)
    base = f"/records/{kind}/{record_id}/calendar"
    return {
        "view": view,
        "kind": kind,
        "record_id": record_id,
        "base": base,
        "record_url": f"/{kind.plural}/{record_id}",
        "company": _flag(request, "company"),
        "tz": view.time_zone,
        "created": request.query_params.get("created", ""),
    }


async def tab(request: Request) -> Response:
    """The fragment (`?fragment=1`) or the tab as a page of its own."""
    view = await _view(request)
    template = "records/_calendar.html" if _flag(request, "fragment") else "records/calendar.html"
    return render(request, template, _context(request, view))


def event_json(row: EventRow) -> dict[str, Any]:
    out = asdict(row)
    out["start"], out["end"] = row.start.isoformat(), row.end.isoformat()
    out["calendars"] = list(row.calendars)
    return out


async def api_events(request: Request) -> Response:
    view = await _view(request)
    kind, record_id = _record(request)
    return JSONResponse(
        {
            "record": {"type": kind.value, "id": record_id},
            "when": view.when,
            "time_zone": view.time_zone,
            "events": [event_json(r) for r in view.events],
            "last_meeting": event_json(view.last_meeting) if view.last_meeting else None,
            "next_meeting": event_json(view.next_meeting) if view.next_meeting else None,
            "notices": [asdict(n) for n in view.notices],
            "not_added": view.not_added,
        }
    )


async def meeting(request: Request) -> Response:
    """Create a meeting from the form on the tab (the CSRF middleware has checked the token)."""
    kind, record_id = _record(request)
    viewer = require_user(request)
    form = await request.form()
    zone = viewer_zone(str(form.get("tz") or ""), ctx_of(request).settings.org_timezone)
    try:
        start = dt.datetime.fromisoformat(str(form.get("start", ""))).replace(tzinfo=zone)
        minutes = int(str(form.get("minutes") or "30"))
        await create_meeting(
            ctx_of(request),
            viewer,
            kind,
            record_id,
            title=str(form.get("title", "")),
            start=start,
            minutes=minutes,
            include_company=_flag(request, "company"),
        )
    except ValueError as exc:
        raise HTTPException(400, f"The meeting could not be created: {exc}.") from None
    except RecordNotFound:
        raise HTTPException(404, "There is no such record, or it was deleted.") from None
    except records.Forbidden:
        raise HTTPException(403, "You do not have access to this record.") from None
    except NeedsCalendarWrite:
        back = f"/{kind.plural}/{record_id}"
        return render(request, "records/calendar_write.html", {"back": back}, status_code=403)
    except GmailError as exc:
        raise HTTPException(502, exc.user_message) from None
    return RedirectResponse(f"/{kind.plural}/{record_id}?created=meeting", status_code=303)


async def connect(request: Request) -> Response:
    """Start Google's incremental consent for the calendar (a GET link, like Connect Gmail)."""
    ctx, user = ctx_of(request), require_user(request)
    if request.headers.get("sec-fetch-site") == "cross-site":
        return RedirectResponse("/mailbox", status_code=303)
    if await mailboxes.for_user(ctx.engine, user.id) is None:
        return RedirectResponse("/mailbox", status_code=303)
    purpose = "calendar_write" if _flag(request, "write") else "calendar"
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


_R = "/records/{type:str}/{id:int}"
routes: list[BaseRoute] = [
    Route(_R + "/calendar", tab, name="record_calendar"),
    Route(_R + "/meetings", meeting, methods=["POST"], name="record_meeting"),
    Route("/api" + _R + "/events", api_events),
    Route("/mailbox/calendar/connect", connect, name="calendar_connect"),
    Route("/mailbox/calendar/callback", callback, name="calendar_callback"),
]
