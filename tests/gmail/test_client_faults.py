"""Fault handling at the client boundary (respx): tokens, backoff, retries, malformed answers."""

from __future__ import annotations

import base64
import json

import httpx
import pytest

from gpanel.gmail.errors import (
    BadResponse,
    HistoryExpired,
    InvalidRequest,
    RateLimited,
    ReconnectRequired,
    ScopeMissing,
    SendLimitExceeded,
    TokenExpired,
    Unavailable,
)
from gpanel.gmail.retry import RetryPolicy
from tests.gmail.fakes import Tokens, google_error, make_client

PROFILE = "/gmail/v1/users/me/profile"
RATE_403 = {
    "error": {
        "code": 403,
        "message": "User Rate Limit Exceeded",
        "errors": [
            {
                "domain": "usageLimits",
                "reason": "userRateLimitExceeded",
                "message": "User Rate Limit Exceeded",
            }
        ],
    }
}
CONCURRENT_429 = google_error(
    429, "Too many concurrent requests for user", "rateLimitExceeded", status="RESOURCE_EXHAUSTED"
)
OK = {"emailAddress": "a@example.com", "historyId": "42"}


async def test_401_refreshes_once_and_retries(router, http, tokens, fake_time):
    """A 401 forces one token refresh; the retry carries the new token and succeeds."""
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["authorization"])
        if request.headers["authorization"] == "Bearer tok-mb-0":
            return httpx.Response(401, json=google_error(401, "Invalid Credentials", "authError"))
        return httpx.Response(200, json=OK)

    router.get(PROFILE).mock(side_effect=answer)
    client = make_client(http, tokens, fake_time)
    assert await client.mailbox("mb").profile() == OK
    assert seen == ["Bearer tok-mb-0", "Bearer tok-mb-1"]
    assert tokens.refreshes["mb"] == 1
    assert fake_time.delays == []  # a refresh is not a backoff
    assert client.stats.snapshot().get("mb").refreshes == 1


async def test_401_twice_raises_token_expired(router, http, tokens, fake_time):
    """A second 401 after the refresh is final: TokenExpired, an AuthError with user words."""
    route = router.get(PROFILE).respond(401, json=google_error(401, "Invalid", "authError"))
    client = make_client(http, tokens, fake_time)
    with pytest.raises(TokenExpired) as info:
        await client.mailbox("mb").profile()
    assert route.call_count == 2
    assert tokens.refreshes["mb"] == 1
    assert "Reconnect" in info.value.user_message


async def test_refresh_failing_with_invalid_grant_surfaces_reconnect(router, http, fake_time):
    """If the forced refresh finds the refresh token dead, the caller sees ReconnectRequired."""

    class DeadTokens(Tokens):
        async def refresh(self, mailbox: str) -> str:
            raise ReconnectRequired("Refresh token refused", reason="invalid_grant")

    router.get(PROFILE).respond(401, json=google_error(401, "Invalid", "authError"))
    client = make_client(http, DeadTokens(), fake_time)
    with pytest.raises(ReconnectRequired) as info:
        await client.mailbox("mb").profile()
    assert info.value.user_message == (
        "Google no longer accepts gpanel's access to this mailbox: reconnect"
    )


@pytest.mark.parametrize(
    ("status", "body", "headers", "delays", "error"),
    [
        (403, RATE_403, {}, [1.5, 2.5, 4.5], "RateLimited"),
        # Refused for concurrency: nothing was done, so the brief schedule 0.05 * 2^n + 0.05 *
        # jitter applies (docs/gmail-facts.md, "Retries and backoff").
        (429, CONCURRENT_429, {}, [0.075, 0.125, 0.225], "TooManyConcurrent"),
    ],
)
async def test_rate_limits_back_off_by_the_formula(
    router, http, tokens, fake_time, status, body, headers, delays, error
):
    """403 userRateLimitExceeded waits 2^n + jitter seconds before each retry; a 429 for
    concurrency waits 0.05 * 2^n + 0.05 * jitter."""
    route = router.get(PROFILE)
    route.side_effect = [httpx.Response(status, json=body, headers=headers)] * 3 + [
        httpx.Response(200, json=OK)
    ]
    client = make_client(http, tokens, fake_time)
    assert await client.mailbox("mb").profile() == OK
    assert fake_time.delays == pytest.approx(delays)  # jitter fixed at 0.5
    counters = client.stats.snapshot().get("mb")
    assert counters.retries == 3 and counters.requests == 4
    assert counters.errors[error] == 3
    # Each try is its own sequential round trip (they are separated by waits).
    assert counters.round_trips == 4


async def test_backoff_is_capped_at_64_seconds(router, http, tokens, fake_time):
    """Later retries wait at most 64 s, whatever 2^n says."""
    router.get(PROFILE).respond(503, json=google_error(503, "Unavailable", "backendError"))
    client = make_client(http, tokens, fake_time)
    with pytest.raises(Unavailable):
        await client.mailbox("mb").profile()
    assert fake_time.delays == [1.5, 2.5, 4.5, 8.5, 16.5, 32.5, 64.0]  # 8 tries, 7 waits


async def test_retry_after_header_is_honoured(router, http, tokens, fake_time):
    """A Retry-After longer than the computed wait is what the client waits."""
    router.get(PROFILE).mock(
        side_effect=[
            httpx.Response(429, json=CONCURRENT_429, headers={"Retry-After": "7"}),
            httpx.Response(200, json=OK),
        ]
    )
    client = make_client(http, tokens, fake_time)
    await client.mailbox("mb").profile()
    assert fake_time.delays == [7.0]


async def test_500_and_503_are_retried(router, http, tokens, fake_time):
    """Backend errors are retried and the call succeeds once Google recovers."""
    router.get(PROFILE).mock(
        side_effect=[
            httpx.Response(500, json=google_error(500, "Backend Error", "backendError")),
            httpx.Response(503, json=google_error(503, "Unavailable", "backendError")),
            httpx.Response(200, json=OK),
        ]
    )
    client = make_client(http, tokens, fake_time)
    assert await client.mailbox("mb").profile() == OK
    assert len(fake_time.delays) == 2


async def test_exhausted_tries_raise_unavailable(router, http, tokens, fake_time):
    """After max_tries 5xx answers the caller gets Unavailable with plain words."""
    route = router.get(PROFILE).respond(500, json=google_error(500, "Backend", "backendError"))
    policy = RetryPolicy(
        max_tries=3, sleep=fake_time.sleep, clock=fake_time.clock, jitter=lambda: 0.0
    )
    client = make_client(http, tokens, fake_time, retry=policy)
    with pytest.raises(Unavailable) as info:
        await client.mailbox("mb").profile()
    assert route.call_count == 3
    assert fake_time.delays == [1.0, 2.0]
    assert info.value.status == 500 and info.value.user_message


async def test_exhausted_rate_limit_raises_rate_limited(router, http, tokens, fake_time):
    """Rate limits that never lift end as RateLimited (the view shows a retry notice)."""
    router.get(PROFILE).respond(429, json=CONCURRENT_429)
    policy = RetryPolicy(max_tries=2, sleep=fake_time.sleep, clock=fake_time.clock)
    client = make_client(http, tokens, fake_time, retry=policy)
    with pytest.raises(RateLimited):
        await client.mailbox("mb").profile()


async def test_transport_errors_are_retried_then_unavailable(router, http, tokens, fake_time):
    """Connection failures are retried, and reported as Unavailable when they persist."""
    route = router.get(PROFILE).mock(side_effect=httpx.ConnectError("refused"))
    policy = RetryPolicy(max_tries=3, sleep=fake_time.sleep, clock=fake_time.clock)
    client = make_client(http, tokens, fake_time, retry=policy)
    with pytest.raises(Unavailable):
        await client.mailbox("mb").profile()
    assert route.call_count == 3


async def test_deadline_gives_up_early(router, http, tokens, fake_time):
    """With a 5 s deadline the client stops retrying once the next wait would pass it."""
    route = router.get(PROFILE).respond(503, json=google_error(503, "Unavailable", "backendError"))
    policy = RetryPolicy(
        deadline=5.0, sleep=fake_time.sleep, clock=fake_time.clock, jitter=lambda: 0.5
    )
    client = make_client(http, tokens, fake_time)
    with pytest.raises(Unavailable):
        await client.mailbox("mb", retry=policy).profile()
    assert fake_time.delays == [1.5, 2.5]  # the third wait (4.5 s) would end past 5 s
    assert route.call_count == 3


async def test_malformed_json_is_a_clear_error(router, http, tokens, fake_time):
    """A 200 whose body is not JSON raises BadResponse naming the method, not a ValueError."""
    router.get(PROFILE).respond(200, content=b"<html>oops</html>")
    client = make_client(http, tokens, fake_time)
    with pytest.raises(BadResponse) as info:
        await client.mailbox("mb").profile()
    assert "gmail.users.getProfile" in str(info.value)
    assert "oops" not in str(info.value)


async def test_scope_missing_is_not_retried(router, http, tokens, fake_time):
    """403 insufficientPermissions is final and names the scope to ask for."""
    route = router.get(PROFILE).respond(
        403, json=google_error(403, "Insufficient Permission", "insufficientPermissions")
    )
    client = make_client(http, tokens, fake_time)
    with pytest.raises(ScopeMissing) as info:
        await client.mailbox("mb").profile()
    assert route.call_count == 1
    assert info.value.scope.endswith("gmail.modify")


async def test_history_404_is_history_expired(router, http, tokens, fake_time):
    """A stale startHistoryId (404 on history.list) raises HistoryExpired: resync fully."""
    router.get("/gmail/v1/users/me/history").respond(
        404, json=google_error(404, "Requested entity was not found.", "notFound")
    )
    client = make_client(http, tokens, fake_time)
    with pytest.raises(HistoryExpired):
        await client.mailbox("mb").history("123")


async def test_long_query_goes_as_post_with_method_override(router, http, tokens, fake_time):
    """A GET longer than 2 KB is sent as POST + x-http-method-override with a form body."""
    route = router.post("/gmail/v1/users/me/threads").respond(200, json={"threads": []})
    q = "{" + " ".join(f"from:person{i}@example.com" for i in range(120)) + "}"
    client = make_client(http, tokens, fake_time)
    await client.mailbox("mb").list_threads(q, max_results=25)
    request = route.calls.last.request
    assert request.headers["x-http-method-override"] == "GET"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert request.url.query == b""
    form = httpx.QueryParams(request.content.decode())
    assert form["q"] == q and form["maxResults"] == "25"


async def test_short_query_stays_a_get(router, http, tokens, fake_time):
    """Ordinary searches are plain GETs with the query in the URL."""
    route = router.get("/gmail/v1/users/me/threads").respond(200, json={"threads": []})
    client = make_client(http, tokens, fake_time)
    await client.mailbox("mb").list_threads("from:a@example.com")
    assert route.calls.last.request.url.params["q"] == "from:a@example.com"


async def test_oversized_send_is_refused_before_the_network(router, http, tokens, fake_time):
    """A message over 35 MB raises InvalidRequest and nothing is sent (no route is mocked)."""
    client = make_client(http, tokens, fake_time)
    with pytest.raises(InvalidRequest) as info:
        await client.mailbox("mb").send(b"x" * (36_700_160 + 1))
    assert "35 MB" in info.value.user_message
    assert client.stats.snapshot().get("mb").requests == 0


async def test_send_limit_is_reported_not_waited_for(router, http, tokens, fake_time):
    """429 "Retry after <ISO>" on send raises SendLimitExceeded with the time, at once."""
    route = router.post("/gmail/v1/users/me/messages/send").respond(
        429,
        json=google_error(
            429,
            "User-rate limit exceeded.  Retry after 2099-01-01T10:00:00.000Z",
            "rateLimitExceeded",
        ),
    )
    client = make_client(http, tokens, fake_time)
    with pytest.raises(SendLimitExceeded) as info:
        await client.mailbox("mb").send(b"From: a@example.com\r\n\r\nhi")
    assert route.call_count == 1 and fake_time.delays == []
    assert info.value.retry_at is not None and info.value.retry_at.year == 2099


async def test_send_is_not_retried_after_a_5xx(router, http, tokens, fake_time):
    """A 5xx on send may have sent the mail: it is not repeated (no duplicate email)."""
    route = router.post("/gmail/v1/users/me/messages/send").respond(
        500, json=google_error(500, "Backend Error", "backendError")
    )
    client = make_client(http, tokens, fake_time)
    with pytest.raises(Unavailable):
        await client.mailbox("mb").send(b"From: a@example.com\r\n\r\nhi")
    assert route.call_count == 1


async def test_send_goes_as_json_raw_with_thread_id(router, http, tokens, fake_time):
    """A small message is sent as base64url `raw` with the threadId."""
    route = router.post("/gmail/v1/users/me/messages/send").respond(
        200, json={"id": "m1", "threadId": "t1"}
    )
    client = make_client(http, tokens, fake_time)
    raw = b"From: a@example.com\r\nSubject: x\r\n\r\nhello"
    assert (await client.mailbox("mb").send(raw, thread_id="t1"))["id"] == "m1"
    body = json.loads(route.calls.last.request.content)
    assert base64.urlsafe_b64decode(body["raw"]) == raw and body["threadId"] == "t1"


async def test_large_send_uses_a_resumable_upload(router, http, tokens, fake_time):
    """Over 5 MB (simple and multipart uploads stop there) the message goes by resumable
    upload: the metadata opens a session at /upload/...?uploadType=resumable, the bytes go in
    one PUT to its Location."""
    session = "https://gmail.googleapis.com/upload/gmail/v1/session/abc"
    opened = router.post("/upload/gmail/v1/users/me/messages/send").respond(
        200, headers={"Location": session}
    )
    put = router.put(session).respond(200, json={"id": "m2", "threadId": "t9"})
    client = make_client(http, tokens, fake_time)
    raw = b"From: a@example.com\r\n\r\n" + b"y" * (6 * 1024 * 1024)
    assert (await client.mailbox("mb").send(raw, thread_id="t9"))["id"] == "m2"
    start = opened.calls.last.request
    assert start.url.params["uploadType"] == "resumable"
    assert start.headers["x-upload-content-type"] == "message/rfc822"
    assert start.headers["x-upload-content-length"] == str(len(raw))
    assert json.loads(start.content) == {"threadId": "t9"}
    assert put.call_count == 1 and put.calls.last.request.content == raw


async def test_discovery_validation_refuses_bad_parameters(router, http, tokens, fake_time):
    """Parameters the discovery document forbids are refused before sending."""
    client = make_client(http, tokens, fake_time)
    with pytest.raises(InvalidRequest):
        await client.mailbox("mb").get_thread("t1", format="bogus")
    with pytest.raises(InvalidRequest):
        await client.mailbox("mb").list_threads(max_results=-1)
