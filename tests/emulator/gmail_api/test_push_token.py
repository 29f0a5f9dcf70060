"""Authenticated Pub/Sub push as Google sends it: a Bearer OIDC token on every push.

Source: Google Cloud, *Authenticate push subscriptions*
(cloud.google.com/pubsub/docs/authenticate-push-subscriptions): the push carries
`Authorization: Bearer <JWT>` signed by Google, issuer `https://accounts.google.com`, the
audience configured on the subscription, and `email` the subscription's service account
(docs/gmail-facts.md, "Push notifications"). Pins down: with `push_audience` set, the emulator's
push carries such a token, signed by the key it publishes at /oauth2/v1/certs, and google-auth's
own verification accepts it; without an audience (unauthenticated push) no token is sent.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import google.auth.transport.requests
import pytest
import requests
from google.oauth2 import id_token
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gpanel.emulator.config import EmulatorConfig
from tests.emulator.conftest import ANN, client_for, make_mail
from tests.support.emulator import run_emulator
from tests.support.servers import serve

AUDIENCE = "https://gpanel.example/push/gmail"
ACCOUNT = "gmail-push@our-project.iam.gserviceaccount.com"


@pytest.fixture
def sink() -> Iterator[tuple[str, list[str]]]:
    """A push receiver over real HTTP; yields its URL and the Authorization headers seen."""
    seen: list[str] = []

    async def push(request: Request) -> Response:
        seen.append(request.headers.get("authorization", ""))
        return Response(status_code=204)

    async def healthz(_: Request) -> Response:
        return Response("ok")

    app = Starlette(routes=[Route("/push", push, methods=["POST"]), Route("/healthz", healthz)])
    with serve(app) as url:
        yield url + "/push", seen


def _verify(token: str, certs: str) -> dict[str, object]:
    with requests.Session() as session:
        claims: dict[str, object] = id_token.verify_token(
            token,
            google.auth.transport.requests.Request(session=session),
            audience=AUDIENCE,
            certs_url=certs,
        )
    return claims


def _one_push(config: EmulatorConfig, seen: list[str]) -> tuple[str, dict[str, object] | None]:
    """Watch, deliver one message, wait for the push: its Authorization header and, when it
    has a token, the claims google-auth verified against the emulator's /oauth2/v1/certs."""
    with run_emulator(config) as emu:
        emu.add_user(ANN)
        with client_for(emu, emu.token(ANN)) as gmail:
            gmail.post("/watch", json={"topicName": "projects/p1/topics/gmail"}).raise_for_status()
            emu.insert(ANN, make_mail())
            deadline = time.monotonic() + 5
            while not seen and time.monotonic() < deadline:
                time.sleep(0.05)
        assert seen, "no push arrived"
        scheme, _, token = seen[0].partition(" ")
        if not token:
            return seen[0], None
        assert scheme == "Bearer"
        return seen[0], _verify(token, f"{emu.url}/oauth2/v1/certs")


def test_push_carries_a_token_google_auth_verifies(sink: tuple[str, list[str]]) -> None:
    """iss accounts.google.com, aud the subscription's audience, email the push account."""
    url, seen = sink
    config = EmulatorConfig(push_endpoint=url, push_audience=AUDIENCE, push_service_account=ACCOUNT)
    _, claims = _one_push(config, seen)
    assert claims is not None
    assert claims["iss"] == "https://accounts.google.com" and claims["aud"] == AUDIENCE
    assert claims["email"] == ACCOUNT and claims["email_verified"] is True
    assert int(str(claims["exp"])) > time.time()


def test_unauthenticated_push_sends_no_token(sink: tuple[str, list[str]]) -> None:
    """Without an audience the push has no Authorization header, as an unauthenticated
    subscription's."""
    url, seen = sink
    authorization, _ = _one_push(EmulatorConfig(push_endpoint=url), seen)
    assert authorization == ""
