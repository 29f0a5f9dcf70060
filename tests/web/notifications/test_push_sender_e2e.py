"""`POST /push/gmail` over real HTTP checks who pushed, not only for whom: a token Google signed
for our audience but for another project's service account (anyone can point a Pub/Sub
subscription at our URL with our audience) is refused with 401; the configured push service
account passes (its address compared without regard to case); an audience without a configured
service account refuses every push with 403 and names the setting."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from gpanel.emulator.oauth.keys import SigningKey
from tests.support.servers import serve
from tests.support.stack import run_stack

AUDIENCE = "https://gpanel.example/push/gmail"
SENDER = "gmail-push@our-project.iam.gserviceaccount.com"


@pytest.fixture(scope="module")
def key() -> SigningKey:
    return SigningKey()


@pytest.fixture(scope="module")
def certs_url(key: SigningKey) -> Iterator[str]:
    async def certs(_: object) -> JSONResponse:
        return JSONResponse(key.pem_certs())

    app = Starlette(routes=[Route("/certs", certs), Route("/healthz", certs)])
    with serve(app) as url:
        yield url + "/certs"


def _token(key: SigningKey, email: str) -> str:
    now = int(time.time())
    claims: dict[str, object] = {
        "iss": "https://accounts.google.com",
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + 600,
        "sub": "1",
        "email": email,
        "email_verified": True,
    }
    return "Bearer " + key.sign(claims)


def _body() -> bytes:
    inner = json.dumps({"emailAddress": "ben@brightwave.example", "historyId": "12"}).encode()
    data = base64.urlsafe_b64encode(inner).decode().rstrip("=")
    return json.dumps({"message": {"data": data}, "subscription": "projects/p/s"}).encode()


def _push(url: str, authorization: str) -> httpx.Response:
    return httpx.post(
        url + "/push/gmail",
        content=_body(),
        headers={"Authorization": authorization, "Content-Type": "application/json"},
    )


def test_only_the_configured_service_account_may_push(
    db_url: str, key: SigningKey, certs_url: str
) -> None:
    """Same key, same audience, same issuer: another service account's token is 401, ours is
    accepted (204), also when Google spells the address in another case."""
    with run_stack(
        db_url,
        pubsub_audience=AUDIENCE,
        pubsub_service_account=SENDER,
        google_certs_uri=certs_url,
    ) as stack:
        stranger = _push(stack.url, _token(key, "pusher@attacker-project.iam.gserviceaccount.com"))
        assert stranger.status_code == 401
        assert "push subscription" in stranger.json()["error"]
        assert _push(stack.url, _token(key, "")).status_code == 401
        assert _push(stack.url, _token(key, SENDER)).status_code == 204
        assert _push(stack.url, _token(key, SENDER.upper())).status_code == 204


def test_audience_without_service_account_refuses_every_push(
    db_url: str, key: SigningKey, certs_url: str
) -> None:
    """An audience alone is not enough configuration: even a valid token is refused with 403,
    and the answer names GPANEL_PUBSUB_SERVICE_ACCOUNT."""
    with run_stack(db_url, pubsub_audience=AUDIENCE, google_certs_uri=certs_url) as stack:
        answer = _push(stack.url, _token(key, SENDER))
        assert answer.status_code == 403
        assert "GPANEL_PUBSUB_SERVICE_ACCOUNT" in answer.json()["error"]
