"""The batch endpoint's envelope handling, on the wire layer with a tiny downstream app.

Pins down: parts answered in order with their own status and `Content-ID: <response-...>`, each
part charged and logged as a batch part, more than 100 parts refused with Google's message before
any part runs, malformed envelopes refused with a 400 in Google's shape, per-part credentials,
and a dropped part dropping the batch.
"""

from __future__ import annotations

import email
import email.policy
import json
from typing import Any

import httpx
import pytest

from tests.emulator.wire.tiny import ALICE, BOB, Tiny, auth


def envelope(requests: list[str], boundary: str = "b0und4ry", ids: bool = True) -> bytes:
    """A multipart/mixed batch body with one application/http part per request text."""
    out = []
    for i, text in enumerate(requests):
        head = "Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n"
        if ids:
            head += f"Content-ID: <base + {i}>\r\n"
        out.append(f"--{boundary}\r\n{head}\r\n{text}\r\n")
    out.append(f"--{boundary}--\r\n")
    return "".join(out).encode()


def parse_batch_response(response: httpx.Response) -> list[tuple[str | None, int, Any]]:
    """(Content-ID, status, JSON body) per part, parsed as a client library would."""
    assert response.status_code == 200, response.text
    ctype = response.headers["content-type"]
    assert ctype.startswith("multipart/mixed; boundary=batch_")
    head = f"Content-Type: {ctype}\r\n\r\n".encode()
    msg = email.message_from_bytes(head + response.content, policy=email.policy.compat32)
    out = []
    for part in msg.get_payload():
        assert part.get_content_type() == "application/http"
        payload = part.get_payload(decode=True)
        status_line, rest = payload.split(b"\r\n", 1)
        proto, status, reason = status_line.decode().split(" ", 2)
        assert proto == "HTTP/1.1" and reason
        body = rest.split(b"\r\n\r\n", 1)[1]
        out.append((part["Content-ID"], int(status), json.loads(body)))
    return out


async def post_batch(
    client: httpx.AsyncClient, body: bytes, token: str, path: str = "/batch/gmail/v1"
) -> httpx.Response:
    return await client.post(
        path,
        content=body,
        headers={**auth(token), "Content-Type": 'multipart/mixed; boundary="b0und4ry"'},
    )


async def test_batch_of_50_gets_answers_each_part_in_order(
    tiny: Tiny, client: httpx.AsyncClient
) -> None:
    """Fifty gets: fifty 200 parts, Content-IDs mapped to response-..., each part charged."""
    await client.put("/_emulator/quota", json={"max_concurrent_per_user": 50})
    body = envelope([f"GET /gmail/v1/users/me/messages/m{i}?format=metadata" for i in range(50)])
    parts = parse_batch_response(await post_batch(client, body, tiny.token_alice))
    assert [p[0] for p in parts] == [f"<response-base + {i}>" for i in range(50)]
    assert [p[1] for p in parts] == [200] * 50
    assert [p[2]["id"] for p in parts] == [f"m{i}" for i in range(50)]
    log = (await client.get("/_emulator/log")).json()["entries"]
    assert len(log) == 50
    assert all(e["batch_part"] and e["method_id"] == "gmail.users.messages.get" for e in log)
    usage = (await client.get("/_emulator/quota/usage")).json()["users"]
    assert usage == {ALICE: 50 * 20}


async def test_both_batch_paths_and_reason_phrases(tiny: Tiny, client: httpx.AsyncClient) -> None:
    """/batch works like /batch/gmail/v1; a failing part keeps its own status and phrase."""
    body = envelope(
        [
            "GET /gmail/v1/users/me/messages/ok1",
            "GET /gmail/v1/users/me/messages/missing",
            "GET /gmail/v1/users/me/messages/ok2",
        ]
    )
    response = await post_batch(client, body, tiny.token_alice, path="/batch")
    assert b"HTTP/1.1 404 Not Found\r\n" in response.content
    assert b"HTTP/1.1 200 OK\r\n" in response.content
    parts = parse_batch_response(response)
    assert [p[1] for p in parts] == [200, 404, 200]
    assert parts[1][2]["error"]["errors"][0]["reason"] == "notFound"


async def test_more_than_100_parts_is_refused_before_any_part_runs(
    tiny: Tiny, client: httpx.AsyncClient
) -> None:
    """101 parts: Google's 400 "Inner request count exceeds the limit", and nothing dispatched."""
    body = envelope([f"GET /gmail/v1/users/me/messages/m{i}" for i in range(101)])
    r = await post_batch(client, body, tiny.token_alice)
    assert r.status_code == 400
    assert r.json() == {
        "error": {
            "code": 400,
            "message": "Inner request count exceeds the limit. Received: 101, Limit: 100",
            "status": "INVALID_ARGUMENT",
        }
    }
    assert (await client.get("/_emulator/log")).json()["entries"] == []
    # Exactly 100 is fine.
    body = envelope([f"GET /gmail/v1/users/me/messages/m{i}" for i in range(100)])
    assert len(parse_batch_response(await post_batch(client, body, tiny.token_alice))) == 100


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", b"{}"),
        ("multipart/mixed", b"--x\r\n\r\nGET /gmail/v1/users/me/messages/a\r\n--x--"),
        ('multipart/mixed; boundary="zz"', b"no boundary anywhere"),
        ('multipart/mixed; boundary="zz"', b"--zz\r\nContent-Type: text/plain\r\n\r\nhi\r\n--zz--"),
        (
            'multipart/mixed; boundary="zz"',
            b"--zz\r\nContent-Type: application/http\r\n\r\n\r\n--zz--",
        ),
        ('multipart/mixed; boundary="zz"', b"--zz--\r\n"),
    ],
)
async def test_malformed_envelopes_answer_400_in_google_shape(
    tiny: Tiny, client: httpx.AsyncClient, content_type: str, body: bytes
) -> None:
    """Wrong content type, missing boundary, non-HTTP parts, empty batch: 400, never 500."""
    r = await client.post(
        "/batch/gmail/v1",
        content=body,
        headers={**auth(tiny.token_alice), "Content-Type": content_type},
    )
    assert r.status_code == 400, r.text
    err = r.json()["error"]
    assert err["code"] == 400 and err["status"] == "INVALID_ARGUMENT" and err["message"]
    assert (await client.get("/_emulator/log")).json()["entries"] == []


async def test_each_part_uses_its_own_credentials_or_the_envelopes(
    tiny: Tiny, client: httpx.AsyncClient
) -> None:
    """A part with its own Authorization is charged to that user; others to the envelope's."""
    body = envelope(
        [
            "GET /gmail/v1/users/me/messages/a",
            f"GET /gmail/v1/users/me/messages/b\r\nAuthorization: Bearer {tiny.token_bob}",
        ]
    )
    parse_batch_response(await post_batch(client, body, tiny.token_alice))
    log = (await client.get("/_emulator/log")).json()["entries"]
    assert sorted((e["path"][-1], e["user"]) for e in log) == [("a", ALICE), ("b", BOB)]


async def test_faults_hit_single_parts(tiny: Tiny, client: httpx.AsyncClient) -> None:
    """A queued 429 answers one part only; its neighbours succeed."""
    await client.post("/_emulator/faults", json={"user": ALICE, "kind": "429"})
    body = envelope([f"GET /gmail/v1/users/me/messages/m{i}" for i in range(5)])
    await client.put("/_emulator/quota", json={"batch_parallelism": 1})
    parts = parse_batch_response(await post_batch(client, body, tiny.token_alice))
    assert [p[1] for p in parts] == [429, 200, 200, 200, 200]


async def test_a_dropped_part_drops_the_whole_batch(tiny: Tiny, client: httpx.AsyncClient) -> None:
    """The parts share one connection, so an injected drop closes it for the batch."""
    await client.post("/_emulator/faults", json={"user": ALICE, "kind": "drop"})
    body = envelope([f"GET /gmail/v1/users/me/messages/m{i}" for i in range(3)])
    with pytest.raises(httpx.TransportError):
        await post_batch(client, body, tiny.token_alice)


async def test_non_gmail_parts_get_a_part_level_404(tiny: Tiny, client: httpx.AsyncClient) -> None:
    """A part may not reach the control API or another batch; it answers 404 on its own."""
    body = envelope(["GET /_emulator/log", "GET /gmail/v1/users/me/messages/a"])
    parts = parse_batch_response(await post_batch(client, body, tiny.token_alice))
    assert [p[1] for p in parts] == [404, 200]


async def test_parts_without_content_id_and_with_absolute_urls(
    tiny: Tiny, client: httpx.AsyncClient
) -> None:
    """Absolute request URLs are accepted; a part without Content-ID gets none back."""
    body = envelope(["GET http://emu/gmail/v1/users/me/messages/abs HTTP/1.1"], ids=False)
    parts = parse_batch_response(await post_batch(client, body, tiny.token_alice))
    assert parts == [(None, 200, {"id": "abs", "threadId": "t1"})]
