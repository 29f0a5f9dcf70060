"""The state one emulator's OAuth server shares across its routes, and the token-minting steps.

`OAuthServer` is built once per emulator by `oauth_routes()`; every OAuth handler (consent,
token, revoke, userinfo, control) closes over the same instance. It owns the grant store, the
lazily generated signing key, the signer for consent forms, the consent-page templates, and a
queue of planned consent answers that tests use with `auto_consent`.
"""

from __future__ import annotations

import secrets
import time
from collections import deque
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import jinja2
from itsdangerous import URLSafeTimedSerializer

from gpanel.emulator.accounts import Account, Accounts
from gpanel.emulator.config import EmulatorConfig
from gpanel.emulator.oauth.grants import AuthCode, GrantStore
from gpanel.emulator.oauth.keys import SigningKey, at_hash
from gpanel.emulator.oauth.scopes import EMAIL, OPENID, PROFILE, joined

ID_TOKEN_TTL_SECONDS = 3600


@dataclass
class ConsentPlan:
    """How the next auto-consent answers: deny, or grant only some of the requested scopes."""

    deny: bool = False
    scopes: frozenset[str] | None = None  # None: everything requested
    email: str | None = None  # None: the login_hint account (or the first)


@dataclass
class OAuthServer:
    accounts: Accounts
    config: EmulatorConfig
    store: GrantStore = field(init=False)
    plans: deque[ConsentPlan] = field(default_factory=deque)

    def __post_init__(self) -> None:
        self.store = GrantStore(self.accounts, self.config)
        # The control API's global reset clears the accounts; codes, refresh tokens, pinned
        # client secrets and queued consent answers must not outlive them.
        self.accounts.reset_listeners.append(self.reset)

    @property
    def issuer(self) -> str:
        return self.config.base_url.rstrip("/")

    @cached_property
    def key(self) -> SigningKey:
        # Generated on first use: building an emulator that never signs costs nothing.
        return SigningKey()

    @cached_property
    def form_signer(self) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(secrets.token_urlsafe(32), salt="emulator.consent-form")

    @cached_property
    def templates(self) -> jinja2.Environment:
        return jinja2.Environment(
            loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
        )

    # --- minting ----------------------------------------------------------------------------
    def token_response(
        self,
        account: Account,
        client_id: str,
        scopes: frozenset[str],
        lineage: str,
        nonce: str | None = None,
    ) -> dict[str, Any]:
        """An access token (and an id_token when `openid` was granted) for one grant line."""
        ttl = self.config.access_token_ttl_seconds
        access = self.accounts.issue_access_token(
            account.email, scopes, client_id=client_id, ttl=ttl, refresh_token=lineage
        )
        body: dict[str, Any] = {
            "access_token": access,
            "expires_in": ttl,
            "scope": joined(scopes),
            "token_type": "Bearer",
        }
        if OPENID in scopes:
            body["id_token"] = self.id_token(account, client_id, scopes, access, nonce)
        return body

    def id_token(
        self,
        account: Account,
        client_id: str,
        scopes: frozenset[str],
        access_token: str | None = None,
        nonce: str | None = None,
    ) -> str:
        # iat/exp use the wall clock, not the movable emulator clock: whoever verifies the
        # token (google-auth) checks them against its own real clock.
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "azp": client_id,
            "aud": client_id,
            "sub": account.sub,
            "iat": now,
            "exp": now + ID_TOKEN_TTL_SECONDS,
        }
        if EMAIL in scopes:
            claims.update(email=account.email, email_verified=True)
        if PROFILE in scopes:
            claims.update(
                name=account.name,
                given_name=account.given_name,
                family_name=account.family_name,
            )
        if access_token:
            claims["at_hash"] = at_hash(access_token)
        if nonce:
            claims["nonce"] = nonce
        return self.key.sign(claims)

    def refresh_eligible(self, client_id: str, email: str, offline: bool, consent: bool) -> bool:
        """Google returns a refresh token for offline access when consent was prompted, or
        when this user has no live refresh token for this client yet (the first grant)."""
        if not offline:
            return False
        if consent:
            return True
        now = self.store.now()
        return not any(
            g["client_id"] == client_id
            and g["email"].lower() == email.lower()
            and not g["revoked"]
            and (g["expires_at"] is None or g["expires_at"] > now)
            for g in self.store.listing()
        )

    def new_code(
        self,
        request: dict[str, Any],
        account: Account,
        granted_now: frozenset[str],
    ) -> str:
        """Record the consent and issue a code for it; `request` is the validated auth request."""
        client_id = request["client_id"]
        scopes = set(granted_now)
        if request.get("include_granted_scopes"):
            scopes |= self.store.granted_scopes(client_id, account.email)
        eligible = self.refresh_eligible(
            client_id, account.email, request["offline"], request["consent"]
        )
        self.store.record_grant(client_id, account.email, granted_now)
        return self.store.new_code(
            AuthCode(
                client_id=client_id,
                redirect_uri=request["redirect_uri"],
                email=account.email,
                scopes=frozenset(scopes),
                refresh_eligible=eligible,
                prompt_consent=request["consent"],
                created_at=self.store.now(),
                code_challenge=request.get("code_challenge"),
                challenge_method=request.get("code_challenge_method") or "plain",
                nonce=request.get("nonce"),
            )
        )

    def reset(self) -> None:
        self.store.reset()
        self.plans.clear()
