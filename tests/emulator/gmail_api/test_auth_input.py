"""Auth, scopes and hostile input on the Gmail routes: Google's 401/403/400 shapes, never 500."""

from __future__ import annotations

import base64

import httpx
import pytest

from tests.emulator.conftest import ANN, BOB, client_for, make_mail
from tests.support.emulator import RunningEmulator

SCOPE = "https://www.googleapis.com/auth/gmail."


def test_missing_unknown_and_expired_tokens_are_401(users: RunningEmulator) -> None:
    """No token, a made-up token and an expired one all get the invalid-credentials 401."""
    url = f"{users.url}/gmail/v1/users/me/profile"
    token = users.token(ANN)
    for headers in ({}, {"Authorization": "Bearer nope"}):
        response = httpx.get(url, headers=headers)
        assert response.status_code == 401
        assert response.json()["error"]["status"] == "UNAUTHENTICATED"
    assert httpx.get(url, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    users.control.post("/_emulator/expire-tokens", json={"email": ANN}).raise_for_status()
    assert httpx.get(url, headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_user_id_must_be_me_or_own_address(users: RunningEmulator) -> None:
    """`me` and the own address (any case) work; another user's address is 403 delegation."""
    headers = {"Authorization": f"Bearer {users.token(ANN)}"}
    for user_id in ("me", ANN, ANN.upper()):
        assert (
            httpx.get(f"{users.url}/gmail/v1/users/{user_id}/profile", headers=headers).status_code
            == 200
        )
    denied = httpx.get(f"{users.url}/gmail/v1/users/{BOB}/profile", headers=headers)
    assert denied.status_code == 403
    assert denied.json()["error"]["message"] == f"Delegation denied for {ANN}"


def test_metadata_scope_refuses_q_and_full_format(users: RunningEmulator) -> None:
    """gmail.metadata lists and reads headers, but q and format=full/raw are 403."""
    mid = users.insert(ANN, make_mail())["id"]
    with client_for(users, users.token(ANN, [SCOPE + "metadata"])) as gmail:
        assert gmail.get("/messages").status_code == 200
        assert gmail.get(f"/messages/{mid}", params={"format": "metadata"}).status_code == 200
        q = gmail.get("/messages", params={"q": "from:bob"})
        assert q.status_code == 403
        assert q.json()["error"]["message"] == "Metadata scope does not support 'q' parameter"
        full = gmail.get(f"/messages/{mid}")
        assert full.status_code == 403
        assert full.json()["error"]["message"] == "Metadata scope doesn't allow format FULL"
        assert gmail.get(f"/threads/{mid}", params={"format": "full"}).status_code == 403
    # A token with metadata and readonly may use both.
    with client_for(users, users.token(ANN, [SCOPE + "metadata", SCOPE + "readonly"])) as gmail:
        assert gmail.get("/messages", params={"q": "from:bob"}).status_code == 200


@pytest.mark.parametrize(
    ("scope", "method", "path", "allowed"),
    [
        ("readonly", "GET", "/messages", True),
        ("readonly", "POST", "/labels", False),
        ("readonly", "POST", "/messages/send", False),
        ("send", "GET", "/messages", False),
        ("send", "POST", "/messages/send", True),
        ("labels", "POST", "/labels", True),
        ("labels", "POST", "/messages/batchModify", False),
        ("insert", "POST", "/messages", True),
        ("compose", "POST", "/messages/send", True),
        ("modify", "POST", "/messages/batchModify", True),
    ],
)
def test_scopes_follow_google_rules(
    users: RunningEmulator, scope: str, method: str, path: str, allowed: bool
) -> None:
    """Each scope reaches only the methods the discovery document grants it."""
    raw = base64.urlsafe_b64encode(make_mail(to=BOB)).decode()
    bodies = {
        "/labels": {"name": "Scoped"},
        "/messages/send": {"raw": raw},
        "/messages": {"raw": raw},
        "/messages/batchModify": {"ids": [], "addLabelIds": ["STARRED"]},
    }
    with client_for(users, users.token(ANN, [SCOPE + scope])) as gmail:
        response = gmail.request(method, path, json=bodies.get(path))
    if allowed:
        assert response.status_code in (200, 204), response.text
    else:
        assert response.status_code == 403
        assert response.json()["error"]["errors"][0]["reason"] == "insufficientPermissions"


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[1, 2]",
        b'{"raw": "***not base64***"}',
        b'{"raw": 12}',
        b'{"raw": ""}',
        b'{"threadId": "x"}',
        b"",
    ],
)
def test_bad_send_bodies_are_400(gmail: httpx.Client, body: bytes) -> None:
    """Bad JSON, bad base64 and missing fields get Google's 400 shape."""
    response = gmail.post(
        "/messages/send", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == 400 and error["status"] == "INVALID_ARGUMENT" and error["errors"]


def test_broken_mime_is_stored_and_served(gmail: httpx.Client) -> None:
    """Garbage that is valid base64 but not valid MIME is accepted and readable, never a 500."""
    garbage = b"\x00\xff\xfeContent-Type: multipart/mixed; boundary=\r\n\r\n--\r\n--"
    raw = base64.urlsafe_b64encode(garbage).decode()
    inserted = gmail.post("/messages", json={"raw": raw, "labelIds": ["INBOX"]})
    assert inserted.status_code == 200, inserted.text
    mid = inserted.json()["id"]
    for fmt in ("minimal", "metadata", "full", "raw"):
        assert gmail.get(f"/messages/{mid}", params={"format": fmt}).status_code == 200
    assert gmail.get(f"/messages/{mid}/attachments/ANGjdJbogus").status_code == 400
    bad_label = gmail.post("/messages", json={"raw": raw, "labelIds": "INBOX"})
    assert bad_label.status_code == 400


def test_fields_mask_trims_the_response(users: RunningEmulator, gmail: httpx.Client) -> None:
    """The `fields` system parameter keeps only the named parts of the response."""
    users.insert(ANN, make_mail())
    body = gmail.get("/messages", params={"fields": "messages(id),resultSizeEstimate"}).json()
    assert set(body) == {"messages", "resultSizeEstimate"}
    assert set(body["messages"][0]) == {"id"}


def test_control_api_validates_input(users: RunningEmulator) -> None:
    """The control API answers bad input with 400/404 JSON too."""
    control = users.control
    assert control.post("/_emulator/users", json={"email": "nope"}).status_code == 400
    assert (
        control.post("/_emulator/token", json={"email": "ghost@nowhere.example"}).status_code == 404
    )
    plain = make_mail().decode()
    created = control.post(
        f"/_emulator/users/{ANN}/messages", json={"raw": plain, "labelIds": ["STARRED"]}
    )
    assert created.status_code == 201
    assert users.state.mailbox(ANN).get(created.json()["id"]).label_ids == ["STARRED"]
    assert (
        control.post(
            "/_emulator/users/ghost@nowhere.example/messages", json={"raw": plain}
        ).status_code
        == 404
    )
    listed = control.get("/_emulator/users").json()["users"]
    assert {u["email"] for u in listed} == {ANN, BOB}
