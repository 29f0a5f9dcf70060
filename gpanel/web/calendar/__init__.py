"""The calendar tab on record pages, its JSON API, creating a meeting, adding the calendar.

`tab` serves the fragment, page and JSON; `meetings` creating a meeting; `consent` the
incremental consent; this module gathers their routes.

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

from starlette.routing import BaseRoute, Route

from gpanel.web.calendar.consent import callback, connect
from gpanel.web.calendar.meetings import meeting
from gpanel.web.calendar.tab import api_events, tab

_R = "/records/{type:str}/{id:int}"
routes: list[BaseRoute] = [
    Route(_R + "/calendar", tab, name="record_calendar"),
    Route(_R + "/meetings", meeting, methods=["POST"], name="record_meeting"),
    Route("/api" + _R + "/events", api_events),
    Route("/mailbox/calendar/connect", connect, name="calendar_connect"),
    Route("/mailbox/calendar/callback", callback, name="calendar_callback"),
]
