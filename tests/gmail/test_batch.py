"""The batch endpoint: envelope round trip, per-part results, and retry of failed parts only."""

from __future__ import annotations

import httpx
import pytest

from gpanel.gmail import discovery
from gpanel.gmail.batch import decode_batch, encode_batch
from gpanel.gmail.errors import NotFound, RateLimited, TokenExpired
from tests.gmail.fakes import (
    batch_answer,
    google_error,
    make_client,
    parse_batch_request,
)

BATCH = "/batch/gmail/v1"
RATE = google_error(429, "Too many concurrent requests for user", "rateLimitExceeded")


def _thread_id(target: str) -> str:
    return target.split("?")[0].rsplit("/", 1)[1]


def test_envelope_is_multipart_mixed_with_crlf_and_content_ids():
    """Each call becomes an application/http part with a Content-ID and a request line."""
    calls = [
        (
            f"cid+{i}",
            discovery.build(
                "gmail.users.threads.get", {"userId": "me", "id": f"t{i}", "format": "metadata"}
            ),
        )
        for i in range(3)
    ]
    body, content_type = encode_batch(calls)
    assert content_type.startswith("multipart/mixed; boundary=")
    assert b"\r\n" in body and b"\n" not in body.replace(b"\r\n", b"")
    request = httpx.Request(
        "POST", "https://x/batch", content=body, headers={"Content-Type": content_type}
    )
    parts = parse_batch_request(request)
    assert [p[0] for p in parts] == ["cid+0", "cid+1", "cid+2"]
    assert parts[1][1:] == ("GET", "/gmail/v1/users/me/threads/t1?format=metadata")


def test_more_than_100_parts_is_refused():
    """Google refuses more than 100 inner requests; so does the encoder."""
    built = discovery.build("gmail.users.getProfile", {"userId": "me"})
    with pytest.raises(ValueError):
        encode_batch([(str(i), built) for i in range(101)])


def test_decode_maps_response_content_ids_and_keeps_utf8():
    """`Content-ID: <response-X>` maps back to X; non-ASCII JSON survives intact."""
    boundary = "b0undary"
    body = (
        f"--{boundary}\r\nContent-Type: application/http\r\nContent-ID: <response-k+1>\r\n\r\n"
        "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n\r\n{}\r\n"
        f"--{boundary}\r\nContent-Type: application/http\r\nContent-ID: <response-k+0>\r\n\r\n"
        "HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n"
        '{"snippet": "caf\u00e9 \u2603"}\r\n'
        f"--{boundary}--\r\n"
    ).encode()
    parts = decode_batch(f"multipart/mixed; boundary={boundary}", body)
    assert parts["k+1"].status == 404
    assert parts["k+0"].status == 200
    assert parts["k+0"].body.decode() == '{"snippet": "caf\u00e9 \u2603"}'


async def test_mixed_part_statuses_give_per_item_results_and_retry_only_429(
    router, http, tokens, fake_time
):
    """200, 404 and 429 parts: 404 is that item's NotFound, only the 429 part is re-sent."""
    sent: list[list[str]] = []
    throttled_once: set[str] = set()

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append([_thread_id(t) for _, _, t in parse_batch_request(request)])

        def part(verb: str, target: str):
            tid = _thread_id(target)
            if tid == "gone":
                return 404, google_error(404, "Requested entity was not found.", "notFound")
            if tid == "busy" and tid not in throttled_once:
                throttled_once.add(tid)
                return 429, RATE
            return 200, {"id": tid, "historyId": "7"}

        return batch_answer(request, part)

    router.post(BATCH).mock(side_effect=answer)
    client = make_client(http, tokens, fake_time)
    result = await client.mailbox("mb").batch_get_threads(["ok", "gone", "busy"])
    assert result["ok"] == {"id": "ok", "historyId": "7"}
    assert isinstance(result["gone"], NotFound)
    assert result["busy"] == {"id": "busy", "historyId": "7"}
    assert sent == [["ok", "gone", "busy"], ["busy"]]
    assert fake_time.delays == pytest.approx([0.075])  # a concurrency refusal: brief wait
    counters = client.stats.snapshot().get("mb")
    assert counters.requests == 2 and counters.calls == 4 and counters.batches == 2
    assert counters.units == 4 * 40  # threads.get costs 40 in the 2026 regime


async def test_parts_still_throttled_after_all_tries_keep_their_error(
    router, http, tokens, fake_time
):
    """A part that stays rate limited ends as its RateLimited; the others still succeed."""

    def answer(request: httpx.Request) -> httpx.Response:
        return batch_answer(
            request,
            lambda verb, target: (
                (429, RATE) if _thread_id(target) == "busy" else (200, {"id": "x"})
            ),
        )

    router.post(BATCH).mock(side_effect=answer)
    from gpanel.gmail.retry import RetryPolicy

    policy = RetryPolicy(max_tries=3, sleep=fake_time.sleep, clock=fake_time.clock)
    client = make_client(http, tokens, fake_time, retry=policy)
    result = await client.mailbox("mb").batch_get_threads(["a", "busy"])
    assert result["a"] == {"id": "x"}
    assert isinstance(result["busy"], RateLimited)
    assert len(fake_time.delays) == 2


async def test_60_ids_make_two_chunks_of_50_and_10(router, http, tokens, fake_time):
    """batch_size 50 with room for 50 in flight: 60 ids are 2 batch requests, each part asked
    once, duplicates merged."""
    sizes: list[int] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sizes.append(len(parse_batch_request(request)))
        return batch_answer(request, lambda v, t: (200, {"id": _thread_id(t)}))

    router.post(BATCH).mock(side_effect=answer)
    client = make_client(http, tokens, fake_time, max_inflight=50)
    ids = [f"t{i}" for i in range(60)] + ["t0", "t1"]
    result = await client.mailbox("mb").batch_get_messages(ids, metadata_headers=["From"])
    assert sorted(sizes) == [10, 50]
    assert list(result) == [f"t{i}" for i in range(60)]
    assert all(result[i] == {"id": i} for i in result)
    counters = client.stats.snapshot().get("mb")
    assert counters.calls == 60 and counters.units == 60 * 20


async def test_batch_size_parameter_sets_the_chunk(router, http, tokens, fake_time):
    """A client made with batch_size=20 sends 60 ids as three batches."""
    sizes: list[int] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sizes.append(len(parse_batch_request(request)))
        return batch_answer(request, lambda v, t: (200, {"id": _thread_id(t)}))

    router.post(BATCH).mock(side_effect=answer)
    client = make_client(http, tokens, fake_time, batch_size=20, max_inflight=100)
    await client.mailbox("mb").batch_get_threads([f"t{i}" for i in range(60)])
    assert sizes == [20, 20, 20]


async def test_part_401_refreshes_once(router, http, tokens, fake_time):
    """A 401 inside a batch refreshes the token once and re-sends just those parts."""
    auths: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        auths.append(request.headers["authorization"])
        fresh = request.headers["authorization"].endswith("-1")
        return batch_answer(
            request,
            lambda v, t: (
                (200, {"id": "x"})
                if fresh or _thread_id(t) == "a"
                else (401, google_error(401, "Invalid Credentials", "authError"))
            ),
        )

    router.post(BATCH).mock(side_effect=answer)
    client = make_client(http, tokens, fake_time)
    result = await client.mailbox("mb").batch_get_threads(["a", "b"])
    assert result == {"a": {"id": "x"}, "b": {"id": "x"}}
    assert auths == ["Bearer tok-mb-0", "Bearer tok-mb-1"]


async def test_part_401_after_refresh_is_token_expired(router, http, tokens, fake_time):
    """Parts still refused after the refresh end as TokenExpired for those items."""
    router.post(BATCH).mock(
        side_effect=lambda request: batch_answer(
            request, lambda v, t: (401, google_error(401, "Invalid Credentials", "authError"))
        )
    )
    client = make_client(http, tokens, fake_time)
    result = await client.mailbox("mb").batch_get_threads(["a"])
    assert isinstance(result["a"], TokenExpired)
    assert tokens.refreshes["mb"] == 1


async def test_outer_batch_failure_is_retried_whole(router, http, tokens, fake_time):
    """A 503 for the whole envelope is retried like any request."""
    calls = {"n": 0}

    def answer(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if calls["n"] == 1:
            return httpx.Response(503, json=google_error(503, "Unavailable", "backendError"))
        return batch_answer(request, lambda v, t: (200, {"id": "x"}))

    router.post(BATCH).mock(side_effect=answer)
    client = make_client(http, tokens, fake_time)
    assert await client.mailbox("mb").batch_get_threads(["a"]) == {"a": {"id": "x"}}
    assert calls["n"] == 2
