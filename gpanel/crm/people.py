"""Users and teams: the people who own CRM records.

Here they are CRM owners with a role (admin, manager, rep) and an optional team; sign-in,
sessions and connected mailboxes (`services.accounts`) hang off the same rows. Emails are
stored lower-case.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Row, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from gpanel.crm.emails import is_valid_email, normalise_email
from gpanel.crm.errors import Conflict, InvalidRecord, RecordNotFound
from gpanel.crm.models import Team, User, utcnow
from gpanel.store.tables import ROLES, teams, users


def _user(row: Row[Any]) -> User:
    return User(row.id, row.email, row.name, row.role, row.team_id, row.active)


async def check_user(conn: AsyncConnection, user_id: int | None, field: str = "owner_id") -> None:
    """Refuse a reference to a user that does not exist, naming the field."""
    if user_id is None:
        return
    found = await conn.scalar(select(users.c.id).where(users.c.id == user_id))
    if found is None:
        raise InvalidRecord({field: f"there is no user with id {user_id}"})


async def get_user(conn: AsyncConnection, user_id: int) -> User | None:
    row = (await conn.execute(select(users).where(users.c.id == user_id))).first()
    return _user(row) if row else None


async def get_person(conn: AsyncConnection, user_id: int) -> User | None:
    """A person by id; a team mailbox's account is not a person (None)."""
    query = select(users).where(users.c.id == user_id, users.c.team_account.is_(False))
    row = (await conn.execute(query)).first()
    return _user(row) if row else None


async def get_user_by_email(conn: AsyncConnection, email: str) -> User | None:
    row = (await conn.execute(select(users).where(users.c.email == normalise_email(email)))).first()
    return _user(row) if row else None


async def get_users(conn: AsyncConnection, ids: set[int]) -> dict[int, User]:
    if not ids:
        return {}
    rows = await conn.execute(select(users).where(users.c.id.in_(ids)))
    return {r.id: _user(r) for r in rows}


async def list_users(
    conn: AsyncConnection,
    *,
    q: str | None = None,
    team_id: int | None = None,
    email: str | None = None,
    after_id: int | None = None,
    limit: int = 50,
) -> list[User]:
    """People, by id; team mailboxes' accounts are never listed as people."""
    stmt = select(users).where(users.c.team_account.is_(False)).order_by(users.c.id).limit(limit)
    if q:
        like = f"%{q.strip()}%"
        stmt = stmt.where(users.c.name.ilike(like) | users.c.email.ilike(like))
    if team_id is not None:
        stmt = stmt.where(users.c.team_id == team_id)
    if email:
        stmt = stmt.where(users.c.email == normalise_email(email))
    if after_id is not None:
        stmt = stmt.where(users.c.id > after_id)
    return [_user(r) for r in await conn.execute(stmt)]


def _user_values(values: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(values)
    errors: dict[str, str] = {}
    if "email" in out:
        out["email"] = normalise_email(str(out["email"]))
        if not is_valid_email(out["email"]):
            errors["email"] = "is not an email address"
    if "role" in out and out["role"] not in ROLES:
        errors["role"] = "must be one of " + ", ".join(ROLES)
    if "name" in out and not str(out["name"]).strip():
        errors["name"] = "must not be empty"
    if errors:
        raise InvalidRecord(errors)
    return out


async def create_user(
    conn: AsyncConnection,
    *,
    email: str,
    name: str,
    role: str = "rep",
    team_id: int | None = None,
    active: bool = True,
) -> User:
    values = _user_values({"email": email, "name": name, "role": role})
    await check_team(conn, team_id)
    if await get_user_by_email(conn, values["email"]):
        raise Conflict({"email": f"{values['email']} already belongs to another user"})
    now = utcnow()
    user_id = await conn.scalar(
        insert(users)
        .values(**values, team_id=team_id, active=active, created_at=now, updated_at=now)
        .returning(users.c.id)
    )
    assert user_id is not None
    return User(user_id, values["email"], values["name"], role, team_id, active)


async def update_user(conn: AsyncConnection, user_id: int, changes: Mapping[str, Any]) -> User:
    values = _user_values({k: v for k, v in changes.items() if k in _USER_FIELDS})
    if "team_id" in values:
        await check_team(conn, values["team_id"], "team_id")
    if values:
        try:
            async with conn.begin_nested():
                done = await conn.execute(
                    update(users).where(users.c.id == user_id).values(**values, updated_at=utcnow())
                )
        except IntegrityError:
            raise Conflict({"email": "already belongs to another user"}) from None
        if done.rowcount == 0:
            raise RecordNotFound("user", user_id)
    user = await get_user(conn, user_id)
    if user is None:
        raise RecordNotFound("user", user_id)
    return user


_USER_FIELDS = frozenset({"email", "name", "role", "team_id", "active"})


async def delete_user(conn: AsyncConnection, user_id: int) -> None:
    """Delete a user; records they owned stay, with no owner."""
    done = await conn.execute(delete(users).where(users.c.id == user_id))
    if done.rowcount == 0:
        raise RecordNotFound("user", user_id)


# --- Teams -------------------------------------------------------------------------------------


async def check_team(conn: AsyncConnection, team_id: int | None, field: str = "team_id") -> None:
    if team_id is None:
        return
    if await conn.scalar(select(teams.c.id).where(teams.c.id == team_id)) is None:
        raise InvalidRecord({field: f"there is no team with id {team_id}"})


async def get_team(conn: AsyncConnection, team_id: int) -> Team | None:
    row = (await conn.execute(select(teams).where(teams.c.id == team_id))).first()
    return Team(row.id, row.name) if row else None


async def get_team_by_name(conn: AsyncConnection, name: str) -> Team | None:
    row = (await conn.execute(select(teams).where(teams.c.name == name.strip()))).first()
    return Team(row.id, row.name) if row else None


async def list_teams(
    conn: AsyncConnection, *, q: str | None = None, after_id: int | None = None, limit: int = 50
) -> list[Team]:
    stmt = select(teams).order_by(teams.c.id).limit(limit)
    if q:
        stmt = stmt.where(teams.c.name.ilike(f"%{q.strip()}%"))
    if after_id is not None:
        stmt = stmt.where(teams.c.id > after_id)
    return [Team(r.id, r.name) for r in await conn.execute(stmt)]


async def create_team(conn: AsyncConnection, *, name: str) -> Team:
    name = name.strip()
    if not name:
        raise InvalidRecord({"name": "must not be empty"})
    if await get_team_by_name(conn, name):
        raise Conflict({"name": f"a team called {name!r} already exists"})
    team_id = await conn.scalar(
        insert(teams).values(name=name, created_at=utcnow()).returning(teams.c.id)
    )
    assert team_id is not None
    return Team(team_id, name)


async def update_team(conn: AsyncConnection, team_id: int, changes: Mapping[str, Any]) -> Team:
    if "name" in changes:
        name = str(changes["name"]).strip()
        if not name:
            raise InvalidRecord({"name": "must not be empty"})
        other = await get_team_by_name(conn, name)
        if other and other.id != team_id:
            raise Conflict({"name": f"a team called {name!r} already exists"})
        await conn.execute(update(teams).where(teams.c.id == team_id).values(name=name))
    team = await get_team(conn, team_id)
    if team is None:
        raise RecordNotFound("team", team_id)
    return team


async def delete_team(conn: AsyncConnection, team_id: int) -> None:
    """Delete a team; its members stay, in no team."""
    done = await conn.execute(delete(teams).where(teams.c.id == team_id))
    if done.rowcount == 0:
        raise RecordNotFound("team", team_id)


async def count_users(conn: AsyncConnection) -> int:
    return int(await conn.scalar(select(func.count()).select_from(users)) or 0)
