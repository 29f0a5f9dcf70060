"""The session cookie: a signed, expiring reference to a server-side session row.

The cookie carries only a random session id, signed with itsdangerous so it cannot be forged
or altered, and timestamped so it expires even if the row lingers. Revocation is server-side:
deleting or revoking the row ends the session on the next request, whatever the cookie says.
The CSRF token is derived from the session id with a different salt, so it is stable for the
session and useless without it.
"""

from __future__ import annotations

from itsdangerous import BadSignature, URLSafeSerializer, URLSafeTimedSerializer

SESSION_COOKIE = "gpanel_session"
SESSION_MAX_AGE = 14 * 24 * 3600
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"


class SessionCodec:
    def __init__(self, secret: str, max_age: int = SESSION_MAX_AGE) -> None:
        self.max_age = max_age
        self._cookie = URLSafeTimedSerializer(secret, salt="gpanel.session")
        self._csrf = URLSafeSerializer(secret, salt="gpanel.csrf")

    def dumps(self, session_id: str) -> str:
        return self._cookie.dumps(session_id)

    def loads(self, cookie: str | None) -> str | None:
        """The session id in a cookie, or None if absent, forged, tampered or expired."""
        if not cookie:
            return None
        try:
            value = self._cookie.loads(cookie, max_age=self.max_age)
        except BadSignature:  # SignatureExpired is a BadSignature too
            return None
        return value if isinstance(value, str) else None

    def csrf_token(self, session_id: str) -> str:
        return self._csrf.dumps(session_id)

    def csrf_matches(self, token: str | None, session_id: str) -> bool:
        if not token:
            return False
        try:
            return bool(self._csrf.loads(token) == session_id)
        except BadSignature:
            return False
