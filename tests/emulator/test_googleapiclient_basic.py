"""Google's own Python client, unchanged, lists and reads mail from the emulator."""

from __future__ import annotations

import base64

from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from tests.emulator.conftest import ANN, make_mail
from tests.support.emulator import RunningEmulator


def test_google_api_python_client_lists_and_gets(users: RunningEmulator) -> None:
    """build("gmail", "v1") at the emulator: profile, list with q, get, a 404 as HttpError."""
    mid = users.insert(ANN, make_mail(subject="Via the client", body="Library body"))["id"]
    service = build(
        "gmail",
        "v1",
        credentials=Credentials(users.token(ANN)),
        client_options={"api_endpoint": users.url},
        static_discovery=True,
        cache_discovery=False,
    )
    assert service.users().getProfile(userId="me").execute()["emailAddress"] == ANN
    listed = (
        service.users().messages().list(userId="me", q="subject:client", maxResults=10).execute()
    )
    assert [m["id"] for m in listed["messages"]] == [mid]
    got = service.users().messages().get(userId="me", id=mid, format="full").execute()
    assert base64.urlsafe_b64decode(got["payload"]["body"]["data"]) == b"Library body\r\n"
    thread = (
        service.users()
        .threads()
        .get(userId="me", id=got["threadId"], format="metadata", metadataHeaders=["Subject"])
        .execute()
    )
    assert thread["messages"][0]["payload"]["headers"] == [
        {"name": "Subject", "value": "Via the client"}
    ]
    try:
        service.users().messages().get(userId="me", id="0000000000000000").execute()
    except HttpError as exc:
        assert exc.resp.status == 404
    else:
        raise AssertionError("expected a 404")
