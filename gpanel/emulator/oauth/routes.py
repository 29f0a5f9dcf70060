"""The emulator's Google OAuth 2.0 / OpenID Connect server, as a list of Starlette routes.

`oauth_routes(accounts, config)` builds one `OAuthServer` and returns every route it serves at
the emulator's root: the discovery document, the authorization endpoint and consent page
(`oauth_consent`), token / revoke / userinfo / tokeninfo (`oauth_token`), the signing keys as
PEM certificates and as JWKS (`keys`), and the test-only control routes (`oauth_control`). The
issuer is `config.base_url`; errors are raised as `errors.OAuthError` and rendered by the
handlers that `errors.install_handlers` installs on the app.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from gpanel.emulator.accounts import Accounts
from gpanel.emulator.config import EmulatorConfig
from gpanel.emulator.oauth.consent import CONSENT_PATH, authorize, consent
from gpanel.emulator.oauth.control import control_routes
from gpanel.emulator.oauth.scopes import EMAIL, OPENID, PROFILE
from gpanel.emulator.oauth.server import OAuthServer
from gpanel.emulator.oauth.token import revoke, token, tokeninfo, userinfo

AUTH_PATH = "/o/oauth2/v2/auth"


def discovery_document(issuer: str) -> dict[str, object]:
    """The shape of Google's `/.well-known/openid-configuration`, pointing at the emulator."""
    return {
        "issuer": issuer,
        "authorization_endpoint": issuer + AUTH_PATH,
        "token_endpoint": issuer + "/token",
        "userinfo_endpoint": issuer + "/v1/userinfo",
        "revocation_endpoint": issuer + "/revoke",
        "jwks_uri": issuer + "/oauth2/v3/certs",
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": [OPENID, "email", "profile", EMAIL, PROFILE],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "claims_supported": [
            "aud", "email", "email_verified", "exp", "family_name", "given_name", "iat", "iss",
            "name", "sub", "nonce", "at_hash", "azp",
        ],
        "code_challenge_methods_supported": ["plain", "S256"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
    }  # fmt: skip


def oauth_routes(
    accounts: Accounts, config: EmulatorConfig, server: OAuthServer | None = None
) -> list[BaseRoute]:
    """The OAuth/OpenID routes; `server` is given when the app shares its signing key (push)."""
    server = server or OAuthServer(accounts, config)

    async def discovery(_: Request) -> Response:
        return JSONResponse(discovery_document(server.issuer))

    async def pem_certs(_: Request) -> Response:
        return JSONResponse(server.key.pem_certs())

    async def jwks(_: Request) -> Response:
        return JSONResponse(server.key.jwks())

    info = userinfo(server)
    routes: list[BaseRoute] = [
        Route("/.well-known/openid-configuration", discovery, methods=["GET"]),
        Route(AUTH_PATH, authorize(server), methods=["GET", "POST"]),
        Route(CONSENT_PATH, consent(server), methods=["POST"]),
        Route("/token", token(server), methods=["POST"]),
        Route("/revoke", revoke(server), methods=["GET", "POST"]),
        Route("/v1/userinfo", info, methods=["GET", "POST"]),
        Route("/oauth2/v3/userinfo", info, methods=["GET", "POST"]),
        Route("/tokeninfo", tokeninfo(server), methods=["GET", "POST"]),
        Route("/oauth2/v3/tokeninfo", tokeninfo(server), methods=["GET", "POST"]),
        Route("/oauth2/v1/certs", pem_certs, methods=["GET"]),
        Route("/oauth2/v3/certs", jwks, methods=["GET"]),
    ]
    return routes + control_routes(server)
