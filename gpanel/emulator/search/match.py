"""One parsed query evaluated against one message, as Gmail evaluates it.

Address operators (from:, to:, cc:, bcc:, deliveredto:) match by words (docs/gmail-facts.md,
"Reading and search"): the value and the header (display names included) are split into words
at every character that is not a letter or digit (`@`, `.`, `-`, `+`, spaces, ...), and the
value's words must appear in a row in the header's. So `from:@acme.com` finds
`x@mail.acme.com` but not `y@acme.community`, and `from:ann@acme.com` does not find
`joann@acme.com` but does find `"ann@acme.com" <z@evil.example>`. The "loose" mode
(`EmulatorConfig.search_mode`) also accepts any substring of the header, so it returns more,
never less. Bare words and phrases match whole words of the subject, body text, addresses and
attachment names, case-insensitively. Dates written as days (`after:2026/03/01`) mean midnight
Pacific time, Gmail's rule for the API; `newer_than:2m` counts calendar months. `label:` takes a
label's name with spaces and `/` written as `-` (`label:crm-open-deals`).
"""

from __future__ import annotations

import datetime as dt
import re
import time
import zoneinfo
from collections.abc import Callable, Iterable
from typing import Protocol

from gpanel.emulator.mime.summary import Summary
from gpanel.emulator.search.query import ADDRESS_FIELDS, And, Node, Not, Or, Term, parse

_CATEGORIES = {
    "primary": "CATEGORY_PERSONAL",
    "personal": "CATEGORY_PERSONAL",
    "social": "CATEGORY_SOCIAL",
    "promotions": "CATEGORY_PROMOTIONS",
    "updates": "CATEGORY_UPDATES",
    "forums": "CATEGORY_FORUMS",
}
_IN_LABELS = {
    "inbox": "INBOX",
    "sent": "SENT",
    "spam": "SPAM",
    "trash": "TRASH",
    "bin": "TRASH",
    "starred": "STARRED",
    "important": "IMPORTANT",
    "draft": "DRAFT",
    "drafts": "DRAFT",
    "chats": "CHAT",
    "unread": "UNREAD",
}
SEARCH_MODES = ("strict", "loose")
# Gmail reads a date without a time as midnight Pacific time in API searches.
PACIFIC = zoneinfo.ZoneInfo("America/Los_Angeles")
_ADDRESS_WORD = re.compile(r"[^\W_]+")


class Searchable(Protocol):
    """What search reads from a message (state.Message satisfies it)."""

    @property
    def summary(self) -> Summary: ...

    label_ids: list[str]
    internal_date_ms: int
    raw: bytes


# --- evaluation -----------------------------------------------------------------------------
def _word_match(needle: str, haystack: str) -> bool:
    words = needle.lower().split()
    if not words:
        return True
    pattern = r"\s+".join(re.escape(w) for w in words)
    return re.search(rf"(?<!\w){pattern}(?!\w)", haystack) is not None


def _address_words(text: str) -> list[str]:
    return _ADDRESS_WORD.findall(text.lower())


def _words_in_a_row(needle: list[str], haystack: list[str]) -> bool:
    n = len(needle)
    if n == 0:
        return False
    return any(haystack[i : i + n] == needle for i in range(len(haystack) - n + 1))


def address_matches(value: str, header: str, mode: str = "strict") -> bool:
    """An address operator's value against a header, by words (loose: or any substring)."""
    if _words_in_a_row(_address_words(value), _address_words(header)):
        return True
    return mode == "loose" and value.lower() in header.lower()


def _months_before(now_ms: int, months: int) -> int:
    """The instant `months` calendar months before `now_ms` (the day clamped to the month)."""
    now = dt.datetime.fromtimestamp(now_ms / 1000, tz=dt.UTC)
    index = now.year * 12 + (now.month - 1) - months
    year, month = divmod(index, 12)
    month += 1
    last_day = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    then = now.replace(year=year, month=month, day=min(now.day, last_day))
    return int(then.timestamp() * 1000)


def _label_slug(name: str) -> str:
    return re.sub(r"[\s/]+", "-", name.strip().lower())


def _date_ms(value: str) -> int | None:
    """after:/before: values: YYYY/MM/DD (or with dashes) at midnight Pacific time, or epoch
    seconds."""
    if value.isdigit():
        return int(value) * 1000
    match = re.fullmatch(r"(\d{4})[/-](\d{1,2})[/-](\d{1,2})", value)
    if not match:
        return None
    try:
        year, month, day_of_month = (int(x) for x in match.groups())
        day = dt.datetime(year, month, day_of_month, tzinfo=PACIFIC)
    except ValueError:
        return None
    return int(day.timestamp() * 1000)


def _size(value: str) -> int | None:
    match = re.fullmatch(r"(\d+)([kKmM]?)", value)
    if not match:
        return None
    factor = {"": 1, "k": 1024, "m": 1024 * 1024}[match.group(2).lower()]
    return int(match.group(1)) * factor


class Matcher:
    """A compiled query: call it with a message; knows whether it asks for spam or trash."""

    def __init__(
        self,
        query: str,
        resolve_label: Callable[[str], str | None],
        now_ms: int | None = None,
        *,
        address_mode: str = "strict",
        labels: Callable[[], Iterable[tuple[str, str]]] = lambda: (),
    ) -> None:
        self.tree = parse(query)
        self._resolve_label = resolve_label
        self._labels = labels  # (id, name) of the mailbox's labels, for `label:a-b` names
        self.address_mode = address_mode
        self._now_ms = int(time.time() * 1000) if now_ms is None else now_ms
        self._haystacks: dict[int, str] = {}

    @property
    def mentions_spam_trash(self) -> bool:
        """True when the query names spam, trash or in:anywhere (Gmail then includes them)."""

        def walk(node: Node) -> bool:
            if isinstance(node, Term):
                value = node.value.lower()
                return (node.field == "in" and value in ("spam", "trash", "bin", "anywhere")) or (
                    node.field == "label" and value in ("spam", "trash")
                )
            if isinstance(node, Not):
                return False
            return any(walk(child) for child in node.nodes)

        return walk(self.tree)

    def __call__(self, message: Searchable) -> bool:
        return self._eval(self.tree, message)

    def _eval(self, node: Node, message: Searchable) -> bool:
        if isinstance(node, And):
            return all(self._eval(child, message) for child in node.nodes)
        if isinstance(node, Or):
            return any(self._eval(child, message) for child in node.nodes)
        if isinstance(node, Not):
            return not self._eval(node.node, message)
        return self._term(node, message)

    def _haystack(self, message: Searchable) -> str:
        key = id(message)
        found = self._haystacks.get(key)
        if found is None:
            s = message.summary
            parts = [s.subject, s.sender, s.to, s.cc, s.bcc, s.text, *s.filenames]
            found = " ".join(parts).lower()
            self._haystacks[key] = found
        return found

    def _label(self, value: str) -> str | None:
        direct = self._resolve_label(value)
        if direct is None and "-" in value:
            direct = self._resolve_label(value.replace("-", "/")) or self._resolve_label(
                value.replace("-", " ")
            )
        if direct is None:
            # Gmail writes spaces and "/" in label names as "-": CRM/Open Deals is crm-open-deals.
            slug = _label_slug(value)
            direct = next((i for i, name in self._labels() if _label_slug(name) == slug), None)
        return direct

    def _term(self, term: Term, message: Searchable) -> bool:
        field, value = term.field, term.value
        low = value.lower()
        labels = message.label_ids
        s = message.summary
        if field is None:
            return _word_match(value, self._haystack(message))
        if field in ADDRESS_FIELDS:
            header = {"from": s.sender, "to": s.to, "cc": s.cc, "bcc": s.bcc}.get(
                field, s.deliveredto
            )
            return address_matches(value, header, self.address_mode)
        if field == "subject":
            return _word_match(value, s.subject.lower())
        if field == "label":
            label_id = self._label(value)
            return label_id is not None and label_id in labels
        if field == "in":
            return low == "anywhere" or _IN_LABELS.get(low, "\0") in labels
        if field == "is":
            if low == "read":
                return "UNREAD" not in labels
            return _IN_LABELS.get(low, "\0") in labels
        if field == "has":
            if low == "attachment":
                return s.has_attachment
            if low == "userlabels":
                return any(x.startswith("Label_") for x in labels)
            if low == "nouserlabels":
                return not any(x.startswith("Label_") for x in labels)
            return False
        if field == "category":
            return _CATEGORIES.get(low, "\0") in labels
        if field == "filename":
            return any(low in name.lower() for name in s.filenames)
        if field == "rfc822msgid":
            return low.strip("<>") == s.message_id
        if field in ("after", "newer", "before", "older"):
            when = _date_ms(value)
            if when is None:
                return False
            after = field in ("after", "newer")
            return message.internal_date_ms >= when if after else message.internal_date_ms < when
        if field in ("newer_than", "older_than"):
            match = re.fullmatch(r"(\d+)([dmyDMY])", value)
            if not match:
                return False
            amount, unit = int(match.group(1)), match.group(2).lower()
            if unit == "d":
                cutoff = self._now_ms - amount * 86_400_000
            else:
                cutoff = _months_before(self._now_ms, amount * (12 if unit == "y" else 1))
            newer = field == "newer_than"
            return message.internal_date_ms > cutoff if newer else message.internal_date_ms < cutoff
        if field in ("larger", "smaller"):
            size = _size(value)
            if size is None:
                return False
            return len(message.raw) > size if field == "larger" else len(message.raw) < size
        return _word_match(f"{field}:{value}", self._haystack(message))
