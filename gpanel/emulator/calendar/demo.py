"""The demo's meetings: the reps and the contacts of their deals, past and upcoming.

Deterministic from `today` alone, like the demo mailboxes. Per deal: a past call with the
primary contact (13:00 UTC, `deal-index + 3` days ago) and an upcoming review with every
contact of the deal (15:00 UTC, `deal-index % 5 + 1` days ahead), organised by the deal's owner.
Beside them: a weekly check-in series with Acme (the recurring case), a cancelled Globex visit,
a private dinner with Globex's contact on Ben's calendar (busy-only for everyone else), and one
meeting with two reps invited, so it sits in two calendars under one iCalUID.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from gpanel.demo import cast
from gpanel.emulator.calendar.store import CalendarStore


def _at(day: dt.date, hour: int, minutes: int = 45) -> tuple[dict[str, str], dict[str, str]]:
    start = dt.datetime(day.year, day.month, day.day, hour, tzinfo=dt.UTC)
    end = start + dt.timedelta(minutes=minutes)
    stamp = "%Y-%m-%dT%H:%M:%SZ"
    return {"dateTime": start.strftime(stamp)}, {"dateTime": end.strftime(stamp)}


def _people(keys: list[str]) -> list[dict[str, Any]]:
    return [{"email": cast.person(k).emails[0], "displayName": cast.person(k).name} for k in keys]


def demo_events(today: dt.date) -> list[tuple[str, dict[str, Any]]]:
    """(organiser address, event body) for every demo meeting."""
    out: list[tuple[str, dict[str, Any]]] = []
    for n, deal in enumerate(cast.DEALS):
        owner = cast.rep(deal.owner)
        contacts = [deal.primary_contact, *(k for k, _ in deal.roles)]
        start, end = _at(today - dt.timedelta(days=n + 3), 13)
        out.append(
            (
                owner.email,
                {
                    "summary": f"Call: {deal.name}",
                    "description": "Agenda: scope, timeline, next steps.",
                    "start": start,
                    "end": end,
                    "attendees": [
                        {"email": owner.email, "responseStatus": "accepted"},
                        *_people([deal.primary_contact]),
                    ],
                },
            )
        )
        start, end = _at(today + dt.timedelta(days=n % 5 + 1), 15, 60)
        out.append(
            (
                owner.email,
                {
                    "summary": f"Review: {deal.name}",
                    "location": f"{cast.company(deal.company).name}, meeting room 2",
                    "start": start,
                    "end": end,
                    "attendees": [
                        {"email": owner.email, "responseStatus": "accepted"},
                        *_people(contacts),
                    ],
                },
            )
        )
    out.extend(_specials(today))
    return out


def _specials(today: dt.date) -> list[tuple[str, dict[str, Any]]]:
    carla, ben, alice = cast.rep("carla"), cast.rep("ben"), cast.rep("alice")
    acme = [p.key for p in cast.PEOPLE if p.company == "acme" and not p.lead]
    globex = [p.key for p in cast.PEOPLE if p.company == "globex" and not p.lead]
    weekly_start, weekly_end = _at(today - dt.timedelta(days=14), 9, 30)
    visit_start, visit_end = _at(today + dt.timedelta(days=2), 10, 90)
    dinner_start, dinner_end = _at(today - dt.timedelta(days=1), 19, 120)
    joint_start, joint_end = _at(today + dt.timedelta(days=6), 11, 60)
    return [
        (
            carla.email,
            {
                "summary": "Acme weekly check-in",
                "start": weekly_start,
                "end": weekly_end,
                "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=6"],
                "attendees": [
                    {"email": carla.email, "responseStatus": "accepted"},
                    *_people(acme[:1]),
                ],
            },
        ),
        (
            ben.email,
            {
                "summary": "Globex plant visit",
                "status": "cancelled",
                "start": visit_start,
                "end": visit_end,
                "attendees": _people(globex[:1]),
            },
        ),
        (
            ben.email,
            {
                "summary": "Dinner with Globex",
                "visibility": "private",
                "description": "Personal: pricing concessions.",
                "start": dinner_start,
                "end": dinner_end,
                "attendees": _people(globex[:1]),
            },
        ),
        (
            alice.email,
            {
                "summary": "Acme executive sponsor meeting",
                "start": joint_start,
                "end": joint_end,
                "attendees": [
                    {"email": carla.email, "responseStatus": "tentative"},
                    *_people(acme[:2]),
                ],
            },
        ),
    ]


def seed_calendars(store: CalendarStore, today: dt.date) -> int:
    """Insert the demo meetings into the reps' calendars; returns how many events."""
    reps = {r.email.lower() for r in cast.REPS}
    events = demo_events(today)
    for organiser, body in events:
        store.insert(organiser, body, known=reps)
    return len(events)
