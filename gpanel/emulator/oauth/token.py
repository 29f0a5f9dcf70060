"""The token, revocation, userinfo and tokeninfo endpoints, with Google's error bodies.

`POST /token` serves the `authorization_code` grant (single-use codes: a replay is refused and
revokes every token the code produced, as Google does; the redirect URI and the PKCE verifier
must match what the authorization request carried) and the `refresh_token` grant (the refresh
token's scopes, optionally narrowed). Clients authenticate with `client_secret` in the body or
HTTP Basic. Every refusal raises `errors.OAuthError`, which the app turns into
`{"error": ..., "error_description": ...}`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gpanel.emulator.accounts import Grant
from gpanel.emulator.errors import OAuthError
from gpanel.emulator.oauth.scopes import EMAIL, PROFILE, joined, normalise
from gpanel.emulator.oauth.server import OAuthServer

Endpoint = Callable[[Request], Awaitable[Response]]
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


async def _params(request: Request) -> dict[str, str]:
    """Form body (or JSON, which Google also takes), with query parameters underneath."""
    params = dict(request.query_params)
    if request.method == "POST":
        if request.headers.get("content-type", "").startswith("application/json"):
            try:
                body = json.loads(await request.body() or b"{}")
            except ValueError:
                raise OAuthError("invalid_request", "Invalid JSON payload received.") from None
            if not isinstance(body, dict):
                raise OAuthError("invalid_request", "Invalid JSON payload received.")
            params.update({k: str(v) for k, v in body.items()})
        else:
            form = await request.form()
            params.update({k: v for k, v in form.items() if isinstance(v, str)})
    return params


def _client(request: Request, params: dict[str, str]) -> tuple[str, str]:
    client_id, secret = params.get("client_id", ""), params.get("client_secret", "")
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(auth[6:].strip(), validate=True).decode("utf-8")
            basic_id, _, basic_secret = decoded.partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise OAuthError("invalid_request", "Bad Request") from None
        basic_id, basic_secret = unquote(basic_id), unquote(basic_secret)
        if client_id and client_id != basic_id:
            raise OAuthError("invalid_request", "client_id does not match the credentials.")
        client_id, secret = basic_id, basic_secret
    if not client_id:
        raise OAuthError("invalid_request", "Could not determine client ID from request.")
    if not secret:
        raise OAuthError("invalid_request", "client_secret is missing.")
    return client_id, secret


def _pkce_ok(challenge: str, method: str, verifier: str) -> bool:
    computed = verifier
    if method == "S256":
        digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
        computed = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    return hmac.compare_digest(computed.encode(), challenge.encode())


def _code_grant(server: OAuthServer, client_id: str, params: dict[str, str]) -> dict[str, Any]:
    value = params.get("code", "")
    if not value:
        raise OAuthError("invalid_request", "Missing required parameter: code")
    code = server.store.find_code(value)
    if code is None:
        raise OAuthError("invalid_grant", "Malformed auth code.")
    if code.used:
        # A second use of a code means it leaked: Google refuses it and revokes what the
        # first use produced.
        if code.lineage is not None:
            server.store.revoke_lineage(code.lineage)
        raise OAuthError("invalid_grant", "Bad Request")
    if server.store.code_expired(code) or not hmac.compare_digest(code.client_id, client_id):
        raise OAuthError("invalid_grant", "Bad Request")
    if params.get("redirect_uri", "") != code.redirect_uri:
        raise OAuthError("redirect_uri_mismatch", "Bad Request")
    verifier = params.get("code_verifier", "")
    if code.code_challenge is None:
        if verifier:
            raise OAuthError("invalid_grant", "code_verifier or verifier is not needed.")
    elif not verifier:
        raise OAuthError("invalid_grant", "Missing code verifier.")
    elif not _pkce_ok(code.code_challenge, code.challenge_method, verifier):
        raise OAuthError("invalid_grant", "Invalid code verifier.")
    account = server.accounts.get(code.email)
    if account is None:
        raise OAuthError("invalid_grant", "Bad Request")
    code.used = True
    code.lineage = "grant-" + secrets.token_urlsafe(12)
    body = server.token_response(account, client_id, code.scopes, code.lineage, code.nonce)
    if code.refresh_eligible:
        value, grant = server.store.issue_refresh(
            client_id, account.email, code.scopes, code.lineage
        )
        body["refresh_token"] = value
        if grant.expires_at is not None:
            body["refresh_token_expires_in"] = int(grant.expires_at - grant.created_at)
    return body


def _refresh_grant(server: OAuthServer, client_id: str, params: dict[str, str]) -> dict[str, Any]:
    value = params.get("refresh_token", "")
    if not value:
        raise OAuthError("invalid_request", "Missing required parameter: refresh_token")
    grant = server.store.find_refresh(value)
    if grant is None:
        raise OAuthError("invalid_grant", "Bad Request")
    if not hmac.compare_digest(grant.client_id, client_id):
        raise OAuthError("unauthorized_client", "Unauthorized")
    account = server.accounts.get(grant.email)
    if not grant.live(server.store.now()) or account is None:
        raise OAuthError("invalid_grant", "Token has been expired or revoked.")
    scopes = grant.scopes
    if params.get("scope"):
        asked = frozenset(normalise(params["scope"]))
        if not asked <= grant.scopes:
            raise OAuthError("invalid_scope", "Some requested scopes were not granted.")
        scopes = asked
    return server.token_response(account, client_id, scopes, grant.id)


def token(server: OAuthServer) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        params = await _params(request)
        grant_type = params.get("grant_type", "")
        if grant_type not in ("authorization_code", "refresh_token"):
            raise OAuthError("unsupported_grant_type", f"Invalid grant_type: {grant_type}")
        client_id, secret = _client(request, params)
        if not server.store.check_client(client_id, secret):
            raise OAuthError("invalid_client", "Unauthorized", code=401)
        if grant_type == "authorization_code":
            body = _code_grant(server, client_id, params)
        else:
            body = _refresh_grant(server, client_id, params)
        return JSONResponse(body, headers=_NO_STORE)

    return endpoint


def revoke(server: OAuthServer) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        value = (await _params(request)).get("token", "")
        refresh = server.store.find_refresh(value) if value else None
        access = server.accounts.resolve(value) if value else None
        if refresh is not None and refresh.live(server.store.now()):
            server.store.revoke_grant(refresh)
        elif access is not None:
            # Revoking an access token revokes the refresh token it came from, too.
            if access.refresh_token is not None:
                server.store.revoke_lineage(access.refresh_token)
            server.accounts.revoke_access_token(value)
        else:
            raise OAuthError("invalid_token", "Token expired or revoked")
        return JSONResponse({})

    return endpoint


def _bearer(server: OAuthServer, request: Request) -> Grant:
    auth = request.headers.get("authorization", "")
    value = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
    value = value or request.query_params.get("access_token", "")
    grant = server.accounts.resolve(value) if value else None
    if grant is None:
        raise OAuthError("invalid_request", "Invalid Credentials", code=401)
    return grant


def userinfo(server: OAuthServer) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        grant = _bearer(server, request)
        account = server.accounts.get(grant.email)
        if account is None:
            raise OAuthError("invalid_request", "Invalid Credentials", code=401)
        body: dict[str, Any] = {"sub": account.sub}
        if PROFILE in grant.scopes:
            body.update(
                name=account.name,
                given_name=account.given_name,
                family_name=account.family_name,
            )
        if EMAIL in grant.scopes:
            body.update(email=account.email, email_verified=True)
        return JSONResponse(body)

    return endpoint


def tokeninfo(server: OAuthServer) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        params = await _params(request)
        grant = server.accounts.resolve(params.get("access_token", ""))
        account = server.accounts.get(grant.email) if grant else None
        if grant is None or account is None:
            raise OAuthError("invalid_token", "Invalid Value")
        offline = grant.refresh_token is not None and bool(
            server.store.grant_by_id(grant.refresh_token)
        )
        expires_in = max(0, int(grant.expires_at - server.accounts.now()))
        body: dict[str, Any] = {
            "azp": grant.client_id,
            "aud": grant.client_id,
            "sub": account.sub,
            "scope": joined(grant.scopes),
            "exp": str(int(grant.expires_at)),
            "expires_in": str(expires_in),
            "access_type": "offline" if offline else "online",
        }
        if EMAIL in grant.scopes:
            body.update(email=account.email, email_verified="true")
        return JSONResponse(body)

    return endpoint
