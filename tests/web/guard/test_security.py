"""Request protections: CSRF refusals have no side effect, headers are strict, limits bite."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from gpanel.web.guard.security import (
    CSRFMiddleware,
    Limit,
    RateLimitMiddleware,
    SecurityHeadersMiddleware,
)
from gpanel.web.guard.session import SESSION_COOKIE, SessionCodec

codec = SessionCodec("test-secret")


def make_app(effects: list[str]) -> Starlette:
    async def change(request: Request) -> PlainTextResponse:
        form = await request.form()
        effects.append(str(form.get("value", "")))
        return PlainTextResponse("changed")

    async def look(request: Request) -> PlainTextResponse:
        return PlainTextResponse(
            request.state.csrf_token if hasattr(request.state, "csrf_token") else ""
        )

    return Starlette(
        routes=[Route("/change", change, methods=["POST"]), Route("/look", look)],
        middleware=[
            Middleware(SecurityHeadersMiddleware, frame_ancestors="'self'", https=True),
            Middleware(RateLimitMiddleware, limits=[Limit("/look", 5)]),
            Middleware(CSRFMiddleware, codec=codec),
        ],
    )


@pytest.fixture
def effects() -> list[str]:
    return []


@pytest.fixture
async def client(effects: list[str]) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=make_app(effects))
    async with httpx.AsyncClient(transport=transport, base_url="https://gpanel.test") as c:
        c.cookies.set(SESSION_COOKIE, codec.dumps("sess-1"))
        yield c


async def test_post_without_token_is_refused_before_the_handler(
    client: httpx.AsyncClient, effects: list[str]
) -> None:
    """A cookie-authenticated POST with no CSRF token gets 403 and changes nothing."""
    r = await client.post("/change", data={"value": "x"})
    assert r.status_code == 403 and "did not come from gpanel" in r.text
    assert effects == []


async def test_token_from_another_session_is_refused(
    client: httpx.AsyncClient, effects: list[str]
) -> None:
    r = await client.post("/change", data={"value": "x", "csrf_token": codec.csrf_token("other")})
    assert r.status_code == 403 and effects == []


async def test_form_token_passes_and_the_body_still_reaches_the_handler(
    client: httpx.AsyncClient, effects: list[str]
) -> None:
    """The middleware reads the form to find the token and replays it to the handler."""
    r = await client.post(
        "/change", data={"value": "kept", "csrf_token": codec.csrf_token("sess-1")}
    )
    assert r.status_code == 200 and effects == ["kept"]


async def test_header_token_passes_but_cross_site_is_refused(
    client: httpx.AsyncClient, effects: list[str]
) -> None:
    ok = await client.post("/change", headers={"x-csrf-token": codec.csrf_token("sess-1")})
    assert ok.status_code == 200
    bad = await client.post(
        "/change",
        headers={"x-csrf-token": codec.csrf_token("sess-1"), "sec-fetch-site": "cross-site"},
    )
    assert bad.status_code == 403 and effects == [""]


async def test_tampered_session_cookie_is_no_session(client: httpx.AsyncClient) -> None:
    """A forged cookie does not yield a CSRF token (so nothing can be authorised by it)."""
    client.cookies.set(SESSION_COOKIE, codec.dumps("sess-1")[:-2] + "xx")
    assert (await client.get("/look")).text == ""


async def test_security_headers(client: httpx.AsyncClient) -> None:
    r = await client.get("/look")
    csp = r.headers["content-security-policy"]
    assert (
        "script-src 'self'" in csp
        and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    )
    assert "frame-ancestors 'self'" in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["strict-transport-security"].startswith("max-age=")


async def test_rate_limit(client: httpx.AsyncClient) -> None:
    """The sixth request in a minute to a path limited to five gets a plain 429."""
    codes = [(await client.get("/look")).status_code for _ in range(6)]
    assert codes == [200] * 5 + [429]
