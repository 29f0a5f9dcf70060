"""The label job's decisions, pure: which message should carry which label, and the Gmail
changes that get it there.

A run gathers, per message id, `Facts`: the category the message should be under (None: no
category label at all), which of the three category labels it carries now, and whether it is
in the inbox. `plan_changes` turns those facts into batchModify groups (same add and remove
sets, at most 1000 ids each) and the ids it takes out of the inbox, by the rules of
docs/behaviour.md, "Category labels": the right label is added and the other two removed; when
a labelled message leaves the inbox is the mailbox's `InboxMode`: at once (a message that newly
gets a category label leaves, a move between labels too, so it never returns there), once read
(the same, but an unread message stays until the run that sees it read: `just_read`), or never;
a message gpanel took out of the inbox (its id in `label_archived`) that loses every category
label goes back to the inbox, in every mode; other labels stay. The search helpers build
`from:(a OR b) after:<epoch>` queries and find addresses that Gmail's substring-like `from:`
matching could confuse with another contact's address.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from email.utils import getaddresses
from enum import StrEnum

from gpanel.crm.categories import Category
from gpanel.crm.emails import normalise_email
from gpanel.gmail.query import searchable_address
from gpanel.mail.headers import quote_bare_display_names

# Precedence order, also the order pages list the labels in.
ORDER = (Category.CLOSING_THIS_MONTH, Category.OPEN_DEALS, Category.CUSTOMERS)
MAX_IDS_PER_MODIFY = 1000
MAX_QUERY_LENGTH = 1500
INBOX = "INBOX"
UNREAD = "UNREAD"


class InboxMode(StrEnum):
    """When labelled mail leaves the inbox (`mailbox_jobs.labels_inbox_mode`)."""

    AT_ONCE = "at_once"  # Zoho's behaviour, the default
    ONCE_READ = "once_read"
    NEVER = "never"

    @classmethod
    def parse(cls, value: object) -> InboxMode:
        """A stored or submitted value; anything unknown is the default."""
        try:
            return cls(str(value))
        except ValueError:
            return cls.AT_ONCE


# Colours from Gmail's fixed label palette (background, text).
COLOURS: Mapping[Category, dict[str, str]] = {
    Category.CLOSING_THIS_MONTH: {"backgroundColor": "#fb4c2f", "textColor": "#ffffff"},
    Category.OPEN_DEALS: {"backgroundColor": "#4a86e8", "textColor": "#ffffff"},
    Category.CUSTOMERS: {"backgroundColor": "#16a766", "textColor": "#ffffff"},
}
TITLES: Mapping[Category, str] = {
    Category.CLOSING_THIS_MONTH: "Deals Closing This Month",
    Category.OPEN_DEALS: "Open Deals",
    Category.CUSTOMERS: "Customers",
}


def label_names(names: tuple[str, str, str]) -> dict[Category, str]:
    """`Settings.label_names` (in precedence order) keyed by category."""
    return dict(zip(ORDER, names, strict=True))


def window_start(enabled_at: dt.datetime, backfill_days: int) -> dt.datetime:
    return enabled_at - dt.timedelta(days=backfill_days)


@dataclass(frozen=True)
class Facts:
    """One message as a run sees it."""

    target: Category | None
    holds: frozenset[Category] = frozenset()
    in_inbox: bool = False
    contact_id: int | None = None
    # True when read from the message's own headers (`gather.by_ids`), not inferred from a
    # search hit: Gmail's search matches words, so a hit alone never proves the sender.
    checked: bool = False
    # Carries UNREAD (known for checked facts only; a search hit counts as read).
    unread: bool = False


@dataclass(frozen=True)
class LabelChange:
    add: tuple[str, ...]
    remove: tuple[str, ...]
    ids: tuple[str, ...]


@dataclass
class Plan:
    changes: list[LabelChange] = field(default_factory=list)
    archive: list[str] = field(default_factory=list)
    # Ids gpanel had archived that lose every category label: INBOX comes back.
    restore: list[str] = field(default_factory=list)
    # (from, to) category pairs -> messages; None stands for "no category label".
    moves: Counter[tuple[Category | None, Category | None]] = field(default_factory=Counter)
    per_contact: Counter[int] = field(default_factory=Counter)
    samples: dict[Category | None, list[str]] = field(default_factory=dict)

    @property
    def modify_calls(self) -> int:
        return len(self.changes)

    @property
    def messages(self) -> int:
        return sum(len(c.ids) for c in self.changes)

    def arriving(self, category: Category) -> int:
        return sum(n for (_, to), n in self.moves.items() if to is category)

    def leaving(self, category: Category) -> int:
        return sum(
            n for (frm, to), n in self.moves.items() if frm is category and to is not category
        )


def plan_changes(
    facts: Mapping[str, Facts],
    label_ids: Mapping[Category, str],
    sample_size: int = 5,
    archived: Collection[str] = frozenset(),
    mode: InboxMode = InboxMode.AT_ONCE,
    just_read: Collection[str] = frozenset(),
) -> Plan:
    """The batchModify calls that make every message match its facts' target. `archived`:
    the ids gpanel took out of the inbox, which get INBOX back when no category label is
    left on them (mail the user archived themselves is never put back). `mode` says when
    labelled mail leaves the inbox; `just_read`: ids the run saw being read since the last one
    (in `ONCE_READ`, a labelled one still in the inbox leaves it now)."""
    groups: dict[tuple[tuple[str, ...], tuple[str, ...]], list[str]] = {}
    plan = Plan()
    for message_id in sorted(facts):
        f = facts[message_id]
        add: list[str] = []
        remove = [label_ids[c] for c in ORDER if c in f.holds and c is not f.target]
        leaves = (
            f.in_inbox
            and mode is not InboxMode.NEVER
            and not (mode is InboxMode.ONCE_READ and f.unread)
        )
        if f.target is not None and f.target not in f.holds:
            add.append(label_ids[f.target])
            if leaves:
                remove.append(INBOX)
                plan.archive.append(message_id)
        elif (
            f.target is not None
            and mode is InboxMode.ONCE_READ
            and message_id in just_read
            and leaves
        ):
            remove.append(INBOX)
            plan.archive.append(message_id)
        elif f.target is None and f.holds and not f.in_inbox and message_id in archived:
            add.append(INBOX)
            plan.restore.append(message_id)
        if not add and not remove:
            continue
        groups.setdefault((tuple(add), tuple(remove)), []).append(message_id)
        before = next((c for c in ORDER if c in f.holds), None)
        plan.moves[(before, f.target)] += 1
        if f.contact_id is not None:
            plan.per_contact[f.contact_id] += 1
        sample = plan.samples.setdefault(f.target, [])
        if len(sample) < sample_size:
            sample.append(message_id)
    for (add_ids, remove_ids), ids in sorted(groups.items()):
        for n in range(0, len(ids), MAX_IDS_PER_MODIFY):
            plan.changes.append(
                LabelChange(add_ids, remove_ids, tuple(ids[n : n + MAX_IDS_PER_MODIFY]))
            )
    return plan


# --- searching ---------------------------------------------------------------------------------


def from_queries(
    addresses: Iterable[str], after: dt.datetime, max_length: int = MAX_QUERY_LENGTH
) -> list[str]:
    """`from:(a OR b ...) after:<epoch>` queries covering every searchable address."""
    clean = sorted({a for a in map(searchable_address, addresses) if a})
    suffix = f" after:{int(after.timestamp())}"
    queries: list[str] = []
    current: list[str] = []
    size = len("from:()") + len(suffix)
    for address in clean:
        extra = len(address) + (4 if current else 0)
        if current and size + extra > max_length:
            queries.append("from:(" + " OR ".join(current) + ")" + suffix)
            current, size = [], len("from:()") + len(suffix)
            extra = len(address)
        current.append(address)
        size += extra
    if current:
        queries.append("from:(" + " OR ".join(current) + ")" + suffix)
    return queries


def lookalikes(known: Collection[str]) -> frozenset[str]:
    """Addresses that appear inside another known address (`ann@x.com` in `joann@x.com`):
    `from:` search for them can also find the other's mail, so such hits are checked against
    the message's own From header."""
    found: set[str] = set()
    known_set = set(known)
    for other in known_set:
        at = other.find("@")
        if at < 0:
            continue
        for i in range(0, at + 1):
            for j in range(at + 2, len(other) + 1):
                if (i, j) == (0, len(other)):
                    continue
                piece = other[i:j]
                if piece in known_set:
                    found.add(piece)
    return frozenset(found)


def sender_address(from_header: str, fold: bool) -> str | None:
    """The first address of a From header, normalised as the org compares addresses."""
    for _, address in getaddresses([quote_bare_display_names(from_header)]):
        if "@" in address:
            return normalise_email(address, fold)
    return None


def header(message: Mapping[str, object], name: str) -> str:
    payload = message.get("payload")
    headers = payload.get("headers") if isinstance(payload, dict) else None
    for item in headers if isinstance(headers, list) else []:
        if isinstance(item, dict) and str(item.get("name", "")).lower() == name.lower():
            return str(item.get("value", ""))
    return ""


def holds(label_list: Iterable[str], label_ids: Mapping[Category, str]) -> frozenset[Category]:
    present = set(label_list)
    return frozenset(c for c, i in label_ids.items() if i in present)
