"""Privacy canary for the calendar tab: events whose titles, descriptions, locations and
attendees (addresses and display names) carry unique markers go through every calendar
feature (the tab's fragment and page, the JSON API on each record kind, both sides, a
colleague's view under Subject sharing, creating a meeting with a marked title); then every
table of the database, every file under the data directory and every log record captured at
DEBUG are searched: no marker may appear anywhere."""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path

import pytest

from gpanel.services.sharing.policy import Audience, Detail
from tests.support.canary import assert_nowhere, capture_logs, database_rows
from tests.support.stack import run_stack
from tests.web.calendar.kit import add_calendar, events, seed
from tests.web.panel_kit import EMAIL, MARIA, build


def test_no_event_content_is_stored_or_logged(
    db_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    capture_logs(caplog)
    marker = "cnry" + secrets.token_hex(6)
    markers = {
        "title": f"Title {marker}title",
        "description": f"Notes {marker}desc",
        "location": f"Room {marker}loc",
        "attendee": f"{marker}guest@elsewhere.example",
        "name": f"Guest {marker}name",
        "created": f"Created {marker}made",
    }
    data_dir = tmp_path / "data"
    with run_stack(db_url, data_dir=str(data_dir)) as stack:
        world = build(stack, connect=["ben", "carla"])
        world.share("ben", Audience.RECORD_ACCESS, Detail.SUBJECT)
        add_calendar(world, "carla", write=True)
        add_calendar(world, "ben")
        guests = [MARIA, markers["attendee"]]
        for who, days in ((EMAIL["carla"], 2), (EMAIL["ben"], -2)):
            seed(
                world,
                who,
                markers["title"],
                days,
                guests,
                description=markers["description"],
                location=markers["location"],
            )
        seed(world, EMAIL["ben"], markers["title"] + " private", 3, [MARIA], visibility="private")
        stack.emulator.control.post(
            "/_emulator/calendar/events",
            json={
                "organiser": EMAIL["carla"],
                "event": {
                    "summary": markers["title"],
                    "start": {"dateTime": "2030-01-01T10:00:00Z"},
                    "end": {"dateTime": "2030-01-01T11:00:00Z"},
                    "attendees": [
                        {"email": markers["attendee"], "displayName": markers["name"]},
                        {"email": MARIA},
                    ],
                },
            },
        ).raise_for_status()
        carla, ben = world.client("carla"), world.client("ben")
        body = events(carla, world, "contact", "maria")
        assert markers["title"] in [e["title"] for e in body["events"]]  # it is live
        contact = world.records["maria"]
        for url in (
            f"/records/contact/{contact}/calendar?fragment=1",
            f"/records/contact/{contact}/calendar?when=past",
            f"/api/records/company/{world.records['acme']}/events?when=past",
            f"/api/records/deal/{world.records['acme-fleet']}/events?company=1",
        ):
            assert carla.get(url).status_code == 200
        events(ben, world, "contact", "maria", when="past")
        day = dt.date.today() + dt.timedelta(days=5)
        made = carla.post(
            f"/records/contact/{contact}/meetings",
            data={"title": markers["created"], "start": f"{day.isoformat()}T09:00", "tz": "UTC"},
        )
        assert made.status_code == 303
        assert markers["created"] in [
            e["title"] for e in events(carla, world, "contact", "maria")["events"]
        ]

        blob = database_rows(stack.db_url)
    assert_nowhere({**markers, "marker": marker}, blob, caplog, (data_dir, tmp_path))
    assert caplog.records, "the log capture saw nothing: the scan would prove nothing"
    assert "calendar" in blob, (
        "the scopes column should name the calendar grant (the scan reads it)"
    )
