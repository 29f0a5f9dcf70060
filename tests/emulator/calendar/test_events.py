"""events.list behaves as Google's: window, paging, sync tokens and their limits, private and
cancelled events, withdrawn grants, and Gmail's wire conditions (faults, latency) apply."""

from __future__ import annotations

import httpx

from tests.emulator.calendar.conftest import ANN, BOB, CAL_READ, cal_client, seed
from tests.support.emulator import RunningEmulator


def _day(n: int, hour: int = 9) -> dict[str, str]:
    return {"dateTime": f"2026-12-{n:02d}T{hour:02d}:00:00Z"}


def test_window_paging_and_order(people: RunningEmulator, cal: httpx.Client) -> None:
    """timeMin/timeMax overlap, orderBy=startTime across pages of maxResults, series instances
    inside the window only, and orderBy=startTime without singleEvents refused with 400."""
    for n in (5, 1, 3, 9):
        seed(people, ANN, {"summary": f"M{n}", "start": _day(n), "end": _day(n, 10)})
    seed(
        people,
        ANN,
        {
            "summary": "Daily",
            "start": _day(2, 7),
            "end": _day(2, 8),
            "recurrence": ["RRULE:FREQ=DAILY;UNTIL=20261204"],
        },
    )
    params = {
        "singleEvents": "true",
        "orderBy": "startTime",
        "maxResults": "2",
        "timeMin": "2026-12-02T00:00:00Z",
        "timeMax": "2026-12-06T00:00:00Z",
    }
    seen: list[str] = []
    token = None
    while True:
        page = cal.get(
            "/calendars/primary/events",
            params={**params, **({"pageToken": token} if token else {})},
        ).json()
        seen += [e["summary"] + e["start"]["dateTime"][8:10] for e in page["items"]]
        token = page.get("nextPageToken")
        if token is None:
            assert "nextSyncToken" in page
            break
        assert "nextSyncToken" not in page
    assert seen == ["Daily02", "Daily03", "M303", "Daily04", "M505"]
    bad = cal.get("/calendars/primary/events", params={"orderBy": "startTime"})
    assert bad.status_code == 400


def test_sync_tokens_report_changes_and_refuse_restrictions(
    people: RunningEmulator, cal: httpx.Client
) -> None:
    """A sync token returns only later changes (a cancelled one included); with timeMin it is a
    400; an unknown one is 410 fullSyncRequired."""
    seed(people, ANN, {"summary": "Old", "start": _day(1), "end": _day(1, 10)})
    first = cal.get("/calendars/primary/events").json()
    seed(
        people,
        ANN,
        {"summary": "Called off", "status": "cancelled", "start": _day(2), "end": _day(2, 10)},
    )
    later = cal.get(
        "/calendars/primary/events", params={"syncToken": first["nextSyncToken"]}
    ).json()
    assert [(e["summary"], e["status"]) for e in later["items"]] == [("Called off", "cancelled")]
    plain = cal.get("/calendars/primary/events").json()
    assert [e["summary"] for e in plain["items"]] == ["Old"]  # cancelled hidden without showDeleted
    mixed = cal.get(
        "/calendars/primary/events",
        params={"syncToken": first["nextSyncToken"], "timeMin": "2026-12-01T00:00:00Z"},
    )
    assert mixed.status_code == 400
    gone = cal.get("/calendars/primary/events", params={"syncToken": "CPbogus"})
    assert (
        gone.status_code == 410
        and gone.json()["error"]["errors"][0]["reason"] == "fullSyncRequired"
    )


def test_invitations_private_events_and_other_calendars(
    people: RunningEmulator, cal: httpx.Client
) -> None:
    """An event lands in each emulator attendee's calendar under one iCalUID, its visibility
    kept; another person's calendar id is 404."""
    made = seed(
        people,
        BOB,
        {
            "summary": "Private chat",
            "visibility": "private",
            "start": _day(4),
            "end": _day(4, 10),
            "attendees": [{"email": ANN}],
        },
    )
    mine = cal.get("/calendars/primary/events").json()["items"]
    assert [(e["iCalUID"], e["visibility"]) for e in mine] == [(made["iCalUID"], "private")]
    assert mine[0]["attendees"] == [{"email": ANN, "responseStatus": "needsAction", "self": True}]
    assert cal.get(f"/calendars/{BOB}/events").status_code == 404


def test_withdrawn_grant_faults_and_quota(people: RunningEmulator, cal: httpx.Client) -> None:
    """A withdrawn calendar grant is 403 for Calendar while Gmail answers; an injected fault and
    the request log apply to Calendar calls as to Gmail's."""
    people.control.post("/_emulator/calendar/withdraw", json={"email": ANN}).raise_for_status()
    assert cal.get("/calendars/primary/events").status_code == 403
    gmail = httpx.get(
        f"{people.url}/gmail/v1/users/me/profile",
        headers={"Authorization": f"Bearer {people.token(ANN)}"},
    )
    assert gmail.status_code == 200
    people.control.post("/_emulator/calendar/withdraw", json={"email": ANN, "withdrawn": False})
    people.control.post("/_emulator/faults", json={"kind": "500", "user": ANN}).raise_for_status()
    with cal_client(people, people.token(ANN, [CAL_READ])) as other:
        assert other.get("/calendars/primary/events").status_code == 500
        assert other.get("/calendars/primary/events").status_code == 200
    log = people.control.get("/_emulator/log", params={"user": ANN}).json()["entries"]
    assert [e["status"] for e in log if e["method_id"] == "calendar.events.list"][-2:] == [500, 200]
