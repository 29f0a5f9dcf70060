"""Encryption at rest for OAuth tokens.

Refresh tokens are the keys to people's mailboxes, so they are stored only as Fernet tokens
(AES-128-CBC + HMAC-SHA256) under keys from `GPANEL_TOKEN_KEYS`. `MultiFernet` gives rotation:
the first key encrypts, every listed key decrypts, and `rotate()` re-encrypts an old ciphertext
under the first key. Plain tokens never leave process memory.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class VaultError(Exception):
    """A stored token cannot be decrypted with any configured key."""


class TokenVault:
    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise VaultError("No token encryption key is configured (GPANEL_TOKEN_KEYS).")
        try:
            self._fernets = [Fernet(k.encode()) for k in keys]
        except (ValueError, TypeError) as exc:
            raise VaultError(
                "GPANEL_TOKEN_KEYS must hold Fernet keys (32 url-safe base64-encoded bytes); "
                "generate one with: python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'"
            ) from exc
        self._multi = MultiFernet(self._fernets)

    def encrypt(self, plain: str) -> str:
        return self._multi.encrypt(plain.encode()).decode()

    def decrypt(self, stored: str) -> str:
        try:
            return self._multi.decrypt(stored.encode()).decode()
        except InvalidToken:
            raise VaultError(
                "A stored token was encrypted with a key that is no longer configured; the "
                "mailbox must be reconnected (or the old key added back to GPANEL_TOKEN_KEYS)."
            ) from None

    def needs_rotation(self, stored: str) -> bool:
        """True when `stored` was not encrypted with the current (first) key."""
        try:
            self._fernets[0].decrypt(stored.encode())
        except InvalidToken:
            return True
        return False

    def rotate(self, stored: str) -> str:
        try:
            return self._multi.rotate(stored.encode()).decode()
        except InvalidToken:
            raise VaultError("cannot rotate a token no configured key can read") from None
