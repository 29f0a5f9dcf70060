"""The record panel's rules: which thread shows on a record, and if not, which rule hid it.

Pure functions over a thread's Gmail metadata (`ThreadMeta`) and what the store says about it
(`RuleInputs`: the record's addresses, block lists, unlinks, private threads, the owner's
sharing). `evaluate()` is the one code path: the thread list calls it for every thread and the
"why isn't my email here?" look-up calls it for the thread a user asks about, so both always
agree. The rules, in the order they are checked (docs/behaviour.md, "Record-context mail"):

1. spam/trash: every message of the thread is in SPAM or TRASH;
2. participants: Gmail matches addresses by words, so a hit is re-checked here: one of the
   record's addresses (or an address at one of its domains) must really be a sender or a
   recipient;
3. blocked: a participant matches a block rule (org-wide, the viewer's own, or the mailbox
   owner's own);
4. group mail: a message with more recipients than `group_mail_max_recipients`;
5. internal-only: every participant is inside the org's own domains (the owner still sees it);
6. unlinked from this record (sticks: later replies in the same Gmail thread stay hidden);
7. the sharing policy (`policy.thread_detail`), which also hides private threads from
   everyone but the owner: a thread marked private, or carrying one of the Gmail labels the
   owner named private (`private_labels`, for example "Personal").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from functools import cached_property
from typing import Any

from gpanel.crm.emails import normalise_email
from gpanel.mail.headers import MessageSummary, read_headers
from gpanel.services.sharing.policy import Detail, Person, Sharing, thread_detail

HIDDEN_LABELS = frozenset({"SPAM", "TRASH"})
# "Re:", "Fwd:", "Fw:", "AW:", "WG:", "SV:", "VS:", "Antw:", "Re[2]:", repeated.
_REPLY_PREFIX = re.compile(r"^(?:\s*(?:re|fwd?|aw|wg|sv|vs|antw)(?:\[\d+\])?\s*:)+\s*", re.I)
_EPOCH = datetime.fromtimestamp(0, tz=UTC)


class Reason(StrEnum):
    SHOWN = "shown"
    SPAM_TRASH = "spam_trash"
    NOT_PARTICIPANT = "not_participant"
    BLOCKED = "blocked"
    GROUP = "group"
    INTERNAL = "internal"
    UNLINKED = "unlinked"
    PRIVATE = "private"
    NOT_SHARED = "not_shared"


REASON_WORDS = {
    Reason.SHOWN: "It is shown on this record.",
    Reason.SPAM_TRASH: "It is in Spam or Trash in Gmail; gpanel never shows those.",
    Reason.NOT_PARTICIPANT: "None of this record's addresses is a sender or recipient of it.",
    Reason.BLOCKED: "A participant is on a block list.",
    Reason.GROUP: "It went to more recipients than the group-mail limit, so it counts as "
    "group mail.",
    Reason.INTERNAL: "Everyone on it is inside your organisation; internal mail is shown only "
    "to the mailbox owner.",
    Reason.UNLINKED: "Someone unlinked it from this record (later replies stay unlinked).",
    Reason.PRIVATE: "Its owner marked it private.",
    Reason.NOT_SHARED: "Its mailbox's owner does not share it with you.",
}
REASON_SHORT = {
    Reason.SHOWN: "shown",
    Reason.SPAM_TRASH: "in Spam or Trash",
    Reason.NOT_PARTICIPANT: "without this record's addresses",
    Reason.BLOCKED: "blocked",
    Reason.GROUP: "group mail",
    Reason.INTERNAL: "internal only",
    Reason.UNLINKED: "unlinked from this record",
    Reason.PRIVATE: "private",
    Reason.NOT_SHARED: "not shared with you",
}


@dataclass(frozen=True, slots=True)
class Participant:
    email: str  # normalised (trimmed, lower-case); empty when the header held no address
    name: str  # the display name the header gave, may be empty


@dataclass(frozen=True)
class ThreadMeta:
    """One Gmail thread's metadata, as read from `threads.get(format=metadata)`. Cached in
    process memory only (it holds subjects and snippets). Derived values are computed once
    per object (`cached_property`), since a cached thread serves many views."""

    mailbox_id: int
    thread_id: str
    history_id: str
    messages: tuple[MessageSummary, ...]
    # False when `messages` is only the record's newest message of the thread (the panel's
    # partial plan, `plan.py`); `matched` then counts the record's messages in the thread.
    whole: bool = True
    matched: int = 0

    @cached_property
    def live(self) -> tuple[MessageSummary, ...]:
        """The messages not in Spam or Trash."""
        return tuple(m for m in self.messages if not HIDDEN_LABELS & set(m.label_ids))

    @cached_property
    def count(self) -> int:
        return len(self.live)

    @cached_property
    def last_at(self) -> datetime:
        dates = [m.internal_date or m.headers.date for m in self.live]
        return max((d for d in dates if d is not None), default=_EPOCH)

    @cached_property
    def subject(self) -> str:
        """The thread's subject: its first message's. A row read by its newest message alone
        (`whole` False) drops the reply and forward prefixes that message's subject adds."""
        live = self.live
        found = next((m.headers.subject for m in live if m.headers.subject), "")
        return found if self.whole else _REPLY_PREFIX.sub("", found)

    @cached_property
    def snippet(self) -> str:
        live = self.live
        return live[-1].snippet if live else ""

    @cached_property
    def unread(self) -> bool:
        return any("UNREAD" in m.label_ids for m in self.live)

    @cached_property
    def label_ids(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for m in self.live:
            seen.update(dict.fromkeys(m.label_ids))
        return tuple(seen)

    @cached_property
    def rfc_ids(self) -> frozenset[str]:
        return frozenset(m.headers.message_id for m in self.live if m.headers.message_id)

    @cached_property
    def max_recipients(self) -> int:
        return max(
            (
                len(
                    {
                        a.email.lower()
                        for a in (*h.to.addresses, *h.cc.addresses, *h.bcc.addresses)
                        if a.email
                    }
                )
                for h in (m.headers for m in self.live)
            ),
            default=0,
        )

    @cached_property
    def people(self) -> tuple[Participant, ...]:
        """Senders and recipients of the live messages, in order of appearance, once each."""
        found: dict[str, Participant] = {}
        for m in self.live:
            h = m.headers
            for a in (*h.from_.addresses, *h.to.addresses, *h.cc.addresses, *h.bcc.addresses):
                email = a.email.strip().lower()
                if email and (email not in found or (a.name and not found[email].name)):
                    found[email] = Participant(email, a.name)
        return tuple(found.values())

    @cached_property
    def open_people(self) -> tuple[Participant, ...]:
        """`people` without those only ever in Bcc: what anyone but the owner may see."""
        named = {
            a.email.strip().lower()
            for m in self.live
            for a in (*m.headers.from_.addresses, *m.headers.to.addresses, *m.headers.cc.addresses)
        }
        return tuple(p for p in self.people if p.email in named)


def thread_meta(mailbox_id: int, raw: Mapping[str, Any]) -> ThreadMeta:
    """A `ThreadMeta` from Gmail's thread JSON; never raises on odd input."""
    messages = raw.get("messages")
    return ThreadMeta(
        mailbox_id=mailbox_id,
        thread_id=str(raw.get("id", "")),
        history_id=str(raw.get("historyId", "")),
        messages=tuple(read_headers(m) for m in messages if isinstance(m, Mapping))
        if isinstance(messages, list)
        else (),
    )


def _domain(email: str) -> str:
    return email.rpartition("@")[2]


def _at_domain(email: str, domains: Iterable[str]) -> bool:
    host = _domain(email)
    return any(host == d or host.endswith("." + d) for d in domains)


@dataclass(frozen=True)
class RecordMatch:
    """The record's addresses and domains, compared as the CRM compares them."""

    emails: frozenset[str]
    domains: frozenset[str]
    fold_gmail: bool = False

    @classmethod
    def of(cls, emails: Iterable[str], domains: Iterable[str], fold_gmail: bool) -> RecordMatch:
        return cls(
            frozenset(normalise_email(e, fold_gmail) for e in emails),
            frozenset(d.strip().lower().removeprefix("@") for d in domains),
            fold_gmail,
        )

    def matches(self, email: str) -> bool:
        return normalise_email(email, self.fold_gmail) in self.emails or _at_domain(
            email, self.domains
        )


def normalise_pattern(pattern: str) -> str | None:
    """A block pattern as stored: `name@host` or `@host`, lower-case; None if not one."""
    p = pattern.strip().lower()
    if not p or any(c.isspace() for c in p) or len(p) > 320:
        return None
    if "@" not in p:
        p = "@" + p
    local, _, host = p.rpartition("@")
    if "." not in host or host.startswith(".") or "@" in local:
        return None
    return p


def block_matches(pattern: str, email: str) -> bool:
    if pattern.startswith("@"):
        return _at_domain(email, (pattern[1:],))
    return email == pattern


@dataclass(frozen=True)
class MailboxOwner:
    mailbox_id: int
    owner: Person
    owner_name: str
    sharing: Sharing


@dataclass(frozen=True)
class RuleInputs:
    """Everything the rules need beyond the thread itself, loaded once per view."""

    viewer: Person
    record: RecordMatch | None  # None: no record context (notifications, the label view)
    own_domains: frozenset[str]
    group_max: int
    org_blocks: tuple[str, ...] = ()
    user_blocks: Mapping[int, tuple[str, ...]] = field(default_factory=dict)  # user id -> rules
    unlinked: frozenset[tuple[int, str]] = frozenset()  # (mailbox id, thread id) on this record
    private: frozenset[tuple[int, str]] = frozenset()
    # mailbox id -> the Gmail label ids its owner keeps private: such threads are private.
    private_labels: Mapping[int, frozenset[str]] = field(default_factory=dict)

    def blocks_for(self, owner_id: int) -> tuple[str, ...]:
        """Org-wide rules, the viewer's own and the mailbox owner's own."""
        return (
            *self.org_blocks,
            *self.user_blocks.get(self.viewer.user_id, ()),
            *(self.user_blocks.get(owner_id, ()) if owner_id != self.viewer.user_id else ()),
        )


@dataclass(frozen=True)
class Verdict:
    reason: Reason
    detail: Detail | None = None  # what the viewer sees when shown
    pattern: str | None = None  # the block rule that matched, for the explainer

    @property
    def shown(self) -> bool:
        return self.reason is Reason.SHOWN


def evaluate(thread: ThreadMeta, owner: MailboxOwner, inputs: RuleInputs) -> Verdict:
    """Whether `thread` of `owner`'s mailbox shows on the record for `inputs.viewer`, and at
    which detail; otherwise the first rule that hides it."""
    if not thread.live:
        return Verdict(Reason.SPAM_TRASH)
    is_owner = owner.owner.user_id == inputs.viewer.user_id
    # Bcc is the owner's alone: for anyone else a thread is judged by what they may see of it,
    # so a Bcc-only address neither puts it on a record nor makes it look external.
    people = thread.people
    seen = people if is_owner else thread.open_people
    if inputs.record is not None and not any(inputs.record.matches(p.email) for p in seen):
        return Verdict(Reason.NOT_PARTICIPANT)
    for pattern in inputs.blocks_for(owner.owner.user_id):
        if any(block_matches(pattern, p.email) for p in people):
            return Verdict(Reason.BLOCKED, pattern=pattern)
    if thread.max_recipients > inputs.group_max:
        return Verdict(Reason.GROUP)
    if not is_owner and all(_at_domain(p.email, inputs.own_domains) for p in seen):
        return Verdict(Reason.INTERNAL)
    key = (thread.mailbox_id, thread.thread_id)
    if inputs.record is not None and key in inputs.unlinked:
        return Verdict(Reason.UNLINKED)
    is_private = key in inputs.private or bool(
        inputs.private_labels.get(thread.mailbox_id, frozenset()).intersection(thread.label_ids)
    )
    detail = thread_detail(
        inputs.viewer, owner.owner, owner.sharing, record_access=True, thread_private=is_private
    )
    if detail is None:
        return Verdict(Reason.PRIVATE if is_private else Reason.NOT_SHARED)
    return Verdict(Reason.SHOWN, detail=detail)
