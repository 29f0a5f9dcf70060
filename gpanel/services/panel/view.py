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
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

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
from gpanel.services.panel.gate import Gate, open_record
from gpanel.services.panel.plan import Guards, choose
from gpanel.services.panel.rows import Candidate as Candidate  # re-exported
from gpanel.services.panel.rows import PanelRow as PanelRow
from gpanel.services.panel.rows import RowParticipant as RowParticipant
from gpanel.services.panel.rows import deduplicate as deduplicate
from gpanel.services.panel.rows import redact
from gpanel.services.panel.rules import (
    MailboxOwner,
    RuleInputs,
    ThreadMeta,
    Verdict,
)
from gpanel.services.sharing.policy import Detail

log = logging.getLogger("gpanel.panel")

PAGE_SIZE = 50  # threads listed per mailbox and query per page
VIEW_DEADLINE = 3.0  # seconds a view waits on one mailbox (retries included) before a notice


class BadPageToken(ValueError):
    """The page token was not one this panel handed out."""


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
    # Owners whose mailboxes are still being read: set on the early parts of a progressive
    # view only (`record_threads_parts`); the final view has read every mailbox.
    loading: list[str] = field(default_factory=list)


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
    final: PanelView | None = None
    async for part in record_threads_parts(
        ctx,
        viewer,
        record_type,
        record_id,
        include_company=include_company,
        page=page,
        page_size=page_size,
    ):
        final = part
    assert final is not None
    return final


async def record_threads_parts(
    ctx: AppContext,
    viewer: CurrentUser,
    record_type: RecordType,
    record_id: int,
    *,
    include_company: bool = False,
    page: str | None = None,
    page_size: int = PAGE_SIZE,
    progressive: bool = False,
) -> AsyncIterator[PanelView]:
    """`record_threads` as it arrives: with `progressive`, a view of the mailboxes read so
    far each time one more answers (its `loading` names the rest), then the final view, the
    very one `record_threads` returns. Every part is judged by the same gate and redacted the
    same way. A part is only sent when no mailbox still loading holds an unlink of this
    record: such an unlink may hide a conversation already read in another mailbox (one row
    per conversation, hidden if unlinked in any), so until then only the final view shows."""
    tokens = decode_page(page) if page else None
    # A kept view is served while its validators read the same (view_cache.py): the change
    # stamp, read before any query of this view, and each mailbox's historyId.
    key = (viewer, record_type.value, record_id, include_company, page, page_size)
    stamp = await ctx.views.stamp()
    kept, known = await ctx.views.lookup(
        key, stamp, lambda m: ctx.panel.history_id(view_client(ctx, m))
    )
    if kept is not None:
        yield kept
        return
    gate = await open_record(ctx, viewer, record_type, record_id, include_company=include_company)
    owners, queries, inputs = list(gate.owners), list(gate.queries), gate.inputs
    view = PanelView(record_type, record_id)
    view.notices += [notice_for(b, viewer.id, AuthError("needs reconnect")) for b in gate.broken]
    if not queries:
        view.no_addresses = True
        yield view
        return
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
                history=known.get(owner.mailbox_id),
            )
        except GmailError as exc:
            log.info("panel: mailbox %s degraded (%s)", owner.mailbox_id, type(exc).__name__)
            return exc

    tasks = {asyncio.ensure_future(one(o)): o for o in owners}
    done: dict[int, MailboxRead | Exception] = {}
    pending = set(tasks)
    unlinked_in = {m for m, _ in inputs.unlinked}
    try:
        while pending:
            finished, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in finished:
                done[tasks[task].mailbox_id] = task.result()
            waiting = [tasks[t] for t in pending]
            if progressive and waiting and not unlinked_in & {o.mailbox_id for o in waiting}:
                part = PanelView(record_type, record_id, notices=list(view.notices))
                part.loading = [o.owner_name for o in waiting]
                read_so_far = [o for o in owners if o.mailbox_id in done]
                await _assemble(ctx, viewer, gate, part, read_so_far, done, final=False)
                yield part
    finally:
        for task in pending:
            task.cancel()
    await _assemble(ctx, viewer, gate, view, owners, done, final=True)
    ctx.views.keep(key, stamp, view, done)
    yield view


async def _assemble(
    ctx: AppContext,
    viewer: CurrentUser,
    gate: Gate,
    view: PanelView,
    owners: list[MailboxOwner],
    done: dict[int, MailboxRead | Exception],
    *,
    final: bool,
) -> None:
    """Fill `view` from the reads of `owners`: notices, judged and deduplicated rows, and (on
    the final view) the next page's tokens."""
    reads = [done[o.mailbox_id] for o in owners]
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
        verdicts = _judged(gate, owner, read)
        for tid, meta in read.threads.items():
            candidates.append((owner, meta, verdicts[tid], read.labels))
    shown = deduplicate(candidates, viewer.id)
    view.rows = await _rows(ctx, viewer, view.record_type, view.record_id, shown, gate.inputs)
    view.next_page = encode_page(next_tokens) if final else None


_MEMO_INPUTS = 16  # distinct rule inputs remembered per cached read


def _judged(gate: Gate, owner: MailboxOwner, read: MailboxRead) -> dict[str, Verdict]:
    """`gate.judge` of every thread of `read`, remembered on the read by everything the
    verdict depends on (the owner and the whole of the rule inputs), so warm views by the
    same inputs do not judge the same threads again."""
    i = gate.inputs
    key = (
        owner,
        i.viewer,
        i.record,
        i.own_domains,
        i.group_max,
        i.org_blocks,
        tuple(sorted(i.user_blocks.items())),
        i.unlinked,
        i.private,
        tuple(sorted(i.private_labels.items())),
    )
    known = read.verdicts.get(key)
    if known is None:
        if len(read.verdicts) >= _MEMO_INPUTS:
            read.verdicts.clear()
        known = read.verdicts[key] = {t: gate.judge(m) for t, m in read.threads.items()}
    return known


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
        names = await panel_store.crm_names(
            conn, emails, ctx.settings.fold_gmail_addresses, viewer=viewer
        )
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
