"""Label rules by recipient: "mail to <address> (To or Cc) gets the Gmail label <name>".

Per team mailbox, an admin names an address (support@, partners@) and a label; the background
pass of the team mailbox (`extras.run_team_extras`) applies them in Gmail, at background
priority, within the mailbox's quota budget. What is stored is the rule (the address and label
name the admin typed), the label's Gmail id once found or created, and whether the mail already
in the mailbox was searched for it; nothing of any message.

Gmail's `to:`/`cc:` search matches words, not addresses (docs/gmail-facts.md, "Reading and
search"), so a search for `to:support@acme.example` also finds `support@acme.example.org` or
`x-support@...`.
Every hit is therefore re-checked against its own To and Cc headers (`matching_labels`), and a
label is added only to the messages whose header names the address exactly. Spam and trash
never get a rule's label. Adding a label Gmail already shows is skipped, so a pass is
idempotent: run twice, it changes nothing the second time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from gpanel.gmail import MailboxClient
from gpanel.gmail.query import searchable_address
from gpanel.mail.headers import header_values, parse_addresses
from gpanel.store.tables.team_extras import LABEL_NAME_LEN, team_label_rules

# Labels a message in these never gets from a rule (docs/gmail-facts.md: spam and trash are
# not the mailbox's mail; drafts and sent mail are not incoming).
SKIPPED = frozenset({"SPAM", "TRASH", "DRAFT", "SENT"})
# Gmail refuses these names for a user label (they are its system labels).
RESERVED = frozenset(
    {"inbox", "spam", "trash", "unread", "starred", "important", "sent", "draft", "chat"}
)
RULE_HEADERS = ("To", "Cc")
MAX_RULES = 50  # per team mailbox: each rule is one search when it is first applied


class InvalidRule(ValueError):
    """A rule the admin cannot add, with the reason in words."""


@dataclass(frozen=True)
class Rule:
    id: int
    team_mailbox_id: int
    address: str
    label_name: str
    label_id: str | None
    backfilled: bool


def clean_rule(address: str, label_name: str) -> tuple[str, str]:
    """The address and label name as stored, or InvalidRule saying what is wrong."""
    clean = searchable_address(address)
    if clean is None:
        raise InvalidRule(f"{address.strip()!r} is not an address Gmail can search for")
    label = " ".join(label_name.split())
    if not label:
        raise InvalidRule("Name the Gmail label the mail should get")
    if len(label) > LABEL_NAME_LEN:
        raise InvalidRule(f"A Gmail label name has at most {LABEL_NAME_LEN} characters")
    if label.casefold() in RESERVED or label.startswith("/") or label.endswith("/"):
        raise InvalidRule(f"{label!r} is one of Gmail's own labels or not a valid label name")
    return clean, label


def recipients(message: Mapping[str, Any]) -> set[str]:
    """The addresses in a metadata message's To and Cc headers, lower-cased."""
    headers = header_values(message.get("payload", {}).get("headers", []), ("to", "cc"))
    found: set[str] = set()
    for name in ("to", "cc"):
        found.update(e.strip().lower() for e in parse_addresses(headers.get(name, "")).emails)
    return found


def matching_labels(message: Mapping[str, Any], rules: Iterable[Rule]) -> set[str]:
    """The label ids `message` should get from `rules` and does not carry yet (none for spam,
    trash, drafts and sent mail)."""
    carried = {str(x) for x in message.get("labelIds", []) or []}
    if carried & SKIPPED:
        return set()
    to_or_cc = recipients(message)
    return {
        r.label_id
        for r in rules
        if r.label_id and r.address in to_or_cc and r.label_id not in carried
    }


def plan_additions(
    messages: Mapping[str, Mapping[str, Any]], rules: Sequence[Rule]
) -> dict[str, list[str]]:
    """Label id -> the message ids to add it to (each list sorted, no duplicates)."""
    out: dict[str, set[str]] = {}
    for message_id, message in messages.items():
        for label_id in matching_labels(message, rules):
            out.setdefault(label_id, set()).add(message_id)
    return {label: sorted(ids) for label, ids in sorted(out.items())}


def rule_query(address: str, after: dt.datetime | None = None) -> str:
    """The search for one rule's mail (words, so the hits are re-checked)."""
    suffix = f" after:{int(after.timestamp())}" if after is not None else ""
    return f"{{to:{address} cc:{address}}}{suffix}"


async def apply_additions(mb: MailboxClient, additions: Mapping[str, Sequence[str]]) -> int:
    """One batchModify per label (1000 ids a call); returns how many messages changed."""
    for label_id, ids in additions.items():
        if ids:
            await mb.batch_modify(ids, add=[label_id])
    return len({i for ids in additions.values() for i in ids})


# --- the rules as stored ---------------------------------------------------------------------
def _rule(row: Any) -> Rule:
    return Rule(
        int(row.id),
        int(row.team_mailbox_id),
        str(row.address),
        str(row.label_name),
        row.label_id,
        bool(row.backfilled),
    )


async def list_rules(conn: AsyncConnection, team_mailbox_id: int) -> list[Rule]:
    rows = await conn.execute(
        select(team_label_rules)
        .where(team_label_rules.c.team_mailbox_id == team_mailbox_id)
        .order_by(team_label_rules.c.address, team_label_rules.c.label_name)
    )
    return [_rule(r) for r in rows]


async def add_rule(
    engine: AsyncEngine,
    team_mailbox_id: int,
    address: str,
    label_name: str,
    *,
    created_by: int | None,
) -> Rule:
    """Store a rule (InvalidRule when it is malformed, a duplicate or one too many). Its label
    is found or created in Gmail by the next background pass, which also labels the mail
    already there."""
    clean, label = clean_rule(address, label_name)
    try:
        async with engine.begin() as conn:
            if len(await list_rules(conn, team_mailbox_id)) >= MAX_RULES:
                raise InvalidRule(f"A team mailbox has at most {MAX_RULES} label rules")
            new_id = await conn.scalar(
                insert(team_label_rules)
                .values(
                    team_mailbox_id=team_mailbox_id,
                    address=clean,
                    label_name=label,
                    backfilled=False,
                    created_by=created_by,
                    created_at=dt.datetime.now(dt.UTC),
                )
                .returning(team_label_rules.c.id)
            )
    except IntegrityError:
        raise InvalidRule(f"Mail to {clean} already gets the label {label!r}") from None
    return Rule(int(new_id or 0), team_mailbox_id, clean, label, None, False)


async def remove_rule(engine: AsyncEngine, team_mailbox_id: int, rule_id: int) -> bool:
    """Forget a rule (the label stays on the mail that has it, as a Gmail filter's would)."""
    async with engine.begin() as conn:
        done = await conn.execute(
            delete(team_label_rules).where(
                team_label_rules.c.id == rule_id,
                team_label_rules.c.team_mailbox_id == team_mailbox_id,
            )
        )
    return bool(done.rowcount)


async def set_label_ids(engine: AsyncEngine, ids: Mapping[int, str | None]) -> None:
    """Remember (or, with None, forget) the Gmail label id of each rule."""
    if not ids:
        return
    async with engine.begin() as conn:
        for rule_id, label_id in ids.items():
            await conn.execute(
                update(team_label_rules)
                .where(team_label_rules.c.id == rule_id)
                .values(label_id=label_id)
            )


async def set_backfilled(engine: AsyncEngine, rule_ids: Iterable[int], value: bool) -> None:
    wanted = sorted(set(rule_ids))
    if not wanted:
        return
    async with engine.begin() as conn:
        await conn.execute(
            update(team_label_rules)
            .where(team_label_rules.c.id.in_(wanted))
            .values(backfilled=value)
        )


async def ensure_label_ids(mb: MailboxClient, rules: Sequence[Rule]) -> dict[int, str]:
    """Each rule's label id: known, else found by name (case-insensitively, as Gmail compares),
    else created. One labels.list at most, and one create per missing label name."""
    ids = {r.id: r.label_id for r in rules if r.label_id}
    missing = [r for r in rules if not r.label_id]
    if not missing:
        return {k: v for k, v in ids.items() if v}
    existing = {str(x.get("name", "")).casefold(): str(x["id"]) for x in await mb.list_labels()}
    for rule in missing:
        found = existing.get(rule.label_name.casefold())
        if found is None:
            found = str((await mb.create_label(rule.label_name))["id"])
            existing[rule.label_name.casefold()] = found
        ids[rule.id] = found
    return {k: v for k, v in ids.items() if v}
