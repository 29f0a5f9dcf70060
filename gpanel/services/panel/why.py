""" "Why isn't my email here?": given an address or a Gmail link / thread id, say which rule
hid it from this record, or that it is not with this record at all.

It reads Gmail exactly as the list does (`panel_cache`) and judges each thread with the list's
own `panel_rules.evaluate`, so the explanation can never disagree with what the panel shows.
It only looks into mailboxes the viewer may see: for the others it says they were not
searched (their owners do not share them), and a thread hidden from the viewer by its owner
(private) is reported as "not shared with you", never described. The answer carries reasons,
owners' names and links, no subject or snippet.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from dataclasses import dataclass, field

from gpanel.crm.emails import is_valid_email, normalise_email
from gpanel.gmail import AuthError, GmailError, NotFound, participants_query
from gpanel.services.accounts.sessions import CurrentUser
from gpanel.services.context import AppContext
from gpanel.services.panel import inputs as panel_store
from gpanel.services.panel.rules import (
    REASON_SHORT,
    REASON_WORDS,
    MailboxOwner,
    Reason,
    ThreadMeta,
    Verdict,
    block_matches,
    evaluate,
)
from gpanel.services.panel.view import load_context, notice_for, view_client

WHY_SAMPLE = 10  # threads looked at per mailbox for an address (threads.get costs 40 units)
_THREAD_IN_LINK = re.compile(r"([0-9A-Za-z_-]{6,32})/?$")


@dataclass(frozen=True)
class Finding:
    owner_name: str
    reason: Reason
    words: str
    pattern: str | None = None
    url: str | None = None  # the thread view, when the viewer may open it


@dataclass
class WhyAnswer:
    kind: str  # address | thread | unknown
    summary: str
    findings: list[Finding] = field(default_factory=list)
    searched: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)


def parse_input(text: str) -> tuple[str, str] | None:
    """("address", addr) or ("thread", id) from what the user pasted, else None."""
    value = text.strip()
    if "@" in value and not value.lower().startswith("http"):
        addr = value.removeprefix("mailto:").strip("<> ")
        return ("address", addr.lower()) if is_valid_email(addr) else None
    found = _THREAD_IN_LINK.search(value.split("?", 1)[0])
    return ("thread", found.group(1)) if found else None


def _finding(owner: MailboxOwner, verdict: Verdict, viewer_id: int, url: str) -> Finding:
    reason = verdict.reason
    if reason is Reason.PRIVATE and owner.owner.user_id != viewer_id:
        reason = Reason.NOT_SHARED  # the owner's private choice is not described to others
    return Finding(
        owner.owner_name,
        reason,
        REASON_WORDS[reason],
        verdict.pattern,
        url if reason is Reason.SHOWN else None,
    )


async def explain(
    ctx: AppContext,
    viewer: CurrentUser,
    record_type: str,
    record_id: int,
    text: str,
    *,
    include_company: bool = False,
) -> WhyAnswer:
    """The explanation for `text` on this record (records.Forbidden / RecordNotFound as the
    list raises them)."""
    owners, broken = await panel_store.visible_mailboxes(ctx.engine, viewer)
    async with ctx.engine.connect() as conn:
        match, _ = await load_context(
            conn, ctx.settings, viewer, record_type, record_id, include_company
        )
        inputs = await panel_store.rule_inputs(
            conn, ctx.settings, viewer, record_type, record_id, match, owners
        )
    parsed = parse_input(text)
    if parsed is None:
        return WhyAnswer("unknown", "Paste an email address, or a Gmail link or thread id.")
    answer = WhyAnswer(parsed[0], "")
    reconnect = AuthError("needs reconnect")
    answer.notices += [notice_for(b, viewer.id, reconnect).message for b in broken]
    fetcher = ctx.panel
    base = f"/records/{record_type}/{record_id}/threads"

    if parsed[0] == "address":
        address = normalise_email(parsed[1], ctx.settings.fold_gmail_addresses)
        if not match.matches(address):
            answer.summary = (
                f"{parsed[1]} is not an address of this {record_type}, so its mail "
                "is not with this record. Add the address to the contact (or its "
                "domain to the company) and the mail will show."
            )
            return answer
        blocked = [p for p in inputs.blocks_for(viewer.id) if block_matches(p, address)]
        queries = participants_query([address])

        async def one_address(owner: MailboxOwner) -> list[ThreadMeta] | GmailError:
            try:
                read = await fetcher.read(
                    view_client(ctx, owner.mailbox_id),
                    owner.mailbox_id,
                    queries,
                    [None] * len(queries),
                    page_size=WHY_SAMPLE,
                    include_spam_trash=True,
                )
            except GmailError as exc:
                return exc
            return list(read.threads.values())

        results = await asyncio.gather(*(one_address(o) for o in owners))
    else:
        thread_id = parsed[1]
        blocked = []

        async def one_thread(owner: MailboxOwner) -> list[ThreadMeta] | GmailError:
            try:
                return [
                    await fetcher.thread(
                        view_client(ctx, owner.mailbox_id), owner.mailbox_id, thread_id
                    )
                ]
            except NotFound:
                return []
            except GmailError as exc:
                return exc

        results = await asyncio.gather(*(one_thread(o) for o in owners))

    for owner, result in zip(owners, results, strict=True):
        if isinstance(result, GmailError):
            answer.notices.append(notice_for(owner, viewer.id, result).message)
            continue
        answer.searched.append(owner.owner_name)
        for meta in result:
            verdict = evaluate(meta, owner, inputs)
            answer.findings.append(
                _finding(owner, verdict, viewer.id, f"{base}/{owner.mailbox_id}/{meta.thread_id}")
            )
    answer.summary = _summary(answer, parsed, blocked)
    return answer


def _summary(answer: WhyAnswer, parsed: tuple[str, str], blocked: list[str]) -> str:
    where = ", ".join(answer.searched) or "no mailbox"
    if blocked:
        return (
            f"{parsed[1]} matches the block rule {blocked[0]}, so its threads are hidden. "
            "Remove the rule to show them."
        )
    if not answer.findings:
        what = parsed[1] if parsed[0] == "address" else "That thread"
        return (
            f"{what}: gpanel found no mail in the mailboxes you may see ({where}). Mail in "
            "other people's mailboxes shows only if they share it with you."
        )
    counts = Counter(f.reason for f in answer.findings)
    parts = [
        f"{n} {'thread' if n == 1 else 'threads'} {REASON_SHORT[r]}"
        for r, n in counts.most_common()
    ]
    return f"Searched {where}: " + "; ".join(parts) + "."
