"""Request-level protections: security headers, CSRF, and rate limits, as ASGI middleware.

- Every response gets a strict Content-Security-Policy (no inline script anywhere in gpanel),
  `frame-ancestors` from settings (so a CRM can embed the panel), nosniff, a referrer policy,
  and HSTS when gpanel is served over https.
- A state-changing request that carries the session cookie must also carry the session's CSRF
  token (header `X-CSRF-Token` or form field `csrf_token`), and must not come from another site
  (`Sec-Fetch-Site: cross-site`). Requests without the cookie (API keys, Pub/Sub pushes) are
  not ambient-authority requests and are left to their own authentication.
- Rate limits per client address (and per signed-in session) protect sign-in and the API.
Refusals happen before any handler runs, so a refused request has no side effect.
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import parse_qs

from cachetools import TTLCache
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gpanel.web.guard.session import CSRF_FIELD, CSRF_HEADER, SESSION_COOKIE, SessionCodec

_UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
_MAX_FORM_BYTES = 2 * 1024 * 1024  # forms carrying CSRF fields are small; uploads use the header


def content_security_policy(frame_ancestors: str) -> str:
    # Mail HTML is shown in sandboxed srcdoc frames, which inherit this policy: styles must be
    # allowed inline there (they cannot run code), scripts never are.
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "frame-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            f"frame-ancestors {frame_ancestors}",
        ]
    )


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, frame_ancestors: str, https: bool) -> None:
        self.app = app
        headers = [
            (b"content-security-policy", content_security_policy(frame_ancestors).encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin"),
            (b"cross-origin-opener-policy", b"same-origin"),
            (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
        ]
        if https:
            headers.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
        self.headers = headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in self.headers if k not in present]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def cookie_value(headers: Headers, name: str) -> str | None:
    raw = headers.get("cookie")
    if not raw:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(raw)
    except Exception:  # a malformed Cookie header is simply no cookie
        return None
    morsel = jar.get(name)
    return morsel.value if morsel else None


async def _refuse(send: Send, status: int, title: str, detail: str, as_json: bool) -> None:
    if as_json:
        body = json.dumps({"error": {"status": status, "title": title, "detail": detail}}).encode()
        ctype = b"application/json"
    else:
        body = (
            f"<!doctype html><title>{title}</title><h1>{title}</h1><p>{detail}</p>"
            '<p><a href="/">Back to gpanel</a></p>'
        ).encode()
        ctype = b"text/html; charset=utf-8"
    length = str(len(body)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", ctype), (b"content-length", length)],
        }
    )
    await send({"type": "http.response.body", "body": body})


class CSRFMiddleware:
    def __init__(self, app: ASGIApp, *, codec: SessionCodec, exempt: Iterable[str] = ()) -> None:
        self.app = app
        self.codec = codec
        self.exempt = tuple(exempt)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        session_id = self.codec.loads(cookie_value(headers, SESSION_COOKIE))
        if session_id:
            # Handlers and templates read the token from request.state.
            scope.setdefault("state", {})["csrf_token"] = self.codec.csrf_token(session_id)
        path: str = scope["path"]
        if scope["method"] not in _UNSAFE or not session_id or path.startswith(self.exempt):
            await self.app(scope, receive, send)
            return
        as_json = path.startswith("/api/") or "application/json" in headers.get("accept", "")
        if headers.get("sec-fetch-site") == "cross-site":
            await _refuse(
                send,
                403,
                "Request refused",
                "This request came from another site and was refused.",
                as_json,
            )
            return
        token = headers.get(CSRF_HEADER)
        replay: list[Message] = []
        if token is None and headers.get("content-type", "").startswith(
            "application/x-www-form-urlencoded"
        ):
            body = b""
            while True:
                message = await receive()
                replay.append(message)
                body += message.get("body", b"")
                if len(body) > _MAX_FORM_BYTES or not message.get("more_body"):
                    break
            values = parse_qs(body.decode("latin-1"), max_num_fields=1000).get(CSRF_FIELD)
            token = values[0] if values else None
        if not self.codec.csrf_matches(token, session_id):
            await _refuse(
                send,
                403,
                "Request refused",
                "The form expired or did not come from gpanel. Reload the page and try again.",
                as_json,
            )
            return

        if replay:
            pending = deque(replay)

            async def replay_receive() -> Message:
                return pending.popleft() if pending else await receive()

            await self.app(scope, replay_receive, send)
        else:
            await self.app(scope, receive, send)


@dataclass(frozen=True)
class Limit:
    prefix: str
    per_minute: int


class RateLimitMiddleware:
    """A sliding one-minute window per (limit, client address) and per (limit, session).

    In-process: with several web workers each enforces its own share, which is what a limit
    against brute force and runaway scripts needs; it is not a billing meter.
    """

    def __init__(self, app: ASGIApp, *, limits: Iterable[Limit], max_keys: int = 50_000) -> None:
        self.app = app
        self.limits = tuple(limits)
        self.hits: TTLCache[tuple[str, str], deque[float]] = TTLCache(maxsize=max_keys, ttl=120)

    def _allow(self, key: tuple[str, str], per_minute: int, now: float) -> bool:
        window = self.hits.get(key)
        if window is None:
            window = deque()
        while window and now - window[0] > 60:
            window.popleft()
        if len(window) >= per_minute:
            self.hits[key] = window
            return False
        window.append(now)
        self.hits[key] = window
        return True

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            headers = Headers(scope=scope)
            client = (scope.get("client") or ("?", 0))[0]
            session = cookie_value(headers, SESSION_COOKIE)
            now = time.monotonic()
            for limit in self.limits:
                if not path.startswith(limit.prefix):
                    continue
                keys = [(limit.prefix, "ip:" + client)]
                if session:
                    keys.append((limit.prefix, "s:" + session[-24:]))
                if not all([self._allow(k, limit.per_minute, now) for k in keys]):
                    await _refuse(
                        send,
                        429,
                        "Too many requests",
                        "Too many requests in the last minute; wait a moment and try again.",
                        path.startswith("/api/"),
                    )
                    return
        await self.app(scope, receive, send)
