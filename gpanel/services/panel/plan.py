"""How a record panel reads its rows from one mailbox: the plan chosen by quota cost.

docs/gmail-facts.md, "Quota": in the 2026 regime `threads.get` costs 40 units and
`messages.get` 20 (legacy: 10 and 5). A row needs the whole thread only for what the gate
judges on every message; the rest of a row (subject, time, people, snippet, labels) comes from
the record's newest message in it. So unless the whole-thread plan is the cheaper one, a view
reads, for each listed thread:

- **the newest message with the record** (`messages.get(format=metadata)`), found by one
  `messages.list` of the record's own search beside the `threads.list` (5 units, up to 500
  message ids, newest first). The row says how many of the thread's messages are the record's
  (`matched`); the whole thread is read when it is opened (the thread view, through the same
  gate);
- **the whole thread** (`threads.get`) when a message outside the record's own could hide it:
  a *guard* search found one of the thread's messages from or to a blocked address
  (`block_queries`, the org's, the viewer's and the owner's rules) or carrying a label the
  owner keeps private (`private_labels`). Such a row costs `threads.get`; so does a thread whose
  record messages the `messages.list` page did not reach, and every thread of a mailbox whose
  guard search had more than one page (then the guard is incomplete and nothing is assumed).

The gate (`rules.evaluate`) judges exactly what was read. What a partial read cannot see is a
message outside the record's own search that went to more recipients than the group-mail limit:
the group rule is judged on the record's messages of such a thread (docs/behaviour.md,
"Record-context mail"); everything else that hides a thread is found by the guards or holds on
the record's messages alone (spam and trash: only live messages are listed; participants; the
internal-only rule only hides more when fewer messages are read; unlinks and private threads are
by thread id).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from gpanel.gmail import MailboxClient, participants_query
from gpanel.gmail.costs import CostTable

LIST_PAGE = 500  # message ids one messages.list answers (Gmail's maximum)
THREADS_GET = "gmail.users.threads.get"
MESSAGES_GET = "gmail.users.messages.get"
MESSAGES_LIST = "gmail.users.messages.list"


@dataclass(frozen=True, slots=True)
class Guards:
    """The searches that find threads whose other messages could hide them."""

    block_queries: tuple[str, ...] = ()
    private_labels: tuple[str, ...] = ()

    @classmethod
    def of(cls, block_patterns: Iterable[str], private_labels: Iterable[str]) -> Guards:
        patterns = set(block_patterns)
        emails = sorted(p for p in patterns if not p.startswith("@"))
        domains = sorted(p[1:] for p in patterns if p.startswith("@"))
        return cls(tuple(participants_query(emails, domains)), tuple(sorted(set(private_labels))))

    @property
    def searches(self) -> int:
        return len(self.block_queries) + len(self.private_labels)


@dataclass(frozen=True, slots=True)
class Plan:
    """`partial`: rows from the record's newest message; else whole threads."""

    partial: bool
    reason: str


def choose(costs: CostTable, queries: int, guards: Guards, rows: int) -> Plan:
    """The cheaper plan for about `rows` rows: the partial plan pays one messages.list per
    query and guard search and saves the difference of the two gets on every row."""
    whole = rows * costs.cost(THREADS_GET)
    partial = (queries + guards.searches) * costs.cost(MESSAGES_LIST) + rows * costs.cost(
        MESSAGES_GET
    )
    if partial < whole:
        return Plan(True, f"newest message per row: about {partial} units, not {whole}")
    return Plan(False, f"whole threads: about {whole} units, not {partial}")


@dataclass(frozen=True, slots=True)
class Matches:
    """What the partial plan lists beside the threads: the record's message ids per thread
    (newest first) and the threads a guard search flagged. `complete` is False when a guard
    had more than one page (then every thread is read whole)."""

    by_thread: Mapping[str, tuple[str, ...]]
    flagged: frozenset[str]
    complete: bool

    def newest(self, thread_id: str) -> str | None:
        """The message to read for a row, or None when the whole thread must be read."""
        if not self.complete or thread_id in self.flagged:
            return None
        ids = self.by_thread.get(thread_id)
        return ids[0] if ids else None


async def _ids(
    client: MailboxClient, q: str | None, label_ids: Sequence[str], spam: bool
) -> tuple[list[tuple[str, str]], bool]:
    body = await client.list_messages(
        q, label_ids=label_ids, max_results=LIST_PAGE, include_spam_trash=spam
    )
    found = body.get("messages")
    pairs = [
        (str(m.get("id", "")), str(m.get("threadId", "")))
        for m in (found if isinstance(found, list) else [])
        if isinstance(m, Mapping) and m.get("id") and m.get("threadId")
    ]
    return pairs, bool(body.get("nextPageToken"))


async def list_matches(
    client: MailboxClient, queries: Sequence[str], guards: Guards, spam: bool
) -> Matches:
    """One round trip: messages.list for each of the record's queries and each guard."""
    record = [_ids(client, q, (), spam) for q in queries]
    blocked = [_ids(client, q, (), spam) for q in guards.block_queries]
    labelled = [_ids(client, None, (label,), spam) for label in guards.private_labels]
    answers = await asyncio.gather(*record, *blocked, *labelled)
    by_thread: dict[str, list[str]] = {}
    seen_by: dict[str, int] = {}
    for pairs, _ in answers[: len(record)]:
        for thread_id in {t for _, t in pairs}:
            seen_by[thread_id] = seen_by.get(thread_id, 0) + 1
        for message_id, thread_id in pairs:
            ids = by_thread.setdefault(thread_id, [])
            if message_id not in ids:
                ids.append(message_id)
    flagged = {thread_id for pairs, _ in answers[len(record) :] for _, thread_id in pairs}
    # Each answer is newest first, but answers of different queries do not interleave by
    # date: a thread two of the record's queries matched is read whole (rare: a record's
    # addresses need a second query only past about 2 KB of search).
    flagged |= {t for t, n in seen_by.items() if n > 1}
    complete = not any(more for _, more in answers[len(record) :])
    return Matches({t: tuple(ids) for t, ids in by_thread.items()}, frozenset(flagged), complete)
