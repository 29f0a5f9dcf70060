"""A calendar Google cannot serve just now (injected 500s on the wire) is a notice naming its
owner while the other calendars show; the next view, Google well again, shows both. Over real
HTTP, both engines."""

from __future__ import annotations

from gpanel.services.sharing.policy import Audience, Detail
from tests.support.stack import Stack
from tests.web.calendar.kit import add_calendar, events, seed, titles
from tests.web.panel_kit import EMAIL, MARIA, build


def test_a_failing_calendar_is_one_notice(stack: Stack) -> None:
    """Three 500s for Ben's events.list (the view's retries exhausted): Carla sees her meeting
    and "Ben Okafor's calendar is busy"; then both meetings, no notice."""
    world = build(stack, connect=["ben", "carla"])
    world.share("ben", Audience.RECORD_ACCESS, Detail.FULL)
    add_calendar(world, "ben")
    add_calendar(world, "carla")
    seed(world, EMAIL["carla"], "Carla meeting", 1, [MARIA])
    seed(world, EMAIL["ben"], "Ben meeting", 2, [MARIA])
    stack.emulator.control.post(
        "/_emulator/faults",
        json={"user": EMAIL["ben"], "kind": "500", "method": "calendar.events.list", "count": 3},
    ).raise_for_status()
    client = world.client("carla")
    body = events(client, world, "contact", "maria")
    assert titles(body) == ["Carla meeting"]
    assert [(n["owner_name"], n["kind"]) for n in body["notices"]] == [
        ("Ben Okafor", "unavailable")
    ]
    again = events(client, world, "contact", "maria")
    assert titles(again) == ["Carla meeting", "Ben meeting"] and again["notices"] == []
