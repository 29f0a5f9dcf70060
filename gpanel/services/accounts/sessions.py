"""People and sessions: who may sign in, and who is signed in.

Sign-in is Google's (see `google_oauth.py`); this module decides what a verified Google
identity means here. A person may sign in when they are an active gpanel user, when they are
the first admin named in settings, or when their address is in one of the org's own domains
(they join as a rep). Everyone else is told plainly whom to ask.

Sessions are rows keyed by the SHA-256 of a random id; the browser holds the id in a signed
cookie (`web/session.py`). Signing out, an admin deactivating a user, or deleting them ends
their sessions at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from gpanel.crm import people
from gpanel.crm.errors import CrmError
from gpanel.crm.models import Team, User
from gpanel.services.sharing.policy import Person
from gpanel.settings import Settings
from gpanel.store.tables import ROLES as ROLES  # re-exported: the admin page lists the roles
from gpanel.store.tables import sessions, teams, users

SESSION_LIFETIME = dt.timedelta(days=14)


class SignInRefused(Exception):
    """This Google account may not use gpanel here; the message says whom to ask."""


@dataclass(frozen=True)
class CurrentUser:
    id: int
    email: str
    name: str
    role: str
    team_id: int | None

    @property
    def person(self) -> Person:
        return Person.of(self.id, self.role, [self.team_id] if self.team_id else [])

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def _user(row: Row[Any]) -> CurrentUser:
    return CurrentUser(
        id=row.id,
        email=row.email,
        name=row.name,
        role=row.role,
        team_id=row.team_id,
    )


async def _find_or_admit(
    conn: AsyncConnection, settings: Settings, email: str, name: str
) -> CurrentUser:
    email = email.strip().lower()
    row = (await conn.execute(select(users).where(users.c.email == email))).first()
    first_admin = email == settings.first_admin_email.strip().lower()
    if row is not None:
        if row.team_account:
            raise SignInRefused(
                f"{email} is a team mailbox in gpanel; nobody signs in with it. Sign in with "
                "your own account."
            )
        if not row.active:
            raise SignInRefused(
                f"The gpanel account for {email} is deactivated. Ask an admin to reactivate it."
            )
        if first_admin and row.role != "admin":
            admins = await conn.scalar(
                select(func.count()).select_from(users).where(users.c.role == "admin")
            )
            if not admins:
                await conn.execute(
                    update(users)
                    .where(users.c.id == row.id)
                    .values(role="admin", updated_at=_now())
                )
                row = (await conn.execute(select(users).where(users.c.id == row.id))).one()
        return _user(row)
    domain = email.rsplit("@", 1)[-1]
    if not first_admin and domain not in settings.own_domains:
        raise SignInRefused(
            f"{email} is not a gpanel user here. Ask your gpanel admin to add "
            "this address, or sign in with your work account."
        )
    now = _now()
    new_id = (
        await conn.execute(
            insert(users)
            .values(
                email=email,
                name=name or email,
                role="admin" if first_admin else "rep",
                team_id=None,
                active=True,
                created_at=now,
                updated_at=now,
            )
            .returning(users.c.id)
        )
    ).scalar_one()
    return _user((await conn.execute(select(users).where(users.c.id == new_id))).one())


async def sign_in(
    engine: AsyncEngine, settings: Settings, email: str, name: str
) -> tuple[CurrentUser, str]:
    """Admit a verified Google identity and open a session; returns the user and session id."""
    session_id = secrets.token_urlsafe(32)
    async with engine.begin() as conn:
        user = await _find_or_admit(conn, settings, email, name)
        now = _now()
        await conn.execute(
            insert(sessions).values(
                id_hash=_hash(session_id),
                user_id=user.id,
                created_at=now,
                expires_at=now + SESSION_LIFETIME,
                revoked_at=None,
            )
        )
    return user, session_id


async def load_session(engine: AsyncEngine, session_id: str) -> CurrentUser | None:
    """The signed-in user for a session id, or None if it ended, expired or was revoked."""
    query = (
        select(users)
        .join(sessions, sessions.c.user_id == users.c.id)
        .where(
            sessions.c.id_hash == _hash(session_id),
            sessions.c.revoked_at.is_(None),
            sessions.c.expires_at > _now(),
            users.c.active.is_(True),
            users.c.team_account.is_(False),
        )
    )
    async with engine.connect() as conn:
        row = (await conn.execute(query)).first()
    return _user(row) if row is not None else None


async def sign_out(engine: AsyncEngine, session_id: str) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            update(sessions)
            .where(sessions.c.id_hash == _hash(session_id))
            .values(revoked_at=_now())
        )


async def end_sessions(conn: AsyncConnection, user_id: int) -> None:
    """End every session of a user (deactivation, deletion, admin action)."""
    await conn.execute(delete(sessions).where(sessions.c.user_id == user_id))


async def purge_expired_sessions(engine: AsyncEngine) -> int:
    async with engine.begin() as conn:
        result = await conn.execute(
            delete(sessions).where(
                (sessions.c.expires_at < _now()) | sessions.c.revoked_at.is_not(None)
            )
        )
    return int(result.rowcount or 0)


# --- Admin: people ----------------------------------------------------------------------------
# The rows are CRM users (gpanel.crm.people owns them); what accounts adds is who may change
# whom, and that sessions end when a person is deactivated or deleted.


class PersonRefused(Exception):
    """An admin action on people that cannot be done, in words to show."""


async def list_people(engine: AsyncEngine) -> list[User]:
    """Every person (team mailboxes' accounts are not people: left out)."""
    async with engine.connect() as conn:
        found = await people.list_users(conn, limit=10_000)
        accounts = set(
            (await conn.scalars(select(users.c.id).where(users.c.team_account.is_(True)))).all()
        )
    return [u for u in found if u.id not in accounts]


async def list_teams(engine: AsyncEngine) -> list[Team]:
    """Every team, by name, for the admin page's pickers."""
    async with engine.connect() as conn:
        rows = (await conn.execute(select(teams).order_by(teams.c.name))).all()
    return [Team(r.id, r.name) for r in rows]


async def add_person(
    engine: AsyncEngine, email: str, name: str, role: str, team_id: int | None
) -> User:
    try:
        async with engine.begin() as conn:
            return await people.create_user(
                conn, email=email, name=name or email, role=role, team_id=team_id
            )
    except CrmError as exc:
        raise PersonRefused(str(exc)) from None


async def update_person(
    engine: AsyncEngine,
    acting: CurrentUser,
    user_id: int,
    *,
    role: str,
    team_id: int | None,
    active: bool,
) -> None:
    if user_id == acting.id and (role != "admin" or not active):
        raise PersonRefused(
            "You cannot remove your own admin role or deactivate yourself; ask another admin."
        )
    try:
        async with engine.begin() as conn:
            await people.update_user(
                conn, user_id, {"role": role, "team_id": team_id, "active": active}
            )
            if not active:
                await end_sessions(conn, user_id)
    except CrmError as exc:
        raise PersonRefused(str(exc)) from None


async def delete_person(engine: AsyncEngine, acting: CurrentUser, user_id: int) -> None:
    """Delete a user. The caller disconnects their mailbox first (revoking at Google); the
    database then removes their sessions, settings and mailbox rows by cascade."""
    if user_id == acting.id:
        raise PersonRefused("You cannot delete yourself; ask another admin.")
    try:
        async with engine.begin() as conn:
            await people.delete_user(conn, user_id)
    except CrmError as exc:
        raise PersonRefused(str(exc)) from None
