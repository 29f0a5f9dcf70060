"""Sharing and feature rules as stored: the bridge between the database and `policy.py`.

Admins store rules per role or per user (`sharing_rules`, `feature_rules`); each rep stores
their own choice (`sharing_settings`). This module loads them, lets `policy.py` combine them,
and saves changes after `policy.validate_choice` has accepted them. `viewer_context()` loads
everything one record view needs in two queries, so the panel does not ask per mailbox.
`role_rules()` and `share_choices()` are what the admin page and the sharing page show.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from gpanel.crm.models import Team, User
from gpanel.services.sharing.policy import (
    AdminPolicy,
    Audience,
    Detail,
    Feature,
    Person,
    Rule,
    RuleMode,
    Sharing,
    effective_sharing,
    feature_allowed,
    resolve_policy,
    validate_choice,
)
from gpanel.store.tables import (
    feature_rules,
    mailboxes,
    sharing_rules,
    sharing_settings,
    teams,
    users,
)


class SharingRefused(Exception):
    """The requested sharing setting is outside what the admin allows."""


@dataclass(frozen=True)
class OwnerSharing:
    """A mailbox owner as the policy sees them, with the sharing that applies to them."""

    mailbox_id: int
    owner: Person
    owner_name: str
    sharing: Sharing


@dataclass(frozen=True)
class RoleRules:
    """The admin's per-role rules as the admin page edits them (user rules are not shown)."""

    features: dict[tuple[str, str], bool]  # (role, feature value) -> allowed
    sharing: dict[tuple[str, str], Rule]  # (role, "audience" | "detail") -> rule


def _subject(subject_type: str, subject: str | int) -> tuple[str, str]:
    if subject_type not in ("role", "user"):
        raise ValueError(subject_type)
    return subject_type, str(subject)


async def _policies(conn: AsyncConnection) -> dict[tuple[str, str], AdminPolicy]:
    rows = (await conn.execute(select(sharing_rules))).all()
    fields: dict[tuple[str, str], dict[str, Rule]] = {}
    for r in rows:
        fields.setdefault((r.subject_type, r.subject), {})[r.field] = Rule(
            RuleMode(r.mode), r.value, bool(r.locked)
        )
    return {
        k: AdminPolicy(audience=v.get("audience", Rule()), detail=v.get("detail", Rule()))
        for k, v in fields.items()
    }


def _policy_for(
    policies: dict[tuple[str, str], AdminPolicy], user_id: int, role: str
) -> AdminPolicy:
    return resolve_policy(policies.get(("role", role)), policies.get(("user", str(user_id))))


def _sharing(row: Row[Any] | None) -> Sharing | None:
    if row is None:
        return None
    return Sharing(
        Audience(row.audience),
        Detail(row.detail),
        frozenset(int(u) for u in row.selected_users),
        frozenset(int(t) for t in row.selected_teams),
    )


async def policy_for(engine: AsyncEngine, user_id: int, role: str) -> AdminPolicy:
    async with engine.connect() as conn:
        return _policy_for(await _policies(conn), user_id, role)


async def my_sharing(engine: AsyncEngine, user_id: int, role: str) -> tuple[Sharing, AdminPolicy]:
    """A user's effective sharing and the admin policy that bounds it."""
    async with engine.connect() as conn:
        policy = _policy_for(await _policies(conn), user_id, role)
        row = (
            await conn.execute(
                select(sharing_settings).where(sharing_settings.c.user_id == user_id)
            )
        ).first()
    return effective_sharing(_sharing(row), policy), policy


async def save_sharing(engine: AsyncEngine, user_id: int, role: str, choice: Sharing) -> Sharing:
    current, policy = await my_sharing(engine, user_id, role)
    problems = validate_choice(choice, policy, current)
    if problems:
        raise SharingRefused(" ".join(problems))
    async with engine.begin() as conn:
        await conn.execute(delete(sharing_settings).where(sharing_settings.c.user_id == user_id))
        await conn.execute(
            insert(sharing_settings).values(
                user_id=user_id,
                audience=choice.audience.value,
                detail=choice.detail.value,
                selected_users=sorted(choice.users),
                selected_teams=sorted(choice.teams),
                updated_at=dt.datetime.now(dt.UTC),
            )
        )
    return effective_sharing(choice, policy)


async def set_rule(
    engine: AsyncEngine, subject_type: str, subject: str | int, field: str, rule: Rule | None
) -> None:
    """Set (or with None, clear) an admin's sharing rule for a role or a user."""
    if field not in ("audience", "detail"):
        raise ValueError(field)
    if rule is not None and rule.value is not None:
        (Audience if field == "audience" else Detail)(rule.value)  # validates the value
    st, sj = _subject(subject_type, subject)
    async with engine.begin() as conn:
        await conn.execute(
            delete(sharing_rules).where(
                sharing_rules.c.subject_type == st,
                sharing_rules.c.subject == sj,
                sharing_rules.c.field == field,
            )
        )
        if rule is not None:
            await conn.execute(
                insert(sharing_rules).values(
                    subject_type=st,
                    subject=sj,
                    field=field,
                    mode=rule.mode.value,
                    value=rule.value,
                    locked=rule.locked,
                )
            )


async def set_feature(
    engine: AsyncEngine,
    subject_type: str,
    subject: str | int,
    feature: Feature,
    allowed: bool | None,
) -> None:
    st, sj = _subject(subject_type, subject)
    async with engine.begin() as conn:
        await conn.execute(
            delete(feature_rules).where(
                feature_rules.c.subject_type == st,
                feature_rules.c.subject == sj,
                feature_rules.c.feature == feature.value,
            )
        )
        if allowed is not None:
            await conn.execute(
                insert(feature_rules).values(
                    subject_type=st, subject=sj, feature=feature.value, allowed=allowed
                )
            )


async def features_for(engine: AsyncEngine, user_id: int, role: str) -> dict[Feature, bool]:
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                select(feature_rules).where(
                    ((feature_rules.c.subject_type == "role") & (feature_rules.c.subject == role))
                    | (
                        (feature_rules.c.subject_type == "user")
                        & (feature_rules.c.subject == str(user_id))
                    )
                )
            )
        ).all()
    role_rules = {Feature(r.feature): bool(r.allowed) for r in rows if r.subject_type == "role"}
    user_rules = {Feature(r.feature): bool(r.allowed) for r in rows if r.subject_type == "user"}
    return {f: feature_allowed(f, role_rules, user_rules) for f in Feature}


async def gmail_withdrawn(conn: AsyncConnection, people: list[tuple[int, str]]) -> set[int]:
    """Which of `people` ((user id, role) pairs) the admin no longer allows to connect Gmail.
    Their mailboxes, though still connected, are not read by anyone (panel, thread view,
    background jobs) until the admin allows Gmail again or the owner disconnects."""
    rules = (
        await conn.execute(
            select(feature_rules).where(feature_rules.c.feature == Feature.CONNECT_GMAIL.value)
        )
    ).all()
    by_role = {r.subject: bool(r.allowed) for r in rules if r.subject_type == "role"}
    by_user = {r.subject: bool(r.allowed) for r in rules if r.subject_type == "user"}
    withdrawn = set()
    for user_id, role in people:
        role_rules = {Feature.CONNECT_GMAIL: by_role[role]} if role in by_role else {}
        user_rules = (
            {Feature.CONNECT_GMAIL: by_user[str(user_id)]} if str(user_id) in by_user else {}
        )
        if not feature_allowed(Feature.CONNECT_GMAIL, role_rules, user_rules):
            withdrawn.add(user_id)
    return withdrawn


async def gmail_withdrawn_for(engine: AsyncEngine, people: list[tuple[int, str]]) -> set[int]:
    """`gmail_withdrawn` on its own connection (the admin page's mailbox list)."""
    async with engine.connect() as conn:
        return await gmail_withdrawn(conn, people)


async def mailbox_owners(engine: AsyncEngine) -> list[OwnerSharing]:
    """Every connected mailbox's owner and effective sharing, in three queries. Mailboxes of
    people the admin no longer allows to connect Gmail are left out: nobody reads them."""
    query = (
        select(
            mailboxes.c.id.label("mailbox_id"),
            users.c.id,
            users.c.name,
            users.c.role,
            users.c.team_id,
            sharing_settings,
        )
        .join(users, users.c.id == mailboxes.c.user_id)
        .outerjoin(sharing_settings, sharing_settings.c.user_id == users.c.id)
        .where(mailboxes.c.status == "connected", users.c.active.is_(True))
    )
    async with engine.connect() as conn:
        policies = await _policies(conn)
        rows = (await conn.execute(query)).all()
        withdrawn = await gmail_withdrawn(conn, [(r.id, r.role) for r in rows])
    owners = []
    for r in rows:
        if r.id in withdrawn:
            continue
        choice = _sharing(r) if r.audience is not None else None
        owners.append(
            OwnerSharing(
                mailbox_id=r.mailbox_id,
                owner=Person.of(r.id, r.role, [r.team_id] if r.team_id else []),
                owner_name=r.name,
                sharing=effective_sharing(choice, _policy_for(policies, r.id, r.role)),
            )
        )
    return owners


async def role_rules(engine: AsyncEngine) -> RoleRules:
    """Every role's feature permissions and sharing rules, for the admin page."""
    async with engine.connect() as conn:
        f_rules = (
            await conn.execute(select(feature_rules).where(feature_rules.c.subject_type == "role"))
        ).all()
        s_rules = (
            await conn.execute(select(sharing_rules).where(sharing_rules.c.subject_type == "role"))
        ).all()
    return RoleRules(
        features={(r.subject, r.feature): bool(r.allowed) for r in f_rules},
        sharing={
            (r.subject, r.field): Rule(RuleMode(r.mode), r.value, bool(r.locked)) for r in s_rules
        },
    )


async def share_choices(engine: AsyncEngine, user_id: int) -> tuple[list[User], list[Team]]:
    """Whom a user may pick to share with: the other active people and every team, by name."""
    async with engine.connect() as conn:
        people = (
            await conn.execute(
                select(users)
                .where(
                    users.c.active.is_(True),
                    users.c.team_account.is_(False),
                    users.c.id != user_id,
                )
                .order_by(users.c.name)
            )
        ).all()
        groups = (await conn.execute(select(teams).order_by(teams.c.name))).all()
    return (
        [User(p.id, p.email, p.name, p.role, p.team_id, bool(p.active)) for p in people],
        [Team(t.id, t.name) for t in groups],
    )
