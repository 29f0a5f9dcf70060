"""The record panel's thread list: every thread with a contact, company or deal, from every
mailbox the viewer may see, live from Gmail, at the detail the sharing policy allows.

`record_threads()` is the one entry point (pages, the JSON API and the embeddable panel all
call it). For one view it: checks record access (`records.authorise`), works out the record's
addresses (`crm.addresses`) and the Gmail searches for them (`gmail.query`), picks the
mailboxes the viewer may see (`panel_store.visible_mailboxes`), reads every mailbox at once
(`asyncio.gather`; each through `panel_cache.PanelFetcher`: one getProfile when nothing
changed, otherwise list + one metadata batch), applies the rules of `panel_rules.evaluate`
(the same code the "why" look-up uses), removes duplicates by RFC Message-ID (preferring the
viewer's own mailbox, then the richer detail), redacts each row to its detail level here, in
the service, and resolves participants to CRM names. A mailbox that fails (rate limited,
needing a reconnect, Gmail down) becomes a notice while the rest shows.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime

from gpanel.crm.models import RecordType
from gpanel.gmail import (
    AuthError,
    BudgetExhausted,
    GmailError,
    MailboxClient,
    Priority,
    RateLimited,
    RetryPolicy,
)
from gpanel.services.accounts.sessions import CurrentUser
from gpanel.services.context import AppContext
from gpanel.services.panel import inputs as panel_store
from gpanel.services.panel.fetch import MailboxRead
from gpanel.services.panel.gate import open_record
from gpanel.services.panel.plan import Guards, choose
from gpanel.services.panel.rules import (
    MailboxOwner,
    Reason,
    RuleInputs,
    ThreadMeta,
    Verdict,
)
from gpanel.services.sharing.policy import Detail, shown_fields

log = logging.getLogger("gpanel.panel")

PAGE_SIZE = 50  # threads listed per mailbox and query per page
VIEW_DEADLINE = 3.0  # seconds a view waits on one mailbox (retries included) before a notice
_DETAIL_RANK = {Detail.METADATA: 0, Detail.SUBJECT: 1, Detail.FULL: 2}
SYSTEM_LABELS = frozenset({"INBOX", "UNREAD", "SENT", "DRAFT", "SPAM", "TRASH", "CHAT"})


class BadPageToken(ValueError):
    """The page token was not one this panel handed out."""


@dataclass(frozen=True)
class RowParticipant:
    email: str
    name: str  # the CRM name when known, else the header's display name, else ""
    contact_id: int | None = None


@dataclass(frozen=True)
class PanelRow:
    mailbox_id: int
    thread_id: str
    owner_name: str
    mine: bool  # the viewer owns the mailbox
    detail: Detail
    participants: tuple[RowParticipant, ...]
    last_at: datetime
    count: int
    whole: bool  # count is the thread's messages; else the record's messages in the thread
    subject: str | None  # None below Subject detail
    snippet: str | None  # None below Full detail
    unread: bool | None  # None at Metadata detail
    labels: tuple[str, ...]  # user-visible label names; empty at Metadata detail
    starred: bool
    new: bool  # a MailMagnet hit not yet opened
    private: bool  # shown to the owner only
    url: str


@dataclass(frozen=True)
class Notice:
    mailbox_id: int
    owner_name: str
    kind: str  # busy | reconnect | unavailable | partial
    message: str


@dataclass
class PanelView:
    record_type: RecordType
    record_id: int
    rows: list[PanelRow] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    searched: list[str] = field(default_factory=list)  # owners whose mailboxes were searched
    next_page: str | None = None
    no_addresses: bool = False


# --- page tokens ----------------------------------------------------------------------------
def encode_page(tokens: dict[int, tuple[str | None, ...]]) -> str | None:
    live = {str(m): list(t) for m, t in tokens.items() if any(t)}
    if not live:
        return None
    raw = json.dumps({"m": live}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_page(page: str) -> dict[int, tuple[str | None, ...]]:
    try:
        data = json.loads(base64.urlsafe_b64decode(page + "=" * (-len(page) % 4)))
        return {
            int(m): tuple(str(t) if isinstance(t, str) else None for t in tokens)
            for m, tokens in data["m"].items()
            if isinstance(tokens, list)
        }
    except (binascii.Error, ValueError, KeyError, TypeError, AttributeError):
        raise BadPageToken("That page link is not valid.") from None


# --- degrading ---------------------------------------------------------------------------------
def notice_for(owner: MailboxOwner, viewer_id: int, error: Exception) -> Notice:
    whose = "Your" if owner.owner.user_id == viewer_id else f"{owner.owner_name}'s"
    if isinstance(error, RateLimited | BudgetExhausted):
        kind, text = "busy", f"{whose} mailbox is busy — retry in a moment."
    elif isinstance(error, AuthError):
        kind, text = "reconnect", f"{whose} mailbox needs reconnecting."
    else:
        kind, text = "unavailable", f"Gmail did not answer for {whose.lower()} mailbox — retry."
    return Notice(owner.mailbox_id, owner.owner_name, kind, text)


def view_client(ctx: AppContext, mailbox_id: int) -> MailboxClient:
    """The Gmail client a view uses: interactive priority, a short deadline."""
    policy = RetryPolicy(max_tries=4, deadline=VIEW_DEADLINE, max_retry_after=VIEW_DEADLINE)
    return ctx.gmail.mailbox(str(mailbox_id), priority=Priority.INTERACTIVE, retry=policy)


# --- the view ------------------------------------------------------------------------------------
async def record_threads(
    ctx: AppContext,
    viewer: CurrentUser,
    record_type: RecordType,
    record_id: int,
    *,
    include_company: bool = False,
    page: str | None = None,
    page_size: int = PAGE_SIZE,
) -> PanelView:
    """The threads of one record for `viewer` (records.Forbidden, RecordNotFound,
    BadPageToken)."""
    tokens = decode_page(page) if page else None
    gate = await open_record(ctx, viewer, record_type, record_id, include_company=include_company)
    owners, queries, inputs = list(gate.owners), list(gate.queries), gate.inputs
    view = PanelView(record_type, record_id)
    view.notices += [notice_for(b, viewer.id, AuthError("needs reconnect")) for b in gate.broken]
    if not queries:
        view.no_addresses = True
        return view
    if tokens is not None:
        owners = [o for o in owners if o.mailbox_id in tokens]
    else:
        tokens = {o.mailbox_id: (None,) * len(queries) for o in owners}
    fetcher = ctx.panel
    costs = ctx.gmail.costs

    async def one(owner: MailboxOwner) -> MailboxRead | Exception:
        wanted = tokens.get(owner.mailbox_id, ())
        pairs = [(q, wanted[i] if i < len(wanted) else None) for i, q in enumerate(queries)]
        if page:
            pairs = [(q, t) for q, t in pairs if t]  # later pages: only queries with more
        # The plan by cost (plan.py): the guards find threads a message outside the record's
        # own could hide (blocked participants, private labels); those are read whole.
        guards = Guards.of(
            inputs.blocks_for(owner.owner.user_id),
            inputs.private_labels.get(owner.mailbox_id, frozenset()),
        )
        plan = choose(costs, len(pairs), guards, page_size)
        try:
            return await fetcher.read(
                view_client(ctx, owner.mailbox_id),
                owner.mailbox_id,
                [q for q, _ in pairs],
                [t for _, t in pairs],
                page_size=page_size,
                plan=plan,
                guards=guards,
            )
        except GmailError as exc:
            log.info("panel: mailbox %s degraded (%s)", owner.mailbox_id, type(exc).__name__)
            return exc

    reads = await asyncio.gather(*(one(o) for o in owners))
    next_tokens: dict[int, tuple[str | None, ...]] = {}
    candidates: list[tuple[MailboxOwner, ThreadMeta, Verdict, dict[str, str]]] = []
    for owner, read in zip(owners, reads, strict=True):
        if isinstance(read, Exception):
            view.notices.append(notice_for(owner, viewer.id, read))
            continue
        view.searched.append(owner.owner_name)
        if read.failed:
            whose = "your" if owner.owner.user_id == viewer.id else f"{owner.owner_name}'s"
            view.notices.append(
                Notice(
                    owner.mailbox_id,
                    owner.owner_name,
                    "partial",
                    # The rows that did load are shown; the rest are fetched on the next view.
                    f"{read.failed} threads of {whose} mailbox did not load in time — refresh "
                    "to fill them in.",
                )
            )
        next_tokens[owner.mailbox_id] = read.next_tokens
        for meta in read.threads.values():
            candidates.append((owner, meta, gate.judge(meta), read.labels))
    shown = deduplicate(candidates, viewer.id)
    view.rows = await _rows(ctx, viewer, record_type, record_id, shown, inputs)
    view.next_page = encode_page(next_tokens)
    return view


Candidate = tuple[MailboxOwner, ThreadMeta, Verdict, dict[str, str]]


def deduplicate(candidates: list[Candidate], viewer_id: int) -> list[Candidate]:
    """One row per conversation: threads sharing an RFC Message-ID are the same conversation
    seen in several mailboxes. A conversation unlinked from the record in any mailbox stays
    hidden; otherwise the viewer's own copy wins, then the richer detail, then the longer."""
    parent = list(range(len(candidates)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_seen: dict[str, int] = {}
    for i, (_, meta, _, _) in enumerate(candidates):
        for rfc in meta.rfc_ids:
            j = first_seen.setdefault(rfc, i)
            parent[root(i)] = root(j)
    groups: dict[int, list[int]] = {}
    for i in range(len(candidates)):
        groups.setdefault(root(i), []).append(i)
    out = []
    for members in groups.values():
        if any(candidates[i][2].reason is Reason.UNLINKED for i in members):
            continue
        visible = [candidates[i] for i in members if candidates[i][2].shown]
        if not visible:
            continue
        out.append(
            max(
                visible,
                key=lambda c: (
                    c[0].owner.user_id == viewer_id,
                    _DETAIL_RANK[c[2].detail or Detail.METADATA],
                    c[1].count,
                    -c[0].mailbox_id,
                ),
            )
        )
    return out


async def _rows(
    ctx: AppContext,
    viewer: CurrentUser,
    record_type: RecordType,
    record_id: int,
    shown: list[Candidate],
    inputs: RuleInputs,
) -> list[PanelRow]:
    emails = {p.email for _, meta, _, _ in shown for p in meta.people}
    async with ctx.engine.connect() as conn:
        names = await panel_store.crm_names(conn, emails, ctx.settings.fold_gmail_addresses)
        new = await panel_store.unopened_hits(
            conn, [(meta.mailbox_id, meta.thread_id) for _, meta, _, _ in shown]
        )
    rows = []
    for owner, meta, verdict, labels in shown:
        detail = verdict.detail or Detail.METADATA
        rows.append(
            redact(
                owner,
                meta,
                detail,
                labels,
                names,
                viewer.id,
                record_type,
                record_id,
                new=(meta.mailbox_id, meta.thread_id) in new,
                private=(meta.mailbox_id, meta.thread_id) in inputs.private,
            )
        )
    rows.sort(key=lambda r: r.last_at, reverse=True)
    return rows


def redact(
    owner: MailboxOwner,
    meta: ThreadMeta,
    detail: Detail,
    labels: dict[str, str],
    names: dict[str, panel_store.CrmName],
    viewer_id: int,
    record_type: RecordType,
    record_id: int,
    *,
    new: bool,
    private: bool,
) -> PanelRow:
    """The row a viewer sees at `detail`, field by field as `policy.shown_fields` says (the
    table of docs/behaviour.md, "Sharing"): the owner sees everything; others see participants
    without Bcc and times, the subject from Subject up, the snippet at Full only, and never
    the owner's labels, read or starred state or "New" badge. The only place a row is built."""
    is_owner = owner.owner.user_id == viewer_id
    shown = shown_fields(detail, is_owner)
    people = tuple(
        RowParticipant(
            p.email,
            names[p.email].name if p.email in names else p.name,
            names[p.email].id if p.email in names and names[p.email].kind == "contact" else None,
        )
        for p in (meta.people if is_owner else meta.open_people)
    )
    label_ids = meta.label_ids
    return PanelRow(
        mailbox_id=meta.mailbox_id,
        thread_id=meta.thread_id,
        owner_name=owner.owner_name,
        mine=is_owner,
        detail=detail,
        participants=people,
        last_at=meta.last_at,
        count=meta.count if meta.whole else max(meta.matched, meta.count),
        whole=meta.whole,
        subject=meta.subject if shown.subject else None,
        snippet=meta.snippet if shown.content else None,
        unread=meta.unread if shown.owner_state else None,
        labels=tuple(
            labels.get(i, i)
            for i in label_ids
            if i not in SYSTEM_LABELS
            and not i.startswith("CATEGORY_")
            and i not in ("STARRED", "IMPORTANT")
        )
        if shown.owner_state
        else (),
        starred="STARRED" in label_ids if shown.owner_state else False,
        new=new and shown.owner_state,
        private=private and is_owner,
        url=f"/records/{record_type}/{record_id}/threads/{meta.mailbox_id}/{meta.thread_id}",
    )
