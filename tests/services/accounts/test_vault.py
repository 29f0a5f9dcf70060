"""Token encryption at rest: round trip, key rotation, clear errors for wrong keys."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from gpanel.services.accounts.vault import TokenVault, VaultError

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def test_round_trip_hides_the_token() -> None:
    vault = TokenVault([OLD])
    stored = vault.encrypt("1//refresh-token-secret")
    assert "refresh-token-secret" not in stored
    assert vault.decrypt(stored) == "1//refresh-token-secret"


def test_rotation_moves_old_ciphertexts_to_the_new_key() -> None:
    """With the new key first, old tokens still decrypt, and rotate() re-encrypts them so the
    old key can then be dropped."""
    stored = TokenVault([OLD]).encrypt("tok")
    both = TokenVault([NEW, OLD])
    assert both.needs_rotation(stored)
    rotated = both.rotate(stored)
    assert not both.needs_rotation(rotated)
    assert TokenVault([NEW]).decrypt(rotated) == "tok"
    with pytest.raises(VaultError, match="reconnected"):
        TokenVault([NEW]).decrypt(stored)


def test_bad_key_is_explained() -> None:
    with pytest.raises(VaultError, match="Fernet"):
        TokenVault(["not-a-key"])
