"""The calendar tab's fragment and page, and its JSON (`/api/records/{type}/{id}/events`)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gpanel.crm.errors import RecordNotFound
from gpanel.crm.models import RecordType
from gpanel.services.calendar.view import CalendarView, EventRow, record_events
from gpanel.services.records import access as records
from gpanel.web.guard.viewer import ctx_of, require_user
from gpanel.web.templating import render


def record_of(request: Request) -> tuple[RecordType, int]:
    try:
        kind = RecordType(str(request.path_params["type"]))
    except ValueError:
        raise HTTPException(404, "There is no such kind of record.") from None
    return kind, int(request.path_params["id"])


def flag(request: Request, name: str) -> bool:
    return request.query_params.get(name, "") in ("1", "true", "yes", "on")


async def _view(request: Request) -> CalendarView:
    kind, record_id = record_of(request)
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
            include_company=flag(request, "company"),
            tz=request.query_params.get("tz"),
        )
    except RecordNotFound:
        raise HTTPException(404, "There is no such record, or it was deleted.") from None
    except records.Forbidden:
        raise HTTPException(403, "You do not have access to this record.") from None


def _context(request: Request, view: CalendarView) -> dict[str, Any]:
    kind, record_id = record_of(request)
    base = f"/records/{kind}/{record_id}/calendar"
    return {
        "view": view,
        "kind": kind,
        "record_id": record_id,
        "base": base,
        "record_url": f"/{kind.plural}/{record_id}",
        "company": flag(request, "company"),
        "tz": view.time_zone,
        "created": request.query_params.get("created", ""),
    }


async def tab(request: Request) -> Response:
    """The fragment (`?fragment=1`) or the tab as a page of its own."""
    view = await _view(request)
    template = "records/_calendar.html" if flag(request, "fragment") else "records/calendar.html"
    return render(request, template, _context(request, view))


def event_json(row: EventRow) -> dict[str, Any]:
    out = asdict(row)
    out["start"], out["end"] = row.start.isoformat(), row.end.isoformat()
    out["calendars"] = list(row.calendars)
    return out


async def api_events(request: Request) -> Response:
    view = await _view(request)
    kind, record_id = record_of(request)
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
