"""Connected Gmail mailboxes: connect, look up, record trouble, disconnect.

A mailbox row holds the owner, the address, the granted scopes, the refresh token (encrypted by
`TokenVault`), a status (`connected` or `needs_reconnect`), the last error in plain words, and
the last Gmail history id gpanel saw. Nothing in it is mail content.

Disconnecting revokes the token at Google, deletes the row (every row tied to the mailbox goes
with it through ON DELETE CASCADE: private threads, unlinks, MailMagnet hits, label state), and
tells the registered listeners (schedulers, caches) to forget the mailbox. By default the ids a
reconnect of the same Google account restores are parked first (`parking`); connecting that
account again reuses the mailbox id and puts them back.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import Row, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from gpanel.gmail.errors import GmailError
from gpanel.gmail.oauth import revoke_token
from gpanel.services.accounts import parking
from gpanel.services.accounts.google_oauth import GMAIL_MODIFY, FlowResult, missing_features
from gpanel.services.accounts.sessions import CurrentUser
from gpanel.services.accounts.vault import TokenVault
from gpanel.store.tables import mailboxes, users

log = logging.getLogger("gpanel.mailboxes")

RECONNECT_MESSAGE = "Google no longer accepts gpanel's access to this mailbox: reconnect."


class ConnectRefused(Exception):
    """The mailbox cannot be connected as asked; the message says what to do."""


@dataclass(frozen=True)
class Mailbox:
    id: int
    user_id: int
    email: str
    status: str
    scopes: frozenset[str]
    last_error: str | None
    last_error_at: dt.datetime | None
    history_id: str | None
    connected_at: dt.datetime

    @property
    def key(self) -> str:
        """The Gmail client's name for this mailbox."""
        return str(self.id)

    @property
    def can_modify(self) -> bool:
        return GMAIL_MODIFY in self.scopes or "https://mail.google.com/" in self.scopes


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _mailbox(row: Row[Any]) -> Mailbox:
    r = row
    return Mailbox(
        id=r.id,
        user_id=r.user_id,
        email=r.email,
        status=r.status,
        scopes=frozenset((r.scopes or "").split()),
        last_error=r.last_error,
        last_error_at=r.last_error_at,
        history_id=r.history_id,
        connected_at=r.connected_at,
    )


async def connect(
    engine: AsyncEngine, vault: TokenVault, user: CurrentUser, result: FlowResult
) -> Mailbox:
    """Store the mailbox a user just consented to, or explain why it cannot be used."""
    if result.email.strip().lower() != user.email.lower():
        raise ConnectRefused(
            f"You chose the Google account {result.email}, but you are signed in to gpanel as "
            f"{user.email}. Connect the mailbox of {user.email}."
        )
    missing = missing_features(result.granted_scopes)
    if missing:
        raise ConnectRefused(
            "Google did not grant gpanel access to your Gmail, so gpanel cannot "
            + "; ".join(missing)
            + ". Connect again and leave the Gmail box ticked on Google's "
            "consent page."
        )
    now = _now()
    async with engine.begin() as conn:
        existing = (
            await conn.execute(select(mailboxes).where(mailboxes.c.user_id == user.id))
        ).first()
        if result.refresh_token:
            stored = vault.encrypt(result.refresh_token)
        elif existing is not None:
            stored = existing.refresh_token_enc  # Google keeps the earlier grant's token
        else:
            raise ConnectRefused("Google did not give gpanel offline access. Connect again.")
        values = dict(
            email=result.email.lower(),
            google_sub=result.subject,
            refresh_token_enc=stored,
            scopes=" ".join(sorted(result.granted_scopes)),
            status="connected",
            last_error=None,
            last_error_at=None,
            updated_at=now,
        )
        if existing is None:
            # The same Google account disconnected earlier without "forget everything": take
            # its mailbox id again (thread links stay valid) and put back the ids it kept.
            reserved = await parking.reserved_id(conn, user.id, result.subject)
            if reserved is not None:
                await conn.execute(
                    insert(mailboxes).values(
                        id=reserved, user_id=user.id, connected_at=now, **values
                    )
                )
                await parking.restore(conn, user.id, reserved, now)
            else:
                inserted = await conn.execute(
                    insert(mailboxes).values(user_id=user.id, connected_at=now, **values)
                )
                assert inserted.inserted_primary_key is not None
                await parking.keep_clear_of_parked(conn, int(inserted.inserted_primary_key[0]))
        else:
            await conn.execute(
                update(mailboxes).where(mailboxes.c.id == existing.id).values(**values)
            )
        row = (await conn.execute(select(mailboxes).where(mailboxes.c.user_id == user.id))).one()
    log.info("mailbox %s connected for user %s", row.id, user.id)
    return _mailbox(row)


async def for_user(engine: AsyncEngine, user_id: int) -> Mailbox | None:
    async with engine.connect() as conn:
        row = (await conn.execute(select(mailboxes).where(mailboxes.c.user_id == user_id))).first()
    return _mailbox(row) if row is not None else None


async def get(engine: AsyncEngine, mailbox_id: int) -> Mailbox | None:
    async with engine.connect() as conn:
        row = (await conn.execute(select(mailboxes).where(mailboxes.c.id == mailbox_id))).first()
    return _mailbox(row) if row is not None else None


async def all_mailboxes(engine: AsyncEngine) -> list[tuple[Mailbox, str]]:
    """Every mailbox with its owner's name (admin diagnostics)."""
    query = (
        select(mailboxes, users.c.name.label("owner_name"))
        .join(users, users.c.id == mailboxes.c.user_id)
        .order_by(users.c.name)
    )
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [(_mailbox(r), r.owner_name) for r in rows]


async def record_error(
    engine: AsyncEngine, mailbox_id: int, message: str, *, needs_reconnect: bool = False
) -> None:
    """Remember the last trouble in plain words (never mail content) for diagnostics."""
    values: dict[str, object] = {"last_error": message[:500], "last_error_at": _now()}
    if needs_reconnect:
        values["status"] = "needs_reconnect"
    async with engine.begin() as conn:
        await conn.execute(update(mailboxes).where(mailboxes.c.id == mailbox_id).values(**values))


async def record_history_id(engine: AsyncEngine, mailbox_id: int, history_id: str) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            update(mailboxes).where(mailboxes.c.id == mailbox_id).values(history_id=history_id)
        )


DisconnectListener = Callable[[int], Awaitable[None]]


async def disconnect(
    engine: AsyncEngine,
    http: httpx.AsyncClient,
    vault: TokenVault,
    revoke_uri: str,
    mailbox_id: int,
    listeners: list[DisconnectListener] | tuple[()] = (),
    *,
    forget_everything: bool = False,
) -> str | None:
    """Revoke, delete, and tell listeners. Returns a warning when Google could not be told
    (the local data is deleted regardless: the user asked for it to be gone).

    Unless `forget_everything`, the ids a reconnect of the same Google account restores are
    parked first (`parking.park`: private marks, unlinks, labels-undo ids, the switches)."""
    async with engine.connect() as conn:
        row = (await conn.execute(select(mailboxes).where(mailboxes.c.id == mailbox_id))).first()
    if row is None:
        return None
    warning = None
    try:
        await revoke_token(http, revoke_uri, vault.decrypt(row.refresh_token_enc))
    except GmailError as exc:
        warning = (
            "gpanel deleted its copy of your access, but could not reach Google to "
            "revoke it; you can remove gpanel at myaccount.google.com/permissions."
        )
        log.warning("revoke failed for mailbox %s: %s", mailbox_id, type(exc).__name__)
    except Exception as exc:  # a key rotated away: nothing to revoke with, delete anyway
        log.warning("revoke skipped for mailbox %s: %s", mailbox_id, type(exc).__name__)
    async with engine.begin() as conn:
        if forget_everything:
            await parking.forget(conn, row.user_id)
        else:
            await parking.park(conn, row, _now())
        await conn.execute(delete(mailboxes).where(mailboxes.c.id == mailbox_id))
    for listener in listeners:
        await listener(mailbox_id)
    log.info("mailbox %s disconnected", mailbox_id)
    return warning


async def rotate_token_keys(engine: AsyncEngine, vault: TokenVault) -> int:
    """Re-encrypt every stored refresh token under the first configured key; returns how many
    changed. After this, older keys can be removed from GPANEL_TOKEN_KEYS."""
    changed = 0
    async with engine.begin() as conn:
        rows = (await conn.execute(select(mailboxes.c.id, mailboxes.c.refresh_token_enc))).all()
        for row in rows:
            if vault.needs_rotation(row.refresh_token_enc):
                await conn.execute(
                    update(mailboxes)
                    .where(mailboxes.c.id == row.id)
                    .values(refresh_token_enc=vault.rotate(row.refresh_token_enc))
                )
                changed += 1
    return changed
