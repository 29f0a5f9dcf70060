"""Google's token endpoint over HTTP: refresh, invalid_grant, revoke; single-flight refresh."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from gpanel.gmail.errors import AuthError, ReconnectRequired, Unavailable
from gpanel.gmail.oauth import SingleFlight, refresh_access_token, revoke_token

TOKEN_URI = "https://oauth2.test/token"
REVOKE_URI = "https://oauth2.test/revoke"


async def test_refresh_returns_token_expiry_and_scopes(router, http):
    """A good refresh gives the access token, an absolute expiry and the granted scopes."""
    route = router.post(TOKEN_URI).respond(
        200,
        json={
            "access_token": "ya29.new",
            "expires_in": 3599,
            "scope": "openid https://www.googleapis.com/auth/gmail.modify",
            "token_type": "Bearer",
        },
    )
    got = await refresh_access_token(http, TOKEN_URI, "cid", "secret", "1//rt", now=lambda: 100.0)
    assert got.access_token == "ya29.new"
    assert got.expires_at == 3699.0
    assert "https://www.googleapis.com/auth/gmail.modify" in got.scope
    assert got.refresh_token is None
    form = httpx.QueryParams(route.calls.last.request.content.decode())
    assert form["grant_type"] == "refresh_token" and form["refresh_token"] == "1//rt"
    assert "ya29.new" not in repr(got)


async def test_invalid_grant_is_reconnect_required_in_plain_words(router, http):
    """400 invalid_grant (revoked, expired, password change) means the user must reconnect."""
    router.post(TOKEN_URI).respond(
        400,
        json={"error": "invalid_grant", "error_description": "Token has been expired or revoked."},
    )
    with pytest.raises(ReconnectRequired) as info:
        await refresh_access_token(http, TOKEN_URI, "cid", "secret", "1//dead")
    assert info.value.user_message == (
        "Google no longer accepts gpanel's access to this mailbox: reconnect"
    )
    assert "1//dead" not in str(info.value)


async def test_invalid_client_is_an_auth_error_for_the_admin(router, http):
    """A misconfigured OAuth client is an AuthError that points at the administrator."""
    router.post(TOKEN_URI).respond(401, json={"error": "invalid_client"})
    with pytest.raises(AuthError) as info:
        await refresh_access_token(http, TOKEN_URI, "cid", "bad", "1//rt")
    assert not isinstance(info.value, ReconnectRequired)
    assert "administrator" in info.value.user_message


async def test_token_endpoint_down_is_unavailable(router, http):
    """A 5xx or an HTML error page from the token endpoint is Unavailable, not a crash."""
    router.post(TOKEN_URI).respond(503, content=b"<html>down</html>")
    with pytest.raises(Unavailable):
        await refresh_access_token(http, TOKEN_URI, "cid", "secret", "1//rt")


async def test_revoke_posts_the_token_and_accepts_already_invalid(router, http):
    """Revoke POSTs the token; Google's 400 for an already dead token counts as done."""
    route = router.post(REVOKE_URI).mock(
        side_effect=[httpx.Response(200), httpx.Response(400, json={"error": "invalid_token"})]
    )
    await revoke_token(http, REVOKE_URI, "1//rt")
    await revoke_token(http, REVOKE_URI, "1//rt")
    assert httpx.QueryParams(route.calls.last.request.content.decode())["token"] == "1//rt"


async def test_fifty_concurrent_refreshes_make_one_request(router, http):
    """SingleFlight: 50 callers refreshing one mailbox at once share one token request."""
    gate = asyncio.Event()

    async def slow_answer(request: httpx.Request) -> httpx.Response:
        await gate.wait()
        return httpx.Response(200, json={"access_token": "ya29.shared", "expires_in": 3600})

    route = router.post(TOKEN_URI).mock(side_effect=slow_answer)
    flight: SingleFlight[str] = SingleFlight()

    async def refresh() -> str:
        got = await refresh_access_token(http, TOKEN_URI, "cid", "secret", "1//rt")
        return got.access_token

    tasks = [asyncio.create_task(flight.run("mailbox-1", refresh)) for _ in range(50)]
    await asyncio.sleep(0.01)
    assert flight.in_flight("mailbox-1")
    gate.set()
    results = await asyncio.gather(*tasks)
    assert results == ["ya29.shared"] * 50
    assert route.call_count == 1
    assert not flight.in_flight("mailbox-1")
    # Once finished, the next refresh is a new request, not a stale result.
    await flight.run("mailbox-1", refresh)
    assert route.call_count == 2


async def test_single_flight_shares_failures_and_keeps_keys_apart():
    """Concurrent callers see the same exception; other keys run their own call."""
    started: list[str] = []

    async def fail() -> str:
        started.append("a")
        await asyncio.sleep(0)
        raise ReconnectRequired("dead")

    async def ok() -> str:
        started.append("b")
        return "fine"

    flight: SingleFlight[str] = SingleFlight()
    outcomes = await asyncio.gather(
        *(flight.run("a", fail) for _ in range(5)), flight.run("b", ok), return_exceptions=True
    )
    assert all(isinstance(o, ReconnectRequired) for o in outcomes[:5])
    assert outcomes[5] == "fine"
    assert started == ["a", "b"]


async def test_one_cancelled_caller_does_not_cancel_the_shared_refresh():
    """Cancelling one waiter leaves the refresh running for the others."""
    gate = asyncio.Event()

    async def refresh() -> str:
        await gate.wait()
        return "tok"

    flight: SingleFlight[str] = SingleFlight()
    first = asyncio.create_task(flight.run("k", refresh))
    second = asyncio.create_task(flight.run("k", refresh))
    await asyncio.sleep(0)
    first.cancel()
    gate.set()
    assert await second == "tok"
