"""Google's own Python client, unchanged, lists, gets and inserts events at the emulator."""

from __future__ import annotations

from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from tests.emulator.calendar.conftest import ANN, BOB, CAL_EVENTS, CAL_READ
from tests.support.emulator import RunningEmulator


def test_google_api_python_client_completes_list_get_and_insert(people: RunningEmulator) -> None:
    """build("calendar", "v3"): calendarList.list, events.insert, events.list with q and
    singleEvents, events.get, and a read-only token refused on insert as HttpError 403."""

    def service(scopes: list[str]):  # type: ignore[no-untyped-def]
        return build(
            "calendar",
            "v3",
            credentials=Credentials(people.token(ANN, scopes)),
            client_options={"api_endpoint": people.url + "/calendar/v3/"},
            static_discovery=True,
            cache_discovery=False,
        )

    writer = service([CAL_READ, CAL_EVENTS])  # calendarList needs a calendar.* read scope
    calendars = writer.calendarList().list().execute()
    assert [c["id"] for c in calendars["items"]] == [ANN]
    made = (
        writer.events()
        .insert(
            calendarId="primary",
            sendUpdates="all",
            body={
                "summary": "Quarterly review",
                "attendees": [{"email": BOB}],
                "start": {"dateTime": "2026-12-10T14:00:00Z"},
                "end": {"dateTime": "2026-12-10T15:00:00Z"},
            },
        )
        .execute()
    )
    listed = (
        writer.events()
        .list(
            calendarId="primary",
            q="quarterly",
            singleEvents=True,
            orderBy="startTime",
            timeMin="2026-12-01T00:00:00Z",
            timeMax="2026-12-31T00:00:00Z",
        )
        .execute()
    )
    assert [e["id"] for e in listed["items"]] == [made["id"]]
    got = writer.events().get(calendarId="primary", eventId=made["id"]).execute()
    assert got["attendees"] == [{"email": BOB, "responseStatus": "needsAction"}]
    assert got["organizer"] == {"email": ANN, "self": True}
    try:
        service([CAL_READ]).events().insert(calendarId="primary", body=got).execute()
    except HttpError as exc:
        assert exc.resp.status == 403
    else:
        raise AssertionError("a read-only token inserted an event")
