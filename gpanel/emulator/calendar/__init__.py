"""The emulated Google Calendar API: a subset of calendar.v3 at the discovery document's paths.

`store` holds each account's primary calendar and its events in Google's resource shape;
`recurrence` expands the small RRULE subset the emulator knows; `listing` answers events.list
(time window, `q`, singleEvents, orderBy, paging, sync tokens); `routes` serves
calendarList.list, events.list, events.get and events.insert plus a control route; `demo`
seeds the demo reps' meetings with their contacts.
"""
