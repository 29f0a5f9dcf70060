"""The Calendar routes: calendarList.list, events.list, events.get, events.insert, and control.

Each handler authorises like Google: a missing or expired bearer token is 401; a token without
one of the scopes the discovery document lists for the method (or an account whose calendar
grant was withdrawn, see `store`) is 403 insufficientPermissions. An account reaches its own
primary calendar only (`primary` or its address); any other calendar id is 404, which is what
Google answers for a calendar not shared with the caller. Control routes under
`/_emulator/calendar/` seed events and withdraw a grant; they are not part of Google's API.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from gpanel.emulator import discovery, errors
from gpanel.emulator.accounts import Grant
from gpanel.emulator.calendar.listing import Query, page, select, sync_token
from gpanel.emulator.calendar.recurrence import UnsupportedRule, instances, parse_time, rule_of
from gpanel.emulator.calendar.store import Calendar, CalendarStore
from gpanel.emulator.state import EmulatorState

PREFIX = "/calendar/v3"


def _store(request: Request) -> CalendarStore:
    found: CalendarStore = request.app.state.calendar
    return found


def _authorise(request: Request, method_id: str) -> Grant:
    state: EmulatorState = request.app.state.emulator
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip() if scheme.lower() == "bearer" else ""
    token = token or request.query_params.get("oauth_token", "")
    grant = state.accounts.resolve(token) if token else None
    if grant is None:
        raise errors.invalid_credentials()
    accepted = set(discovery.by_id(method_id).scopes)
    if not accepted & grant.scopes or grant.email.lower() in _store(request).withdrawn:
        raise errors.insufficient_scopes()
    return grant


def _calendar(request: Request, grant: Grant) -> Calendar:
    wanted = request.path_params["calendarId"].strip().lower()
    if wanted not in ("primary", grant.email.lower()):
        raise errors.not_found("Not Found")
    return _store(request).calendar(grant.email)


def _json(body: dict[str, Any], status: int = 200) -> Response:
    return JSONResponse(body, status_code=status, media_type="application/json; charset=UTF-8")


def _time(request: Request, name: str) -> dt.datetime | None:
    value = request.query_params.get(name)
    if not value:
        return None
    # Google wants an RFC 3339 timestamp with an offset here; a bare date is refused.
    if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", value):
        raise errors.bad_request("Bad Request", "badRequest")
    return parse_time(value)


def _int(request: Request, name: str, default: int, high: int) -> int:
    value = request.query_params.get(name)
    if not value:
        return default
    if not value.isdigit() or int(value) < 1:
        raise errors.bad_request(f"Invalid value '{value}'. Values must be >= 1", "invalid")
    return min(int(value), high)


def _flag(request: Request, name: str) -> bool:
    return request.query_params.get(name, "").lower() == "true"


def _as_seen_by(event: dict[str, Any], reader: str) -> dict[str, Any]:
    """Google marks the reader's own entries with `self`."""
    out = dict(event)
    me = reader.lower()
    if out.get("organizer", {}).get("email", "").lower() == me:
        out["organizer"] = {**out["organizer"], "self": True}
    if "attendees" in out:
        out["attendees"] = [
            {**a, "self": True} if a["email"].lower() == me else a for a in out["attendees"]
        ]
    return out


async def calendar_list(request: Request) -> Response:
    grant = _authorise(request, "calendar.calendarList.list")
    cal = _store(request).calendar(grant.email)
    entry = {
        "kind": "calendar#calendarListEntry",
        "etag": '"1"',
        "id": cal.owner,
        "summary": cal.owner,
        "timeZone": cal.time_zone,
        "colorId": "14",
        "backgroundColor": "#9fe1e7",
        "foregroundColor": "#000000",
        "selected": True,
        "accessRole": "owner",
        "defaultReminders": [],
        "primary": True,
    }
    return _json({"kind": "calendar#calendarList", "etag": '"1"', "items": [entry]})


async def events_list(request: Request) -> Response:
    grant = _authorise(request, "calendar.events.list")
    cal = _calendar(request, grant)
    store = _store(request)
    order = request.query_params.get("orderBy", "")
    if order not in ("", "startTime", "updated"):
        raise errors.bad_request(f"Invalid value for orderBy: {order}", "invalid")
    query = Query(
        time_min=_time(request, "timeMin"),
        time_max=_time(request, "timeMax"),
        updated_min=_time(request, "updatedMin"),
        q=request.query_params.get("q", ""),
        single_events=_flag(request, "singleEvents"),
        order_by=order,
        show_deleted=_flag(request, "showDeleted"),
        max_results=_int(request, "maxResults", 250, 2500),
        page_token=request.query_params.get("pageToken", ""),
        sync_token=request.query_params.get("syncToken", ""),
    )
    chosen, counter = select(cal, query, store.counter)
    items, next_page = page(chosen, query)
    body: dict[str, Any] = {
        "kind": "calendar#events",
        "etag": f'"{counter}"',
        "summary": cal.owner,
        "updated": dt.datetime.now(dt.UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z"),
        "timeZone": cal.time_zone,
        "accessRole": "owner",
        "defaultReminders": [],
        "items": [_as_seen_by(e, grant.email) for e in items],
    }
    if next_page:
        body["nextPageToken"] = next_page
    else:
        body["nextSyncToken"] = sync_token(cal, counter)
    return _json(body)


async def events_get(request: Request) -> Response:
    grant = _authorise(request, "calendar.events.get")
    cal = _calendar(request, grant)
    event_id = request.path_params["eventId"]
    base_id = event_id.split("_", 1)[0]
    series = cal.events.get(base_id)
    if series is None:
        raise errors.not_found("Not Found")
    found = (
        series
        if base_id == event_id
        else next((i for i in instances(series) if i["id"] == event_id), None)
    )
    if found is None:
        raise errors.not_found("Not Found")
    return _json(_as_seen_by(found, grant.email))


async def events_insert(request: Request) -> Response:
    grant = _authorise(request, "calendar.events.insert")
    _calendar(request, grant)
    state: EmulatorState = request.app.state.emulator
    body = await _body(request)
    _validate(body)
    if request.query_params.get("conferenceDataVersion") == "1":
        _add_meet(body)
    known = {a.email.lower() for a in state.accounts.all()}
    event = _store(request).insert(grant.email, body, known=known)
    return _json(_as_seen_by(event, grant.email))


async def _body(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise errors.bad_request("Invalid JSON payload received.", "invalid") from None
    if not isinstance(body, dict):
        raise errors.bad_request("Invalid JSON payload received.", "invalid")
    return body


def _validate(body: dict[str, Any]) -> None:
    for side in ("start", "end"):
        value = body.get(side)
        if not isinstance(value, dict) or not (value.get("dateTime") or value.get("date")):
            raise errors.bad_request(f"Missing {side} time.", "required")
        try:
            parse_time(value.get("dateTime") or value["date"])
        except ValueError:
            raise errors.bad_request(f"Invalid {side} time.", "invalid") from None
    for person in body.get("attendees", []):
        if not isinstance(person, dict) or "@" not in str(person.get("email", "")):
            raise errors.bad_request("Invalid attendee email.", "invalid")
    try:
        rule_of(body)
    except UnsupportedRule as exc:
        raise errors.bad_request(str(exc), "invalid") from None


def _add_meet(body: dict[str, Any]) -> None:
    if "createRequest" not in body.get("conferenceData", {}):
        return
    # Deterministic per request id and start, like the rest of the emulator's ids.
    seed = f"{body['conferenceData']['createRequest'].get('requestId')}{body.get('start')}"
    code = "emu-" + hashlib.sha256(seed.encode()).hexdigest()[:10]
    link = f"https://meet.google.com/{code}"
    body["hangoutLink"] = link
    body["conferenceData"] = {
        "conferenceId": code,
        "conferenceSolution": {"key": {"type": "hangoutsMeet"}, "name": "Google Meet"},
        "entryPoints": [{"entryPointType": "video", "uri": link, "label": link[8:]}],
    }


# --- control (not Google's) -------------------------------------------------------------------
async def control_insert(request: Request) -> Response:
    """Seed an event as `organiser` without a token: {"organiser": ..., "event": {...}}."""
    body = await _body(request)
    state: EmulatorState = request.app.state.emulator
    _validate(body["event"])
    known = {a.email.lower() for a in state.accounts.all()}
    event = _store(request).insert(body["organiser"], body["event"], known=known)
    return _json(event)


async def control_withdraw(request: Request) -> Response:
    """Withdraw (or give back, `"withdrawn": false`) an account's calendar grant."""
    body = await _body(request)
    _store(request).withdraw(body["email"], bool(body.get("withdrawn", True)))
    return _json({"email": body["email"], "withdrawn": bool(body.get("withdrawn", True))})


def calendar_routes() -> list[BaseRoute]:
    return [
        Route(PREFIX + "/users/me/calendarList", calendar_list, methods=["GET"]),
        Route(PREFIX + "/calendars/{calendarId}/events", events_list, methods=["GET"]),
        Route(PREFIX + "/calendars/{calendarId}/events", events_insert, methods=["POST"]),
        Route(PREFIX + "/calendars/{calendarId}/events/{eventId}", events_get, methods=["GET"]),
        Route("/_emulator/calendar/events", control_insert, methods=["POST"]),
        Route("/_emulator/calendar/withdraw", control_withdraw, methods=["POST"]),
    ]
