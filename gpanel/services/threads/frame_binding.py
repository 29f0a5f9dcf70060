"""Signed links for what the message frame loads, bound to one viewer's session and one message.

The sandboxed message frame is an opaque origin, so its image requests carry no cookie: a
`cid:` part (`?inline=1&t=`) or a proxied remote image (`/img?u=&s=`) is authorised by a token
in its URL. A token that said only "gpanel made this" could be copied out of one reader's
frame and planted in mail to another, who would then trigger a fetch (a read receipt) while
images are blocked; one that outlived its session would keep working after sign-out. So every
token names a `FrameBinding`: the viewer, a reference to their session (a hash of the session
row's own hash: nothing in the URL is a database key), the record, mailbox, thread and message
it was rendered for, what it loads (the part id, or a digest of the image URL), and the client
the page was rendered for (`client_ref`: a digest of the browser's address and User-Agent).
It expires after `TOKEN_MAX_AGE`. At load time the route checks it all again: the signature
and age, that the session is still live for that viewer (`live_viewer`), that a request which
does carry a session cookie carries that very session, that a request without one comes from
the client the token was made for (`same_client`), and then the thread gate and the message.

Why the client: the frame's own requests carry no cookie at all (an opaque origin; Chromium
sends it neither a SameSite=Lax nor a SameSite=None or partitioned cookie), so a cookie-less
request cannot name its session. Without the client check, a proxy URL minted in an attacker's
own live session and planted in mail would load (and fetch, telling the sender the mail was
read) for any victim whose mail client fetches it cookie-less, a proxy such as Gmail's
included. What remains: a victim behind the same address with the very same browser build.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import astuple, dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from gpanel.crm.models import RecordType
from gpanel.services.accounts.sessions import CurrentUser
from gpanel.store.tables import sessions, users

TOKEN_MAX_AGE = 3600  # an open thread page re-renders its links when it is loaded again
INLINE = "gpanel.frame.inline-part"
IMAGE = "gpanel.frame.image-proxy"
_REF_PREFIX = b"gpanel.frame-session\x00"
_CLIENT_PREFIX = b"gpanel.frame-client\x00"


@dataclass(frozen=True, slots=True)
class FrameBinding:
    viewer_id: int
    session_ref: str
    record_type: RecordType
    record_id: int
    mailbox_id: int
    thread_id: str
    message_id: str
    target: str  # the part id, or `url_digest(url)`
    client: str = ""  # `client_ref` of the request the page was rendered for


def _session_hash(session_id: str) -> str:
    # The same hash `accounts.sessions` keys its rows by.
    return hashlib.sha256(session_id.encode()).hexdigest()


def _ref_of_hash(id_hash: str) -> str:
    return hashlib.sha256(_REF_PREFIX + id_hash.encode()).hexdigest()[:32]


def session_ref(session_id: str | None) -> str:
    """The session's reference in frame tokens ('' without a session: such tokens never load:
    API clients read the JSON, they do not render frames)."""
    return _ref_of_hash(_session_hash(session_id)) if session_id else ""


def client_ref(address: str | None, user_agent: str | None) -> str:
    """The client a frame token is made for: a digest of its address and User-Agent (nothing
    in the URL tells either)."""
    raw = f"{address or ''}\x00{user_agent or ''}".encode()
    return hashlib.sha256(_CLIENT_PREFIX + raw).hexdigest()[:32]


def same_client(binding: FrameBinding, client: str) -> bool:
    """A request without a session cookie may use only tokens made for its client."""
    return bool(binding.client) and hmac.compare_digest(binding.client, client)


def url_digest(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()[:32]


class FrameSigner:
    """Makes and reads frame tokens with the app secret, one salt per purpose."""

    def __init__(self, secret: str, max_age: int = TOKEN_MAX_AGE) -> None:
        self._secret = secret
        self.max_age = max_age

    def dumps(self, purpose: str, binding: FrameBinding) -> str:
        return URLSafeTimedSerializer(self._secret, salt=purpose).dumps(list(astuple(binding)))

    def loads(self, purpose: str, token: str) -> FrameBinding | None:
        if not token:
            return None
        try:
            claims = URLSafeTimedSerializer(self._secret, salt=purpose).loads(
                token, max_age=self.max_age
            )
        except BadSignature:  # SignatureExpired is one
            return None
        if not isinstance(claims, list) or len(claims) != 9:
            return None
        v, ref, kind, record, mailbox, thread, message, target, client = claims
        if not (isinstance(v, int) and isinstance(record, int) and isinstance(mailbox, int)):
            return None
        if not all(isinstance(x, str) for x in (ref, kind, thread, message, target, client)):
            return None
        try:
            record_type = RecordType(kind)
        except ValueError:
            return None
        return FrameBinding(v, ref, record_type, record, mailbox, thread, message, target, client)


def same_session(binding: FrameBinding, session_id: str | None) -> bool:
    """A request that carries a session may use only tokens made for that session."""
    return session_id is None or hmac.compare_digest(binding.session_ref, session_ref(session_id))


async def live_viewer(engine: AsyncEngine, binding: FrameBinding) -> CurrentUser | None:
    """The token's viewer, if the session it was made in is still live (not signed out,
    revoked or expired) and the user is still active; otherwise None."""
    if not binding.session_ref:
        return None
    now = dt.datetime.now(dt.UTC)
    query = (
        select(sessions.c.id_hash)
        .join(users, users.c.id == sessions.c.user_id)
        .where(
            sessions.c.user_id == binding.viewer_id,
            sessions.c.revoked_at.is_(None),
            sessions.c.expires_at > now,
            users.c.active.is_(True),
        )
    )
    async with engine.connect() as conn:
        hashes = [row.id_hash for row in (await conn.execute(query)).all()]
        if not any(hmac.compare_digest(_ref_of_hash(h), binding.session_ref) for h in hashes):
            return None
        row = (await conn.execute(select(users).where(users.c.id == binding.viewer_id))).first()
    if row is None:
        return None
    return CurrentUser(row.id, row.email, row.name, row.role, row.team_id)
