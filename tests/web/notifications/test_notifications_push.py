"""Pub/Sub push authentication: with an audience configured, only a token signed by a key
published at the certificates URL, for that audience, from the configured issuer, passes;
without one, pushes are accepted in demo mode only."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from gpanel.emulator.oauth.keys import SigningKey
from gpanel.settings import Settings
from gpanel.web.push import PushRefused, verify_push_token
from tests.support.servers import serve

AUDIENCE = "https://gpanel.example/push/gmail"
SENDER = "push@project.iam.gserviceaccount.com"


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


def _settings(certs_url: str, **extra: str) -> Settings:
    base = {
        "GPANEL_MODE": "demo",
        "GPANEL_GOOGLE_CERTS_URI": certs_url,
        "GPANEL_GOOGLE_ISSUER": "https://accounts.google.com",
    }
    return Settings.from_mapping({**base, **{f"GPANEL_{k.upper()}": v for k, v in extra.items()}})


def _token(key: SigningKey, **claims: object) -> str:
    now = int(time.time())
    body: dict[str, object] = {
        "iss": "https://accounts.google.com",
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + 600,
        "sub": "1",
        "email": "push@project.iam.gserviceaccount.com",
        "email_verified": True,
    }
    body.update(claims)
    return "Bearer " + key.sign(body)


def test_valid_token_passes(key: SigningKey, certs_url: str) -> None:
    """A token from the published key, for our audience, from Google's issuer is accepted."""
    settings = _settings(certs_url, pubsub_audience=AUDIENCE, pubsub_service_account=SENDER)
    claims = verify_push_token(settings, _token(key))
    assert claims["email"] == "push@project.iam.gserviceaccount.com"


@pytest.mark.parametrize(
    "change",
    [
        {"aud": "https://someone.else/push"},
        {"iss": "https://evil.example"},
        {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200},
        {"email_verified": False},
    ],
)
def test_wrong_tokens_are_refused(
    key: SigningKey, certs_url: str, change: dict[str, object]
) -> None:
    """Another audience, another issuer, an expired token or an unverified sender: 401."""
    with pytest.raises(PushRefused) as refused:
        verify_push_token(
            _settings(certs_url, pubsub_audience=AUDIENCE, pubsub_service_account=SENDER),
            _token(key, **change),
        )
    assert refused.value.status == 401


def test_token_from_another_key_or_none_is_refused(certs_url: str) -> None:
    """A well-formed token signed by a key not published at the certs URL, or no token: 401."""
    settings = _settings(certs_url, pubsub_audience=AUDIENCE, pubsub_service_account=SENDER)
    for header in (_token(SigningKey()), "", "Bearer "):
        with pytest.raises(PushRefused) as refused:
            verify_push_token(settings, header)
        assert refused.value.status == 401


def test_without_audience_only_demo_mode_accepts(certs_url: str) -> None:
    """No audience: demo mode accepts (the emulator sends no token); production refuses."""
    assert verify_push_token(_settings(certs_url), "") == {}
    production = Settings.from_mapping(
        {
            "GPANEL_SECRET_KEY": "x" * 40,
            "GPANEL_TOKEN_KEYS": "k" * 44,
            "GPANEL_GOOGLE_CLIENT_ID": "id",
            "GPANEL_GOOGLE_CERTS_URI": certs_url,
        }
    )
    with pytest.raises(PushRefused) as refused:
        verify_push_token(production, "")
    assert refused.value.status == 403
