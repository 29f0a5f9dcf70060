""" "Why isn't my email here?": given an address or a Gmail link / thread id, say which rule
hid it from this record, or that it is not with this record at all.

It reads Gmail exactly as the list does (`panel_cache`) and judges each thread with the list's
own `panel_rules.evaluate`, so the explanation can never disagree with what the panel shows.
It only looks into mailboxes the viewer may see: for the others it says they were not
searched (their owners do not share them). It answers about the viewer's own view only
(`_own_view`): a colleague's thread the viewer may not see, a private one included, gets the
same answer as one that does not exist, and nobody else's block pattern is ever named. The
answer carries reasons, owners' names and links, no subject or snippet.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
from collections import Counter
from dataclasses import dataclass, field

from gpanel.crm.emails import is_valid_email, normalise_email
from gpanel.crm.models import RecordType
from gpanel.gmail import AuthError, GmailError, NotFound, participants_query
from gpanel.services.accounts.sessions import CurrentUser
from gpanel.services.context import AppContext
from gpanel.services.panel.gate import Gate, open_record
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
from gpanel.services.panel.view import notice_for, view_client

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


def _own_view(gate: Gate, owner: MailboxOwner, meta: ThreadMeta) -> Verdict | None:
    """The verdict to explain, or None when the thread is none of the viewer's business.

    In the viewer's own mailbox every rule is explained. In a colleague's, a thread is only
    mentioned when the viewer would see it but for rules of their own view (their own or the
    org's block rules, an unlink from this record): a private thread, one its owner does not
    share, or one hidden by its owner's own block rule, spam, trash, group or internal mail
    gets the same answer as a thread that does not exist, and another user's block pattern
    is never named."""
    verdict = gate.judge(meta)
    if owner.owner.user_id == gate.viewer.id or verdict.shown:
        return verdict
    inputs = gate.inputs
    theirs = dataclasses.replace(
        inputs,
        org_blocks=(),
        user_blocks={u: p for u, p in inputs.user_blocks.items() if u != gate.viewer.id},
        unlinked=frozenset(),
    )
    return verdict if evaluate(meta, owner, theirs).shown else None


async def explain(
    ctx: AppContext,
    viewer: CurrentUser,
    record_type: RecordType,
    record_id: int,
    text: str,
    *,
    include_company: bool = False,
) -> WhyAnswer:
    """The explanation for `text` on this record (records.Forbidden / RecordNotFound as the
    list raises them)."""
    gate = await open_record(ctx, viewer, record_type, record_id, include_company=include_company)
    owners, broken, inputs = list(gate.owners), gate.broken, gate.inputs
    match = inputs.record
    assert match is not None  # a record's gate always has the record's addresses
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
            verdict = _own_view(gate, owner, meta)
            if verdict is None:
                continue  # not the viewer's to know about: as if it did not exist
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
