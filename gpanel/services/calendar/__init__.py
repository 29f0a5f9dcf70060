"""The calendar tab: meetings with a record, read live from Google Calendar, nothing stored.

`consent` adds calendar access to a connected mailbox's grant (incrementally, never needed for
mail); `cache` keeps each calendar's events in process memory only (bounded, short TTL,
revalidated with sync tokens); `reader` reads the visible calendars concurrently; `shown` is
the pure redaction under the owner's mail sharing setting (private events: busy only);
`view` builds a record's past and upcoming meetings; `create` puts a meeting on the owner's
calendar with the record's contacts invited.
"""
