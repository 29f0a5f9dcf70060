"""Reading the display headers of a Gmail message: names, addresses, subject, date, threading ids.

Everything here takes what Gmail returns (a `payload.headers` list of `{name, value}`) and gives
back plain, bounded, display-safe values; nothing raises on hostile input. Encoded words
(RFC 2047) are decoded through `charsets.decode_bytes`, so an unknown charset yields text, not
an exception. Address lists go through `email.utils.getaddresses`, whose parser is linear, but
a header is still cut to `MAX_ADDRESS_HEADER_CHARS` and `MAX_ADDRESSES` first: a 16,000-address
`To:` took 8 s in the stdlib's newer parser, and no reader needs more than a few hundred names.
Group syntax (`unlisted-recipients:;`) and garbage fall back to the raw text as one name.

`read_headers` serves `format=metadata` messages (panel rows); `message.read_message` builds on
the same pieces for `format=full`.
"""

from __future__ import annotations

import base64
import binascii
import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import getaddresses, parsedate_to_datetime
from typing import Any

from gpanel.mail.charsets import decode_bytes

MAX_HEADERS = 2_000  # header entries scanned per message or part
MAX_HEADER_CHARS = 16_000  # one non-address header value, before decoding
MAX_ADDRESS_HEADER_CHARS = 64_000  # one address header (To, Cc...), before parsing
MAX_ADDRESSES = 500  # addresses kept per header
MAX_SUBJECT_CHARS = 1_000
MAX_REFERENCES = 100
MAX_ID_CHARS = 998  # RFC 5322's line limit; more is not a real message id

ADDRESS_HEADERS = ("from", "to", "cc", "bcc", "reply-to")
DISPLAY_HEADERS = (*ADDRESS_HEADERS, "date", "subject", "message-id", "in-reply-to", "references")

_ENCODED_WORD = re.compile(r"=\?([^?\s]{1,75})\?([bBqQ])\?([^?\s]*)\?=")
_BETWEEN_WORDS = re.compile(r"(\?=)\s+(=\?)")
_QP_BYTE = re.compile(rb"=([0-9A-Fa-f]{2})")
_MSG_ID = re.compile(r"<[^<>\s]{1,990}>")
# C0/C1 controls and the bidirectional overrides, embeddings and isolates that let a sender
# make "gpj.exe" read as "exe.jpg"; none of them belongs in a name, subject or file name.
_UNSAFE_CHARS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_FOLDING = re.compile(r"\s*[\r\n]+\s*")


@dataclass(frozen=True, slots=True)
class Address:
    """One mailbox. `email` is empty when the text held no parsable address; `name` then
    holds that text, so the reader still sees what the sender wrote."""

    name: str
    email: str

    def display(self) -> str:
        if self.name and self.email:
            return f"{self.name} <{self.email}>"
        return self.name or self.email


@dataclass(frozen=True, slots=True)
class AddressList:
    addresses: tuple[Address, ...] = ()
    truncated: bool = False  # more addresses were in the header than are listed

    @property
    def emails(self) -> tuple[str, ...]:
        return tuple(a.email for a in self.addresses if a.email)


@dataclass(frozen=True, slots=True)
class MessageHeaders:
    from_: AddressList
    to: AddressList
    cc: AddressList
    bcc: AddressList
    reply_to: AddressList
    subject: str
    date: datetime | None  # aware; None when absent or unparsable
    date_raw: str
    message_id: str  # with its angle brackets, as Message-ID carries it
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MessageSummary:
    """What a panel row needs, from a `format=metadata` (or `full`) message resource."""

    id: str
    thread_id: str
    label_ids: tuple[str, ...]
    internal_date: datetime | None
    snippet: str
    headers: MessageHeaders


def clean_text(value: str) -> str:
    """Unfold a header value and drop control and bidi-override characters."""
    return _UNSAFE_CHARS.sub("", _FOLDING.sub(" ", value)).strip()


def _word_bytes(encoding: str, text: str) -> bytes:
    if encoding in "bB":
        text = text + "=" * (-len(text) % 4)
        try:
            return base64.b64decode(text, validate=False)
        except (binascii.Error, ValueError):
            return b""
    raw = text.replace("_", " ").encode("ascii", errors="ignore")
    return _QP_BYTE.sub(lambda m: bytes([int(m.group(1), 16)]), raw)


def decode_words(value: str) -> str:
    """Decode RFC 2047 encoded words; adjacent words in one charset are joined as bytes first,
    because senders split multi-byte characters across words."""
    if "=?" not in value:
        return value
    value = _BETWEEN_WORDS.sub(r"\1\2", value)  # whitespace between encoded words is not text
    out: list[str] = []
    pos = 0
    pending: bytearray = bytearray()
    pending_charset = ""

    def flush() -> None:
        nonlocal pending, pending_charset
        if pending:
            out.append(decode_bytes(bytes(pending), pending_charset).text)
        pending = bytearray()
        pending_charset = ""

    for match in _ENCODED_WORD.finditer(value):
        if match.start() > pos:
            flush()
            out.append(value[pos : match.start()])
        charset = match.group(1).split("*", 1)[0]  # RFC 2231 adds *language
        if charset.lower() != pending_charset.lower():
            flush()
            pending_charset = charset
        pending += _word_bytes(match.group(2), match.group(3))
        pos = match.end()
    flush()
    out.append(value[pos:])
    return "".join(out)


def header_values(headers: Any, wanted: tuple[str, ...] = DISPLAY_HEADERS) -> dict[str, str]:
    """The wanted headers by lower-case name from Gmail's `[{name, value}]` list.

    Repeated address headers are joined with commas (some senders split `To:`); other
    headers keep their first occurrence. Malformed entries are skipped.
    """
    found: dict[str, str] = {}
    if not isinstance(headers, list):
        return found
    for entry in headers[:MAX_HEADERS]:
        if not isinstance(entry, Mapping):
            continue
        name, value = entry.get("name"), entry.get("value")
        if not isinstance(name, str) or not isinstance(value, str):
            continue
        key = name.strip().lower()
        if key not in wanted:
            continue
        if key in found:
            if key in ADDRESS_HEADERS and len(found[key]) < MAX_ADDRESS_HEADER_CHARS:
                found[key] = f"{found[key]}, {value}"
            continue
        found[key] = value
    return found


# An unquoted display name holding "@" before an angle address: `ann@acme.com <z@evil.example>`.
_BARE_NAME = re.compile(r'(^|,)(\s*)([^,"<>]*@[^,"<>]*?)\s*<')


def quote_bare_display_names(value: str) -> str:
    """Quote display names that hold an "@" and stand unquoted before an angle address.

    `email.utils.getaddresses` reads `ann@acme.com <z@evil.example>` as two mailboxes, so a
    sender could pose as a contact by spelling the contact's address as its name; mail
    clients (and Gmail) show the mailbox in angle brackets as the sender.
    """
    return _BARE_NAME.sub(lambda m: f'{m.group(1)}{m.group(2)}"{m.group(3).strip()}" <', value)


def parse_addresses(value: str, *, max_addresses: int = MAX_ADDRESSES) -> AddressList:
    """Parse an address header into mailboxes, bounded and without raising."""
    raw = quote_bare_display_names(_FOLDING.sub(" ", value))
    truncated = False
    if len(raw) > MAX_ADDRESS_HEADER_CHARS:
        cut = raw.rfind(",", 0, MAX_ADDRESS_HEADER_CHARS)
        raw = raw[: cut if cut > 0 else MAX_ADDRESS_HEADER_CHARS]
        truncated = True
    try:
        pairs = getaddresses([raw])
    except Exception:  # The stdlib parser has raised on hostile input in past releases.
        pairs = []
    addresses: list[Address] = []
    for name, email in pairs:
        if not name and not email:
            continue
        if len(addresses) >= max_addresses:
            truncated = True
            break
        addresses.append(Address(clean_text(decode_words(name))[:500], clean_text(email)[:500]))
    if not addresses and raw.strip():
        # Group syntax with no members, or text no parser understands: show it as written.
        addresses.append(Address(clean_text(decode_words(raw))[:500], ""))
    return AddressList(tuple(addresses), truncated)


def parse_date(value: str) -> datetime | None:
    """An aware datetime from a Date header, or None; a zone-less date is taken as UTC."""
    if not value or len(value) > 200:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed is None:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def parse_internal_date(value: Any) -> datetime | None:
    """Gmail's `internalDate` (milliseconds since the epoch, as a string) as an aware datetime."""
    try:
        millis = int(str(value))
        return datetime.fromtimestamp(millis / 1000, tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _message_ids(value: str, limit: int) -> tuple[str, ...]:
    ids = _MSG_ID.findall(value[: limit * (MAX_ID_CHARS + 1)])
    return tuple(ids[-limit:])  # the last references are the nearest ancestors


def parse_headers(headers: Any) -> MessageHeaders:
    """The display headers of a message or part from Gmail's header list."""
    found = header_values(headers)

    def text(name: str, limit: int) -> str:
        return clean_text(decode_words(found.get(name, "")[:MAX_HEADER_CHARS]))[:limit]

    def addresses(name: str) -> AddressList:
        return parse_addresses(found.get(name, ""))

    date_raw = text("date", 200)
    message_id = clean_text(found.get("message-id", "")[:MAX_HEADER_CHARS])
    return MessageHeaders(
        from_=addresses("from"),
        to=addresses("to"),
        cc=addresses("cc"),
        bcc=addresses("bcc"),
        reply_to=addresses("reply-to"),
        subject=text("subject", MAX_SUBJECT_CHARS),
        date=parse_date(date_raw),
        date_raw=date_raw,
        message_id=(_message_ids(message_id, 1) or (message_id[:MAX_ID_CHARS],))[0],
        in_reply_to=_message_ids(found.get("in-reply-to", ""), 10),
        references=_message_ids(found.get("references", ""), MAX_REFERENCES),
    )


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def read_headers(msg: Mapping[str, Any]) -> MessageSummary:
    """A panel row from a `format=metadata` (or `full`) message; never raises."""
    if not isinstance(msg, Mapping):
        msg = {}
    payload = msg.get("payload")
    labels = msg.get("labelIds")
    return MessageSummary(
        id=_str(msg.get("id")),
        thread_id=_str(msg.get("threadId")),
        label_ids=tuple(x for x in labels if isinstance(x, str))
        if isinstance(labels, list)
        else (),
        internal_date=parse_internal_date(msg.get("internalDate")),
        # Gmail's snippet is HTML-escaped text; unescape it so templates escape it once.
        snippet=clean_text(html.unescape(_str(msg.get("snippet"))[:MAX_HEADER_CHARS])),
        headers=parse_headers(payload.get("headers") if isinstance(payload, Mapping) else None),
    )
