"""How the wire reads a request, on the tiny app (tiny.py): googleapiclient's method override
(long GET as a form POST, PATCH tunnelled through POST) and undeclared query parameters
refused as Google refuses them.
"""

from __future__ import annotations

import httpx

from tests.emulator.wire.tiny import (
    Tiny,
    auth,
)


async def test_post_with_method_override_is_served_as_get(
    tiny: Tiny, client: httpx.AsyncClient
) -> None:
    """googleapiclient's long-GET form (POST, x-http-method-override, form body) works."""
    r = await client.post(
        "/gmail/v1/users/me/messages?maxResults=5",
        headers={
            **auth(tiny.token_alice),
            "x-http-method-override": "GET",
            "content-type": "application/x-www-form-urlencoded",
        },
        content=b"q=from%3Aa%40b.c+OR+from%3Ad%40e.f&labelIds=INBOX&labelIds=UNREAD",
    )
    assert r.status_code == 200
    assert r.json()["query"] == [
        ["labelIds", "INBOX"],
        ["labelIds", "UNREAD"],
        ["maxResults", "5"],
        ["q", "from:a@b.c OR from:d@e.f"],
    ]
    entry = (await client.get("/_emulator/log")).json()["entries"][0]
    assert entry["http_method"] == "GET" and entry["method_id"] == "gmail.users.messages.list"


async def test_undeclared_query_parameters_are_refused_like_google(
    tiny: Tiny, client: httpx.AsyncClient
) -> None:
    """A parameter the discovery document does not declare for the method answers 400."""
    alice = auth(tiny.token_alice)
    r = await client.get("/gmail/v1/users/me/messages/a", params={"formt": "full"}, headers=alice)
    assert r.status_code == 400
    assert r.json()["error"]["message"] == (
        'Invalid JSON payload received. Unknown name "formt": Cannot bind query parameter. '
        "Field 'formt' could not be found in request message."
    )
    # Declared parameters and the API-wide ones (alt, fields, prettyPrint...) are fine.
    ok = {"format": "metadata", "metadataHeaders": "Subject", "alt": "json", "fields": "id"}
    r = await client.get("/gmail/v1/users/me/messages/a", params=ok, headers=alice)
    assert r.status_code == 200
    # q belongs to messages.list, not messages.get.
    r = await client.get("/gmail/v1/users/me/messages/a", params={"q": "x"}, headers=alice)
    assert r.status_code == 400
    log = (await client.get("/_emulator/log")).json()["entries"]
    assert [e["quota_cost"] for e in log] == [0, 20, 0]


async def test_patch_tunnelled_through_post_keeps_its_body(
    tiny: Tiny, client: httpx.AsyncClient
) -> None:
    """googleapiclient's tunnel_patch (POST + override PATCH, JSON body) reaches the PATCH route."""
    r = await client.post(
        "/gmail/v1/users/me/labels/Label_1",
        headers={**auth(tiny.token_alice), "x-http-method-override": "PATCH"},
        json={"name": "gpanel/Customers"},
    )
    assert r.json() == {"method": "PATCH", "body": {"name": "gpanel/Customers"}}
    entry = (await client.get("/_emulator/log")).json()["entries"][0]
    assert (entry["method_id"], entry["quota_cost"]) == ("gmail.users.labels.patch", 5)
