"""What the emulator's OAuth server remembers between requests: codes, refresh tokens, grants.

Authorization codes and refresh tokens are kept only as SHA-256 digests, so a listing or a
debugger never shows a usable secret; the public `id` of a refresh grant links it to the access
tokens minted from it (`Accounts.issue_access_token(refresh_token=id)`), so revoking one
revokes them all, as Google does. A "client grant" is the union of scopes a user has granted
one client, which `include_granted_scopes` adds back and which decides whether a first
consent yields a refresh token. Time comes from `Accounts.now()` so tests can move the clock.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from gpanel.emulator.accounts import Accounts
from gpanel.emulator.config import EmulatorConfig

CODE_TTL_SECONDS = 600.0  # Google's authorization codes live about ten minutes
TESTING_REFRESH_TTL_SECONDS = 7 * 24 * 3600.0  # apps in "Testing" status
MAX_REFRESH_TOKENS_PER_CLIENT_USER = 100  # beyond this Google invalidates the oldest


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@dataclass
class AuthCode:
    """One authorization code, kept after use so a replay can be detected and punished."""

    client_id: str
    redirect_uri: str
    email: str
    scopes: frozenset[str]
    refresh_eligible: bool  # offline access, and consent prompted or first grant
    prompt_consent: bool
    created_at: float
    code_challenge: str | None = None
    challenge_method: str = "plain"
    nonce: str | None = None
    used: bool = False
    # The id of the grant line created when the code was exchanged (see module docstring).
    lineage: str | None = None


@dataclass
class RefreshGrant:
    id: str
    token_digest: str
    client_id: str
    email: str
    scopes: frozenset[str]
    created_at: float
    expires_at: float | None
    revoked: bool = False

    def live(self, now: float) -> bool:
        return not self.revoked and (self.expires_at is None or now < self.expires_at)

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "client_id": self.client_id,
            "email": self.email,
            "scopes": sorted(self.scopes),
            "created_at": self.created_at,
            "expires_at": self.expires_at,
            "revoked": self.revoked,
        }


@dataclass
class GrantStore:
    accounts: Accounts
    # Read at each issue, not copied, so a test may switch `testing_app` on a running emulator.
    config: EmulatorConfig
    _codes: dict[str, AuthCode] = field(default_factory=dict)
    _refresh: dict[str, RefreshGrant] = field(default_factory=dict)  # by token digest
    _client_scopes: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    _client_secrets: dict[str, str] = field(default_factory=dict)  # client_id -> digest

    def now(self) -> float:
        return self.accounts.now()

    # --- clients ----------------------------------------------------------------------------
    def register_client(self, client_id: str, client_secret: str) -> None:
        self._client_secrets[client_id] = digest(client_secret)

    def check_client(self, client_id: str, client_secret: str) -> bool:
        """Any client id is welcome; its secret is pinned on first use and must match after."""
        pinned = self._client_secrets.setdefault(client_id, digest(client_secret))
        return hmac.compare_digest(pinned, digest(client_secret))

    # --- codes ------------------------------------------------------------------------------
    def new_code(self, code: AuthCode) -> str:
        self._forget_stale_codes()
        value = "4/0Emu" + secrets.token_urlsafe(40)
        self._codes[digest(value)] = code
        return value

    def find_code(self, value: str) -> AuthCode | None:
        return self._codes.get(digest(value))

    def code_expired(self, code: AuthCode) -> bool:
        return self.now() - code.created_at > CODE_TTL_SECONDS

    def _forget_stale_codes(self) -> None:
        # Used codes are kept for a day so a late replay is still recognised and punished.
        horizon = self.now() - 24 * 3600.0
        for key in [k for k, c in self._codes.items() if c.created_at < horizon]:
            del self._codes[key]

    # --- client grants ----------------------------------------------------------------------
    def granted_scopes(self, client_id: str, email: str) -> frozenset[str]:
        return frozenset(self._client_scopes.get((client_id, email.lower()), set()))

    def has_grant(self, client_id: str, email: str) -> bool:
        return (client_id, email.lower()) in self._client_scopes

    def record_grant(self, client_id: str, email: str, scopes: Iterable[str]) -> None:
        self._client_scopes.setdefault((client_id, email.lower()), set()).update(scopes)

    # --- refresh tokens ---------------------------------------------------------------------
    def issue_refresh(
        self, client_id: str, email: str, scopes: frozenset[str], lineage: str
    ) -> tuple[str, RefreshGrant]:
        value = "1//0Emu" + secrets.token_urlsafe(48)
        now = self.now()
        grant = RefreshGrant(
            id=lineage,
            token_digest=digest(value),
            client_id=client_id,
            email=email,
            scopes=scopes,
            created_at=now,
            expires_at=now + TESTING_REFRESH_TTL_SECONDS if self.config.testing_app else None,
        )
        self._refresh[grant.token_digest] = grant
        self._enforce_token_limit(client_id, email)
        return value, grant

    def _enforce_token_limit(self, client_id: str, email: str) -> None:
        now = self.now()
        live = [
            g
            for g in self._refresh.values()
            if g.client_id == client_id and g.email.lower() == email.lower() and g.live(now)
        ]
        live.sort(key=lambda g: g.created_at)
        for old in live[: max(0, len(live) - MAX_REFRESH_TOKENS_PER_CLIENT_USER)]:
            self.revoke_grant(old)

    def find_refresh(self, value: str) -> RefreshGrant | None:
        return self._refresh.get(digest(value))

    def grant_by_id(self, grant_id: str) -> RefreshGrant | None:
        return next((g for g in self._refresh.values() if g.id == grant_id), None)

    def revoke_grant(self, grant: RefreshGrant) -> None:
        grant.revoked = True
        self.accounts.revoke_minted_from(grant.id)

    def revoke_lineage(self, lineage: str) -> None:
        """Revoke the refresh token (if any) and every access token of one code exchange."""
        grant = self.grant_by_id(lineage)
        if grant is not None:
            grant.revoked = True
        self.accounts.revoke_minted_from(lineage)

    def revoke_user(self, email: str, client_id: str | None = None) -> int:
        """The user removes the app's access at Google: every token and grant goes."""
        n = 0
        for grant in self._refresh.values():
            if grant.email.lower() == email.lower() and client_id in (None, grant.client_id):
                if not grant.revoked:
                    n += 1
                grant.revoked = True
        n += self.accounts.revoke_user(email, client_id)
        for key in [
            k for k in self._client_scopes if k[1] == email.lower() and client_id in (None, k[0])
        ]:
            del self._client_scopes[key]
        return n

    def expire_refresh(self, email: str | None = None) -> int:
        n = 0
        for grant in self._refresh.values():
            if email is None or grant.email.lower() == email.lower():
                grant.expires_at = self.now() - 1
                n += 1
        return n

    def listing(self) -> list[dict[str, Any]]:
        return [g.public() for g in sorted(self._refresh.values(), key=lambda g: g.created_at)]

    def client_listing(self) -> list[dict[str, Any]]:
        return [
            {"client_id": c, "email": e, "scopes": sorted(s)}
            for (c, e), s in sorted(self._client_scopes.items())
        ]

    def reset(self) -> None:
        self._codes.clear()
        self._refresh.clear()
        self._client_scopes.clear()
        self._client_secrets.clear()
