"""How one sync-token change lands in a cached calendar (pure): Google's bare deletion marker
keeps the known event, marked cancelled; an unknown deletion is dropped; an event moved out of
the window leaves it; a changed event inside the window replaces the cached one."""

from __future__ import annotations

import datetime as dt

from gpanel.services.calendar.cache import _merge

WINDOW = (dt.datetime(2026, 1, 1, tzinfo=dt.UTC), dt.datetime(2027, 1, 1, tzinfo=dt.UTC))
OLD = {
    "id": "e1",
    "summary": "Review",
    "status": "confirmed",
    "start": {"dateTime": "2026-12-02T10:00:00Z"},
    "end": {"dateTime": "2026-12-02T11:00:00Z"},
}


def test_sync_changes() -> None:
    """Deletion marker, unknown deletion, moved out, changed in place."""
    assert _merge(OLD, {"id": "e1", "status": "cancelled"}, WINDOW) == {
        **OLD,
        "status": "cancelled",
    }
    assert _merge(None, {"id": "e9", "status": "cancelled"}, WINDOW) is None
    moved = {
        **OLD,
        "start": {"dateTime": "2027-03-01T10:00:00Z"},
        "end": {"dateTime": "2027-03-01T11:00:00Z"},
    }
    assert _merge(OLD, moved, WINDOW) is None
    day = {
        **OLD,
        "summary": "Review (moved)",
        "start": {"date": "2026-12-05"},
        "end": {"date": "2026-12-06"},
    }
    assert _merge(OLD, day, WINDOW) == day
