"""The batch endpoint on the full emulator over real HTTP, with real mailboxes behind the parts.

Pins down: a batch of 50 messages.get parts answers each real message under its Content-ID, a
missing message fails only its own part, writes inside a batch take effect, a 101-part envelope
is refused before any part touches a mailbox, and each part is charged at its method's cost.
"""

from __future__ import annotations

import httpx

from tests.emulator.conftest import ANN, make_mail
from tests.emulator.wire.test_batch import envelope, parse_batch_response
from tests.support.emulator import RunningEmulator


def _post(emulator: RunningEmulator, token: str, body: bytes) -> httpx.Response:
    return httpx.post(
        f"{emulator.url}/batch/gmail/v1",
        content=body,
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": 'multipart/mixed; boundary="b0und4ry"',
        },
        timeout=30,
    )


def test_batch_of_50_real_gets(users: RunningEmulator) -> None:
    """Fifty gets of real messages: each part 200, its own message, mapped by Content-ID."""
    # Seeded in-process (the state's lock makes that safe): 50 control calls would be slow.
    mailbox = users.state.mailbox(ANN)
    ids = [mailbox.insert_raw(make_mail(subject=f"Order {i}")).id for i in range(50)]
    token = users.token(ANN)
    # Above the default limit of 40, so that all 50 parts run (the limit has its own tests).
    users.control.put("/_emulator/quota", json={"max_concurrent_per_user": 50})
    requests = [f"GET /gmail/v1/users/me/messages/{mid}?format=metadata" for mid in ids]
    parts = parse_batch_response(_post(users, token, envelope(requests)))
    assert [p[0] for p in parts] == [f"<response-base + {i}>" for i in range(50)]
    assert [p[1] for p in parts] == [200] * 50
    assert [p[2]["id"] for p in parts] == ids
    subjects = [
        next(h["value"] for h in p[2]["payload"]["headers"] if h["name"] == "Subject")
        for p in parts
    ]
    assert subjects == [f"Order {i}" for i in range(50)]
    log = users.control.get("/_emulator/log", params={"user": ANN}).json()["entries"]
    gets = [e for e in log if e["method_id"] == "gmail.users.messages.get"]
    assert len(gets) == 50 and all(e["batch_part"] and e["quota_cost"] == 20 for e in gets)


def test_a_missing_message_fails_only_its_part(users: RunningEmulator) -> None:
    """A 404 part among successes keeps Google's notFound body; the others are untouched."""
    good = users.insert(ANN, make_mail())["id"]
    body = envelope(
        [
            f"GET /gmail/v1/users/me/messages/{good}?format=minimal",
            "GET /gmail/v1/users/me/messages/0000000000000bad?format=minimal",
            "GET /gmail/v1/users/me/labels/INBOX",
        ]
    )
    parts = parse_batch_response(_post(users, users.token(ANN), body))
    assert [p[1] for p in parts] == [200, 404, 200]
    assert parts[1][2]["error"]["code"] == 404
    assert parts[2][2]["id"] == "INBOX"


def test_writes_inside_a_batch_take_effect(users: RunningEmulator) -> None:
    """A POST part with a JSON body (messages.modify) changes the mailbox."""
    mid = users.insert(ANN, make_mail())["id"]
    modify = (
        f"POST /gmail/v1/users/me/messages/{mid}/modify\r\n"
        "Content-Type: application/json\r\n\r\n"
        '{"removeLabelIds": ["UNREAD"], "addLabelIds": ["STARRED"]}'
    )
    parts = parse_batch_response(_post(users, users.token(ANN), envelope([modify])))
    assert parts[0][1] == 200
    assert set(parts[0][2]["labelIds"]) == {"INBOX", "STARRED"}


def test_101_parts_touch_nothing(users: RunningEmulator) -> None:
    """An envelope over the limit is refused whole; no part reaches a mailbox or the log."""
    users.control.delete("/_emulator/log")
    mid = users.insert(ANN, make_mail())["id"]
    modify = (
        f"POST /gmail/v1/users/me/messages/{mid}/modify\r\n"
        "Content-Type: application/json\r\n\r\n"
        '{"addLabelIds": ["STARRED"]}'
    )
    response = _post(users, users.token(ANN), envelope([modify] * 101))
    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "Inner request count exceeds the limit. Received: 101, Limit: 100"
    )
    assert users.control.get("/_emulator/log").json()["entries"] == []
    assert "STARRED" not in users.state.mailbox(ANN).get(mid).label_ids


def test_parts_without_a_token_get_their_own_401(users: RunningEmulator) -> None:
    """An envelope without Authorization is accepted; each part answers 401 on its own."""
    response = httpx.post(
        f"{users.url}/batch",
        content=envelope(["GET /gmail/v1/users/me/profile"] * 2),
        headers={"Content-Type": 'multipart/mixed; boundary="b0und4ry"'},
    )
    parts = parse_batch_response(response)
    assert [p[1] for p in parts] == [401, 401]
    assert parts[0][2]["error"]["errors"][0]["reason"] == "authError"
