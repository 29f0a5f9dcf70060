"""When a team mailbox thread's response clock runs (docs/behaviour.md, "Team mailboxes",
"Overdue"), from the live thread: message ids, senders' addresses and times only.

The clock starts at the oldest customer message the team has not answered yet: the first
message of the thread, or the first customer message after the team's latest message. A
message from the shared address (or its send-as alias, or labelled SENT) answers everything
before it, whether it went from gpanel's team inbox or straight from Gmail; drafts, spam and
trash count for nothing. A thread whose last word is the team's waits for nobody (no clock).
gpanel's own record of its first reply (`first_response_at`) also answers the messages before
it, so a listing read just before a reply landed does not call the thread late.

A thread this answer did not read (not on the page of the inbox read, or read only by its
newest message) falls back to the stored times: the first arrival, answered by the first reply.
"""

from __future__ import annotations

import datetime as dt

from gpanel.services.panel.rules import ThreadMeta
from gpanel.services.team_mailboxes.model import TeamMailbox, ThreadState

_NOT_COUNTED = frozenset({"DRAFT", "SPAM", "TRASH"})


def own_addresses(box: TeamMailbox) -> frozenset[str]:
    """The addresses the team answers from: the mailbox's own and its send-as alias."""
    found = {box.email.lower()}
    if box.send_as:
        found.add(box.send_as.lower())
    return frozenset(found)


def clock_start(
    state: ThreadState, meta: ThreadMeta | None, own: frozenset[str]
) -> dt.datetime | None:
    """The time the response clock of the thread started; None when nothing waits."""
    if meta is None or not meta.whole:
        return None if state.first_response_at is not None else state.first_seen_at
    dated = []
    for message in meta.messages:
        when = message.internal_date or message.headers.date
        if when is None or _NOT_COUNTED & set(message.label_ids):
            continue
        dated.append((when, message))
    dated.sort(key=lambda pair: pair[0])
    since: dt.datetime | None = None
    for when, message in dated:
        ours = "SENT" in message.label_ids or bool(
            {e.lower() for e in message.headers.from_.emails} & own
        )
        if ours:
            since = None
        elif since is None:
            since = when
    answered = state.first_response_at
    if since is not None and answered is not None and answered >= since:
        return None  # gpanel's reply, not yet in the listing read
    return since
