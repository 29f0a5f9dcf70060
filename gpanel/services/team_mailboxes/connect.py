"""An admin connects, configures and disconnects team mailboxes.

Connecting runs Google's consent (purpose "team", the same grant as a personal mailbox) and
lands here with the `FlowResult`: the address becomes a team account (`users.team_account`,
never a person) owning an ordinary `mailboxes` row, plus the `team_mailboxes` row. An address
that is already a person's gpanel account is refused (their own mailbox page connects it).
Configuring sets the teams, dispatchers (members of those teams) and options, and keeps the
team account's sharing on records at "selected: the mailbox's teams". Disconnecting revokes
the grant, deletes the mailbox (every team row cascades: the team data is forgotten) and the
team account.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from gpanel.services.accounts import disconnect as accounts_disconnect
from gpanel.services.accounts.google_oauth import FlowResult, missing_features
from gpanel.services.accounts.sessions import CurrentUser
from gpanel.services.context import AppContext
from gpanel.services.team_mailboxes import store
from gpanel.services.team_mailboxes.access import manage_box
from gpanel.services.team_mailboxes.model import (
    BANNER_CHOICES,
    DEFAULT_BANNER,
    Invalid,
    Refused,
    TeamMailbox,
)
from gpanel.store.tables import (
    mailboxes,
    sharing_settings,
    team_mailbox_dispatchers,
    team_mailbox_teams,
    team_mailboxes,
    teams,
    users,
)


async def connect(ctx: AppContext, admin: CurrentUser, result: FlowResult) -> TeamMailbox:
    """Store the team mailbox the admin just consented to at Google."""
    if not admin.is_admin:
        raise Refused("Only an admin connects team mailboxes.")
    email = result.email.strip().lower()
    missing = missing_features(result.granted_scopes)
    if missing:
        raise Invalid(
            "Google did not grant gpanel access to this mailbox's Gmail, so gpanel cannot "
            + "; ".join(missing)
            + ". Connect again and leave the Gmail box ticked on Google's consent page."
        )
    now = store.now_utc()
    async with ctx.engine.begin() as conn:
        person = (await conn.execute(select(users).where(users.c.email == email))).first()
        if person is not None and not person.team_account:
            raise Invalid(
                f"{email} is a person's gpanel account; they connect it from their own "
                "mailbox page. Choose the team's Google account on Google's page."
            )
        if person is None:
            account_id = (
                await conn.execute(
                    insert(users)
                    .values(
                        email=email,
                        name=result.name or email,
                        role="rep",
                        team_id=None,
                        active=True,
                        team_account=True,
                        created_at=now,
                        updated_at=now,
                    )
                    .returning(users.c.id)
                )
            ).scalar_one()
        else:
            account_id = int(person.id)
        box = (
            await conn.execute(select(mailboxes).where(mailboxes.c.user_id == account_id))
        ).first()
        if result.refresh_token:
            token = ctx.vault.encrypt(result.refresh_token)
        elif box is not None:
            token = box.refresh_token_enc
        else:
            raise Invalid("Google did not give gpanel offline access. Connect again.")
        values = dict(
            email=email,
            google_sub=result.subject,
            refresh_token_enc=token,
            scopes=" ".join(sorted(result.granted_scopes)),
            status="connected",
            last_error=None,
            last_error_at=None,
            updated_at=now,
        )
        if box is None:
            mailbox_id = (
                await conn.execute(
                    insert(mailboxes)
                    .values(user_id=account_id, connected_at=now, **values)
                    .returning(mailboxes.c.id)
                )
            ).scalar_one()
        else:
            mailbox_id = int(box.id)
            await conn.execute(update(mailboxes).where(mailboxes.c.id == box.id).values(**values))
        existing = await conn.scalar(
            select(team_mailboxes.c.id).where(team_mailboxes.c.mailbox_id == mailbox_id)
        )
        if existing is None:
            existing = (
                await conn.execute(
                    insert(team_mailboxes)
                    .values(
                        mailbox_id=mailbox_id,
                        name=email,
                        banner_statuses=list(DEFAULT_BANNER),
                        created_by=admin.id,
                        created_at=now,
                        updated_at=now,
                    )
                    .returning(team_mailboxes.c.id)
                )
            ).scalar_one()
        shared = await conn.scalar(
            select(sharing_settings.c.user_id).where(sharing_settings.c.user_id == account_id)
        )
        if shared is None:
            await conn.execute(
                insert(sharing_settings).values(
                    user_id=account_id,
                    audience="selected",
                    detail="full",
                    selected_users=[],
                    selected_teams=[],
                    updated_at=now,
                )
            )
    ctx.tokens.forget(str(mailbox_id))
    found = await store.get_box(ctx.engine, int(existing))
    assert found is not None
    return found


@dataclass(frozen=True)
class Options:
    name: str
    team_ids: frozenset[int]
    dispatcher_ids: frozenset[int]
    members_may_take: bool = False
    mark_read_on_assign: bool = False
    archive_on_close: bool = False
    lead_capture: bool = False
    banner_statuses: tuple[str, ...] = tuple(DEFAULT_BANNER)
    response_minutes: int = 240
    send_as: str | None = None


async def configure(
    ctx: AppContext, admin: CurrentUser, box_id: int, options: Options
) -> TeamMailbox:
    """Set a team mailbox's teams, dispatchers and options (admins only)."""
    box = await manage_box(ctx, admin, box_id)
    name = options.name.strip()
    if not name or len(name) > 200:
        raise Invalid("Give the team mailbox a name (up to 200 characters).", field="name")
    if not 0 < options.response_minutes <= 60 * 24 * 30:
        raise Invalid("The response time is 1 minute to 30 days.", field="response_minutes")
    bad = [s for s in options.banner_statuses if s not in BANNER_CHOICES]
    if bad:
        raise Invalid("Unknown status in the banner: " + ", ".join(bad), field="banner_statuses")
    async with ctx.engine.begin() as conn:
        known = set((await conn.scalars(select(teams.c.id))).all())
        if not options.team_ids <= known or not options.team_ids:
            raise Invalid("Give the mailbox to at least one existing team.", field="team_ids")
        eligible = set(
            (
                await conn.scalars(
                    select(users.c.id).where(
                        users.c.active.is_(True),
                        users.c.team_account.is_(False),
                        users.c.team_id.in_(sorted(options.team_ids)),
                    )
                )
            ).all()
        )
        if not options.dispatcher_ids <= eligible:
            raise Invalid(
                "Dispatchers must be active members of the mailbox's teams.",
                field="dispatcher_ids",
            )
        await conn.execute(
            update(team_mailboxes)
            .where(team_mailboxes.c.id == box.id)
            .values(
                name=name,
                members_may_take=options.members_may_take,
                mark_read_on_assign=options.mark_read_on_assign,
                archive_on_close=options.archive_on_close,
                lead_capture=options.lead_capture,
                banner_statuses=list(options.banner_statuses),
                response_minutes=options.response_minutes,
                send_as=(options.send_as or "").strip().lower() or None,
                updated_at=store.now_utc(),
            )
        )
        await _replace(conn, team_mailbox_teams, "team_id", box.id, options.team_ids)
        await _replace(conn, team_mailbox_dispatchers, "user_id", box.id, options.dispatcher_ids)
        # Its mail on records follows its own sharing: by default, the mailbox's teams.
        await conn.execute(
            update(sharing_settings)
            .where(sharing_settings.c.user_id == box.account_user_id)
            .values(selected_teams=sorted(options.team_ids), updated_at=store.now_utc())
        )
    found = await store.get_box(ctx.engine, box.id)
    assert found is not None
    return found


async def _replace(
    conn: AsyncConnection, table: Table, column: str, box_id: int, ids: Iterable[int]
) -> None:
    await conn.execute(delete(table).where(table.c.team_mailbox_id == box_id))
    rows = [{"team_mailbox_id": box_id, column: i} for i in sorted(set(ids))]
    if rows:
        await conn.execute(insert(table), rows)


async def disconnect(ctx: AppContext, admin: CurrentUser, box_id: int) -> str | None:
    """Revoke and forget the team mailbox and everything gpanel kept of it."""
    box = await manage_box(ctx, admin, box_id)
    warning = await accounts_disconnect.disconnect_mailbox(
        ctx, box.mailbox_id, forget_everything=True
    )
    async with ctx.engine.begin() as conn:
        await conn.execute(
            delete(users).where(users.c.id == box.account_user_id, users.c.team_account.is_(True))
        )
    return warning
