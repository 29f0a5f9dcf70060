"""history.list as strict as Google: expiry and both `labelId` semantics.

Pins down: a `startHistoryId` from before the mailbox's kept history answers 404 `notFound`
(Google, "Synchronize clients with Gmail": history ids are typically valid for at least a week,
sometimes only hours; 404 means a full sync), including `startHistoryId=1`; the retention is
set at run time and lowering it expires old ids at once; a reset restores it. `labelId`:
Google's reference says only "only return messages with a label matching the ID"; integrations
report that it works per thread, missing mail archived or filtered on arrival and including
sent replies in inbox threads (docs/gmail-facts.md, "History and change tracking"). The
emulator offers both: "message" (the label right after the change) and "thread" (any message
of the thread has the label when listed).
"""

from __future__ import annotations

import httpx

from tests.emulator.conftest import ANN, BOB, make_mail
from tests.support.emulator import RunningEmulator


def added(gmail: httpx.Client, start: str, label: str | None = None) -> set[str]:
    params = {"startHistoryId": start, "historyTypes": "messageAdded"}
    if label:
        params["labelId"] = label
    body = gmail.get("/history", params=params).json()
    return {m["message"]["id"] for h in body.get("history", []) for m in h.get("messagesAdded", [])}


def test_start_history_id_1_is_out_of_date(gmail: httpx.Client) -> None:
    """`startHistoryId=1` is older than any mailbox's history: 404 notFound, not everything."""
    stale = gmail.get("/history", params={"startHistoryId": "1"})
    assert stale.status_code == 404
    assert stale.json()["error"]["errors"][0]["reason"] == "notFound"


def test_retention_set_at_run_time_expires_old_ids(
    users: RunningEmulator, gmail: httpx.Client
) -> None:
    """With 50 records kept (the tests' default), 60 changes expire a cursor; lowering the
    retention to 2 expires a recent one at once; reset restores the configured value."""
    assert users.control.get("/_emulator/history").json()["retention"] == 50
    start = gmail.get("/profile").json()["historyId"]
    for i in range(60):
        users.insert(ANN, make_mail(subject=f"n{i}"))
    assert gmail.get("/history", params={"startHistoryId": start}).status_code == 404
    recent = str(int(gmail.get("/profile").json()["historyId"]) - 5)
    assert gmail.get("/history", params={"startHistoryId": recent}).status_code == 200
    put = users.control.put("/_emulator/history", json={"retention": 2})
    assert put.json() == {"retention": 2, "label_filter": "message"}
    assert gmail.get("/history", params={"startHistoryId": recent}).status_code == 404
    assert users.control.put("/_emulator/history", json={"retention": 0}).status_code == 400
    assert users.control.put("/_emulator/history", json={"label_filter": "x"}).status_code == 400
    users.control.post("/_emulator/reset").raise_for_status()
    assert users.control.get("/_emulator/history").json()["retention"] == 50


def _scene(users: RunningEmulator, gmail: httpx.Client) -> tuple[str, dict[str, str]]:
    """From one cursor: inbox mail, mail filtered on arrival (no INBOX), mail archived right
    after arrival, and Ann's sent reply in an inbox thread."""
    start = gmail.get("/profile").json()["historyId"]
    inbox = users.insert(ANN, make_mail(subject="Plain", message_id="<plain@x>"))
    filtered = users.insert(ANN, make_mail(subject="Filtered"), label_ids=[])
    archived = users.insert(ANN, make_mail(subject="Archived"))
    gmail.post(f"/messages/{archived['id']}/modify", json={"removeLabelIds": ["INBOX"]})
    reply = make_mail(
        subject="Re: Plain",
        sender=ANN,
        to=BOB,
        extra="In-Reply-To: <plain@x>\r\nReferences: <plain@x>",
    )
    sent = users.insert(ANN, reply, label_ids=["SENT"])
    assert sent["threadId"] == inbox["threadId"]
    ids = {"inbox": inbox["id"], "filtered": filtered["id"], "archived": archived["id"]}
    return start, {**ids, "sent": sent["id"]}


def test_label_filter_per_message(users: RunningEmulator, gmail: httpx.Client) -> None:
    """ "message": INBOX keeps the mail that had INBOX when it arrived (archived included),
    not the filtered mail, not the sent reply."""
    start, ids = _scene(users, gmail)
    assert added(gmail, start, "INBOX") == {ids["inbox"], ids["archived"]}
    assert added(gmail, start) == set(ids.values())


def test_label_filter_per_thread(users: RunningEmulator, gmail: httpx.Client) -> None:
    """ "thread": INBOX keeps changes whose thread has INBOX now: the inbox mail and the sent
    reply in its thread; the mail archived or filtered on arrival is missed."""
    users.control.put("/_emulator/history", json={"label_filter": "thread"}).raise_for_status()
    start, ids = _scene(users, gmail)
    assert added(gmail, start, "INBOX") == {ids["inbox"], ids["sent"]}
    assert added(gmail, start) == set(ids.values())
