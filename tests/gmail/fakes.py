"""Real, small stand-ins for the gmail client's collaborators in unit tests.

`Tokens` is a working `TokenProvider` (numbered tokens, counted refreshes); `FakeTime` is a
clock plus an `asyncio.sleep` replacement that records every wait and advances the clock;
`batch_answer` writes Google's multipart/mixed batch answer for a request, parsing the
request with the `email` package independently of the code under test.
"""

from __future__ import annotations

import asyncio
import email.policy
import json
from collections import Counter
from collections.abc import Callable
from email.parser import BytesParser
from typing import Any

import httpx

from gpanel.gmail.budget import InProcessBudget
from gpanel.gmail.client import GmailClient
from gpanel.gmail.retry import RetryPolicy

BASE = "https://gmail.test"


class Tokens:
    def __init__(self) -> None:
        self.refreshes: Counter[str] = Counter()
        self.current: dict[str, str] = {}

    async def access_token(self, mailbox: str) -> str:
        return self.current.setdefault(mailbox, f"tok-{mailbox}-0")

    async def refresh(self, mailbox: str) -> str:
        self.refreshes[mailbox] += 1
        token = f"tok-{mailbox}-{self.refreshes[mailbox]}"
        self.current[mailbox] = token
        return token


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.delays: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.delays.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


def make_client(
    http: httpx.AsyncClient,
    tokens: Tokens,
    time: FakeTime,
    *,
    per_minute: int = 6000,
    retry: RetryPolicy | None = None,
    **kw: Any,
) -> GmailClient:
    policy = retry or RetryPolicy(sleep=time.sleep, clock=time.clock, jitter=lambda: 0.5)
    budget = InProcessBudget(per_minute, clock=time.clock, sleep=time.sleep)
    return GmailClient(http, tokens, base_url=BASE, budget=budget, retry=policy, **kw)


def parse_batch_request(request: httpx.Request) -> list[tuple[str, str, str]]:
    """(content-id, verb, target) of each part of a batch request."""
    head = f"Content-Type: {request.headers['content-type']}\r\n\r\n".encode()
    envelope = BytesParser(policy=email.policy.HTTP).parsebytes(head + request.content)
    out = []
    for part in envelope.iter_parts():
        assert part.get_content_type() == "application/http"
        line = part.get_payload(decode=True).split(b"\r\n", 1)[0].decode()
        verb, target, _ = line.split(" ")
        out.append((part["Content-ID"].strip("<>"), verb, target))
    return out


Answer = tuple[int, dict[str, Any] | str]


def batch_answer(request: httpx.Request, answer: Callable[[str, str], Answer]) -> httpx.Response:
    """Google's batch response: `answer(verb, target)` gives each part's status and body."""
    boundary = "batch_test_boundary"
    chunks = []
    for cid, verb, target in parse_batch_request(request):
        status, body = answer(verb, target)
        text = body if isinstance(body, str) else json.dumps(body)
        chunks.append(
            f"--{boundary}\r\nContent-Type: application/http\r\n"
            f"Content-ID: <response-{cid}>\r\n\r\n"
            f"HTTP/1.1 {status} {'OK' if status == 200 else 'Error'}\r\n"
            f"Content-Type: application/json; charset=UTF-8\r\n\r\n{text}\r\n"
        )
    content = ("".join(chunks) + f"--{boundary}--\r\n").encode()
    return httpx.Response(
        200, content=content, headers={"Content-Type": f"multipart/mixed; boundary={boundary}"}
    )


def google_error(code: int, message: str, reason: str, **extra: Any) -> dict[str, Any]:
    return {
        "error": {
            "code": code,
            "message": message,
            "errors": [{"domain": "global", "reason": reason, "message": message}],
            **extra,
        }
    }
