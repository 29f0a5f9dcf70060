"""The emulator's Google accounts and the access tokens issued for them.

This is the seam between the OAuth half of the emulator (which issues tokens after consent,
refreshes and revokes them) and the Gmail half (which resolves the bearer token on every call
and enforces its scopes). Both halves hold the same `Accounts` instance.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

GMAIL_SCOPE_PREFIX = "https://www.googleapis.com/auth/gmail."


@dataclass
class Account:
    email: str
    name: str
    # A stable, numeric-looking subject identifier, as Google's `sub` claim is.
    sub: str = ""

    def __post_init__(self) -> None:
        if not self.sub:
            digest = hashlib.sha256(self.email.lower().encode()).hexdigest()
            self.sub = str(int(digest[:15], 16))

    @property
    def given_name(self) -> str:
        return self.name.split(" ")[0] if self.name else ""

    @property
    def family_name(self) -> str:
        return self.name.split(" ", 1)[1] if " " in self.name else ""


@dataclass
class Grant:
    """What one access token allows: whose mailbox, which scopes, until when."""

    email: str
    scopes: frozenset[str]
    client_id: str
    expires_at: float
    refresh_token: str | None = None  # the refresh token it was minted from, for revocation

    def has_any(self, *scopes: str) -> bool:
        return any(s in self.scopes for s in scopes)


@dataclass
class Accounts:
    default_ttl_seconds: float = 3600.0
    # Seconds added to the wall clock. The OAuth control route moves it so tests can age tokens
    # (access-token expiry, 7-day refresh tokens, 10-minute codes) without sleeping.
    clock_offset: float = 0.0
    _accounts: dict[str, Account] = field(default_factory=dict)
    _tokens: dict[str, Grant] = field(default_factory=dict)
    # Called after reset(), so the OAuth server's codes and refresh tokens go with the accounts.
    reset_listeners: list[Callable[[], None]] = field(default_factory=list)

    def now(self) -> float:
        """The emulator's clock: the wall clock plus the offset tests may set."""
        return time.time() + self.clock_offset

    # --- accounts ----------------------------------------------------------------------------
    def add(self, email: str, name: str = "") -> Account:
        key = email.strip().lower()
        account = self._accounts.get(key)
        if account is None:
            account = Account(email=email.strip(), name=name or email.split("@")[0])
            self._accounts[key] = account
        elif name:
            account.name = name
        return account

    def get(self, email: str) -> Account | None:
        return self._accounts.get(email.strip().lower())

    def all(self) -> list[Account]:
        return list(self._accounts.values())

    # --- access tokens ---------------------------------------------------------------------
    def issue_access_token(
        self,
        email: str,
        scopes: Iterable[str],
        client_id: str = "emulator-test-client",
        ttl: float | None = None,
        refresh_token: str | None = None,
    ) -> str:
        if self.get(email) is None:
            raise KeyError(f"no emulator account {email!r}")
        token = "ya29.emu-" + secrets.token_urlsafe(32)
        self._tokens[token] = Grant(
            email=self.get(email).email,  # type: ignore[union-attr]
            scopes=frozenset(scopes),
            client_id=client_id,
            expires_at=self.now() + (self.default_ttl_seconds if ttl is None else ttl),
            refresh_token=refresh_token,
        )
        return token

    def resolve(self, access_token: str) -> Grant | None:
        """The grant behind a bearer token, or None if unknown, expired or revoked."""
        grant = self._tokens.get(access_token)
        if grant is None or grant.expires_at <= self.now():
            return None
        return grant

    def revoke_access_token(self, access_token: str) -> bool:
        return self._tokens.pop(access_token, None) is not None

    def revoke_minted_from(self, refresh_token: str) -> int:
        """Revoke every access token minted from a refresh token (Google revokes them too)."""
        doomed = [t for t, g in self._tokens.items() if g.refresh_token == refresh_token]
        for t in doomed:
            del self._tokens[t]
        return len(doomed)

    def revoke_user(self, email: str, client_id: str | None = None) -> int:
        """Revoke every access token of a user (for one client, or all): access removed."""
        doomed = [
            t
            for t, g in self._tokens.items()
            if g.email.lower() == email.lower() and client_id in (None, g.client_id)
        ]
        for t in doomed:
            del self._tokens[t]
        return len(doomed)

    def expire_all(self, email: str | None = None) -> int:
        """Make tokens expire now (tests of refresh-after-expiry use this)."""
        n = 0
        for grant in self._tokens.values():
            if email is None or grant.email.lower() == email.lower():
                grant.expires_at = 0.0
                n += 1
        return n

    def reset(self) -> None:
        self._accounts.clear()
        self._tokens.clear()
        self.clock_offset = 0.0
        for listener in self.reset_listeners:
            listener()
