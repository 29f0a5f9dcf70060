"""Creating a meeting from a record (POST, CSRF-checked), or the page asking Google first."""

from __future__ import annotations

import datetime as dt

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from gpanel.crm.errors import RecordNotFound
from gpanel.gmail.errors import GmailError
from gpanel.services.calendar.create import NeedsCalendarWrite, create_meeting
from gpanel.services.calendar.view import viewer_zone
from gpanel.services.records import access as records
from gpanel.web.calendar.tab import flag, record_of
from gpanel.web.guard.viewer import ctx_of, require_user
from gpanel.web.templating import render


async def meeting(request: Request) -> Response:
    """Create a meeting from the form on the tab (the CSRF middleware has checked the token)."""
    kind, record_id = record_of(request)
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
            include_company=flag(request, "company"),
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
