"""The calendar tab end to end over real HTTP (gpanel + the Google emulator, both engines):
adding the calendar incrementally, the tab and its JSON on each record kind, CRM names and the
viewer's zone, sharing levels, private and cancelled events, a withdrawn grant degrading to a
notice while mail keeps working, and creating a meeting."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from gpanel.services.sharing.policy import Audience, Detail
from gpanel.store.tables import mailboxes
from tests.support.stack import Stack, seen
from tests.web.calendar.kit import CAL_EVENTS, CAL_READ, add_calendar, events, seed, titles
from tests.web.panel_kit import EMAIL, MARIA, TOM, build, message, subjects

STRANGER = "x@stranger.example"


def test_the_tab_on_each_record_kind(stack: Stack) -> None:
    """Carla adds her calendar (mail scope kept). A past call with Maria, an upcoming review
    with Tom, a meeting with someone at Acme's domain, and one with a stranger: the contact
    shows Maria's, the deal its contacts' (Maria, Tom), the company all three Acme meetings,
    the stranger's nowhere; attendees carry CRM names and responses, times the asked zone, and
    the header lines name the last and the next meeting."""
    world = build(stack, connect=["carla"])
    carla = EMAIL["carla"]
    status = 'id="calendar-status"'
    before = seen(world.client("carla").get("/mailbox"))
    assert status in before and 'Not added. <a href="/mailbox/calendar/connect">' in before
    added = add_calendar(world, "carla")
    assert added.status_code == 200 and added.url.path == "/mailbox"
    assert "Added" in seen(added).split(status, 1)[1][:200]
    (box,) = [r for r in stack.rows(mailboxes) if r.email == carla]
    assert (
        CAL_READ in box.scopes.split()
        and "https://www.googleapis.com/auth/gmail.modify" in box.scopes.split()
    )
    seed(world, carla, "Call with Maria", -3, [MARIA])
    seed(world, carla, "Review with Tom", 2, [TOM], location="Acme HQ")
    seed(world, carla, "Ops sync", 4, ["ops@acme.example"])
    seed(world, carla, "Stranger chat", 1, [STRANGER])
    client = world.client("carla")

    assert titles(events(client, world, "contact", "maria", when="past")) == ["Call with Maria"]
    assert titles(events(client, world, "contact", "maria")) == []
    deal = events(client, world, "deal", "acme-fleet", tz="Europe/Paris")
    assert titles(deal) == ["Review with Tom"]
    row = deal["events"][0]
    assert row["start"].endswith("+01:00") or row["start"].endswith("+02:00")
    assert row["location"] == "Acme HQ" and row["calendars"] == ["Carla Reyes"]
    assert {(a["name"], a["kind"], a["response"]) for a in row["attendees"]} >= {
        ("Tom Baker", "contact", "needsAction")
    }
    company = events(client, world, "company", "acme")
    assert titles(company) == ["Review with Tom", "Ops sync"]
    assert company["last_meeting"]["title"] == "Call with Maria"
    assert company["next_meeting"]["title"] == "Review with Tom"
    for kind, key, line in (
        ("contact", "maria", "Last meeting: "),
        ("company", "acme", "Next meeting: "),
        ("deal", "acme-fleet", "Next meeting: "),
    ):
        fragment = client.get(
            f"/records/{kind}/{world.records[key]}/calendar", params={"fragment": "1"}
        )
        assert fragment.status_code == 200 and line in seen(fragment), (kind, seen(fragment)[:400])
        page = client.get(
            f"/{'companies' if kind == 'company' else kind + 's'}/{world.records[key]}"
        )
        assert 'id="calendar-panel"' in page.text and "/static/calendar.js" in page.text
    assert "Stranger chat" not in seen(
        client.get(f"/records/company/{world.records['acme']}/calendar")
    )


def test_sharing_levels_private_and_cancelled_events(stack: Stack) -> None:
    """Ben's calendar under Ben's mail sharing, seen by Carla on Maria: Subject shows titles
    and attendees but no description; Metadata only times and attendees; Private shows
    nothing of Ben's; a private event is Busy (no title, no attendees) to Carla while Ben sees
    it whole; a cancelled one is marked and never counts as the next meeting; one meeting in
    both calendars is one row naming both owners."""
    world = build(stack, connect=["ben", "carla"])
    ben, carla = EMAIL["ben"], EMAIL["carla"]
    add_calendar(world, "ben")
    add_calendar(world, "carla")
    seed(world, ben, "Ben pricing talk", 1, [MARIA], description="Discount up to 12%")
    seed(world, ben, "Ben dinner", 2, [MARIA], visibility="private", description="Personal")
    seed(world, ben, "Ben called off", 0.5, [MARIA], status="cancelled")
    seed(world, ben, "Joint workshop", 3, [MARIA, carla])
    client = world.client("carla")

    world.share("ben", Audience.RECORD_ACCESS, Detail.SUBJECT)
    rows = {e["title"]: e for e in events(client, world, "contact", "maria")["events"]}
    assert set(rows) == {"Ben pricing talk", None, "Ben called off", "Joint workshop"}
    assert rows["Ben pricing talk"]["description"] is None and rows["Ben pricing talk"]["attendees"]
    busy = rows[None]
    assert busy["level"] == "busy" and busy["attendees"] == [] and busy["description"] is None
    assert rows["Ben called off"]["status"] == "cancelled"
    assert rows["Joint workshop"]["calendars"] == ["Carla Reyes", "Ben Okafor"]
    assert rows["Joint workshop"]["level"] == "full"  # it is in Carla's own calendar
    body = events(client, world, "contact", "maria")
    assert body["next_meeting"]["title"] == "Ben pricing talk"  # not the cancelled one

    world.share("ben", Audience.RECORD_ACCESS, Detail.METADATA)
    rows2 = [
        e
        for e in events(client, world, "contact", "maria")["events"]
        if e["calendars"] == ["Ben Okafor"]
    ]
    assert [e["title"] for e in rows2] == [None, None, None]
    assert all(e["level"] in ("metadata", "busy") for e in rows2)
    assert [len(e["attendees"]) > 0 for e in rows2] == [
        True,
        True,
        False,
    ]  # called off, talk, dinner

    world.share("ben", Audience.PRIVATE)
    only = events(client, world, "contact", "maria")["events"]
    assert [e["title"] for e in only] == ["Joint workshop"] and only[0]["calendars"] == [
        "Carla Reyes"
    ]

    own = {e["title"]: e for e in events(world.client("ben"), world, "contact", "maria")["events"]}
    assert own["Ben dinner"]["description"] == "Personal" and own["Ben dinner"]["level"] == "full"
    page = seen(client.get(f"/records/contact/{world.records['maria']}/calendar"))
    assert "Ben dinner" not in page and "Personal" not in page


def test_a_withdrawn_grant_degrades_to_a_notice_while_mail_works(stack: Stack) -> None:
    """Ben's calendar grant withdrawn at Google: Carla's tab still shows her own meetings and
    a notice naming Ben's calendar; the mail panel lists mail as before; a calendar not added
    at all is named as such, and a consent with the Calendar box unticked is explained and
    changes nothing."""
    world = build(stack, connect=["ben", "carla", "dev"])
    ben, carla = EMAIL["ben"], EMAIL["carla"]
    world.share("ben", Audience.RECORD_ACCESS, Detail.FULL)
    world.share("dev", Audience.RECORD_ACCESS, Detail.FULL)
    add_calendar(world, "ben")
    add_calendar(world, "carla")
    seed(world, carla, "Carla demo", 1, [MARIA])
    seed(world, ben, "Ben demo", 2, [MARIA])
    world.deliver("carla", message(MARIA, [carla], "Maria mail")[0])
    stack.emulator.control.post(
        "/_emulator/calendar/withdraw", json={"email": ben}
    ).raise_for_status()
    client = world.client("carla")

    body = events(client, world, "contact", "maria")
    assert titles(body) == ["Carla demo"]
    assert [(n["owner_name"], n["kind"]) for n in body["notices"]] == [("Ben Okafor", "withdrawn")]
    assert body["not_added"] == ["Dev Patel"] or body["not_added"][0].startswith("Dev")
    assert subjects(world.threads(client, "contact", "maria")) == ["Maria mail"]
    assert "calendar access was withdrawn" in seen(
        client.get(f"/records/contact/{world.records['maria']}/calendar", params={"fragment": "1"})
    )

    before = [r.scopes for r in stack.rows(mailboxes) if r.email == EMAIL["dev"]]
    refused = add_calendar(world, "dev", ticked=[])
    assert refused.status_code == 400 and "did not grant gpanel access to your calendar" in seen(
        refused
    )
    assert [r.scopes for r in stack.rows(mailboxes) if r.email == EMAIL["dev"]] == before
    assert world.threads(world.client("dev"), "company", "umbrella")["notices"] == []


def test_creating_a_meeting_asks_for_calendar_events_once(stack: Stack) -> None:
    """Creating a meeting needs calendar.events: without it the answer is the page with the
    link asking Google for it; once granted, the event lands on Carla's calendar with the
    record's contacts invited and a Meet link, and the tab shows it at once."""
    world = build(stack, connect=["carla"])
    add_calendar(world, "carla")
    client = world.client("carla")
    deal = world.records["acme-fleet"]
    day = dt.date.today() + dt.timedelta(days=10)
    local = dt.datetime(day.year, day.month, day.day, 10, tzinfo=ZoneInfo("Europe/Paris"))
    form = {
        "title": "Kick-off",
        "start": local.strftime("%Y-%m-%dT%H:%M"),
        "minutes": "45",
        "tz": "Europe/Paris",
    }
    asked = client.post(f"/records/deal/{deal}/meetings", data=form)
    assert asked.status_code == 403 and "/mailbox/calendar/connect?write=1" in asked.text
    assert add_calendar(world, "carla", write=True).status_code == 200
    made = client.post(f"/records/deal/{deal}/meetings", data=form)
    assert made.status_code == 303, made.text[:300]
    body = events(client, world, "deal", "acme-fleet")
    (meeting,) = [e for e in body["events"] if e["title"] == "Kick-off"]
    assert dt.datetime.fromisoformat(meeting["start"]) == local  # 10:00 in Paris, as asked
    invited = {a["email"] for a in meeting["attendees"]}
    assert {MARIA, TOM, EMAIL["carla"]} <= invited
    assert meeting["link"].startswith("https://meet.google.com/")
    assert CAL_EVENTS in next(r.scopes for r in stack.rows(mailboxes) if r.email == EMAIL["carla"])
