"""The emulator's id_token signing key, and the two shapes Google publishes its public keys in.

Each emulator instance generates its own RSA key when it is built (never at import time), so a
token signed by one instance never verifies against another. The public half is served as
PEM X.509 certificates keyed by key id (Google's `/oauth2/v1/certs`, which
`google.oauth2.id_token.verify_token` reads) and as a JSON Web Key Set (`/oauth2/v3/certs`).
Signing goes through google-auth's own `RSASigner` and `jwt.encode`, so the tokens are built
exactly the way Google's client library expects to read them.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from collections.abc import Mapping
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from google.auth import crypt
from google.auth import jwt as google_jwt


def _b64url_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


class SigningKey:
    """One RSA key pair with a key id, a self-signed certificate and an RS256 signer."""

    def __init__(self, common_name: str = "emulator.gpanel.invalid") -> None:
        self._private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        public_der = self._private.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        # Google's key ids are 40 hex digits; a digest of the public key gives the same look.
        self.kid = hashlib.sha1(public_der, usedforsecurity=False).hexdigest()
        private_pem = self._private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        self._signer = crypt.RSASigner.from_string(  # type: ignore[no-untyped-call]
            private_pem, key_id=self.kid
        )
        self.certificate_pem = self._self_signed(common_name)

    def _self_signed(self, common_name: str) -> str:
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
        now = dt.datetime.now(dt.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self._private.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=14))
            .sign(self._private, hashes.SHA256())
        )
        return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")

    def sign(self, claims: Mapping[str, Any]) -> str:
        """An RS256 JWT over `claims`, with this key's id in the header."""
        token: bytes = google_jwt.encode(  # type: ignore[no-untyped-call]
            self._signer, dict(claims), key_id=self.kid
        )
        return token.decode("ascii")

    def pem_certs(self) -> dict[str, str]:
        """`{kid: PEM certificate}`, the body of Google's `/oauth2/v1/certs`."""
        return {self.kid: self.certificate_pem}

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        """The body of Google's `/oauth2/v3/certs`."""
        numbers = self._private.public_key().public_numbers()
        return {
            "keys": [
                {
                    "kty": "RSA",
                    "alg": "RS256",
                    "use": "sig",
                    "kid": self.kid,
                    "n": _b64url_uint(numbers.n),
                    "e": _b64url_uint(numbers.e),
                }
            ]
        }


def at_hash(access_token: str) -> str:
    """OpenID Connect's `at_hash`: the left half of SHA-256 of the access token, base64url."""
    digest = hashlib.sha256(access_token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode("ascii")
