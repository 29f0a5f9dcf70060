"""Google Calendar calls, inside the Google boundary so they leave through the one door.

`calls.CalendarCalls` speaks the Calendar API (events.list with sync tokens, events.insert) for
one connected mailbox's Google account, through the same `Dispatcher.send` as every Gmail call:
the same token broker (the mailbox's refresh token, which holds the calendar scope once the
owner added it incrementally), per-mailbox budget and in-flight slots, retries and counters.
Failures are the same `GmailError` tree; a 410 `fullSyncRequired` is `SyncTokenExpired`.
"""

from gpanel.gmail.calendar.calls import (
    CALENDAR_PRODUCTION_URL,
    CalendarCalls,
    EventPage,
    SyncTokenExpired,
    calendar_calls,
)

__all__ = [
    "CALENDAR_PRODUCTION_URL",
    "CalendarCalls",
    "EventPage",
    "SyncTokenExpired",
    "calendar_calls",
]
