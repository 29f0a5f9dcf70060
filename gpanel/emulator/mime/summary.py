"""What threading, search and list views read from a message: its `Summary`.

Built once per stored message from the part tree of `mime_payload`: the Message-ID and the ids
it references (In-Reply-To, References), subject and address headers as decoded text, the
visible text of its body (text/plain, else the text of its HTML, entities decoded), the snippet,
and whether it carries attachments. Like the payload code it never raises on hostile mail.
"""

from __future__ import annotations

import email.utils
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from gpanel.emulator.mime.payload import (
    MAX_ADDRESS_CHARS,
    MAX_TEXT_CHARS,
    SNIPPET_CHARS,
    build_tree,
    decode_bytes,
)

_PREFIX = re.compile(
    r"^\s*(?:(?:re|fwd?|aw|sv|wg|vs|antw|tr|rif|odp|r)\s*(?:\[\d+\])?\s*[:\uff1a]\s*)+",
    re.IGNORECASE,
)
_MSGID = re.compile(r"<([^<>\s]{1,998})>")


class _TextExtractor(HTMLParser):
    """Visible text of an HTML body: tags dropped, entities decoded, scripts and styles skipped."""

    _SKIP = frozenset({"script", "style", "head", "title", "template"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skipping += 1
        elif tag in {"br", "p", "div", "tr", "li"}:
            self.chunks.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP and self._skipping:
            self._skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.chunks.append(data)


def html_text(html: str) -> str:
    parser = _TextExtractor()
    try:
        parser.feed(html[: MAX_TEXT_CHARS * 4])
        parser.close()
    except Exception:
        return re.sub(r"<[^>]*>", " ", html)
    return "".join(parser.chunks)


def normalize_subject(subject: str) -> str:
    """The subject threading compares: reply/forward prefixes gone, spaces collapsed, lower case."""
    return " ".join(_PREFIX.sub("", subject).split()).lower()


@dataclass
class Summary:
    """The facts about one message that threading, search and list views need."""

    message_id: str = ""
    references: list[str] = field(default_factory=list)
    subject: str = ""
    sender: str = ""
    to: str = ""
    cc: str = ""
    bcc: str = ""
    deliveredto: str = ""
    text: str = ""
    snippet: str = ""
    has_attachment: bool = False
    filenames: list[str] = field(default_factory=list)

    @property
    def normalized_subject(self) -> str:
        return normalize_subject(self.subject)

    def recipient_addresses(self) -> set[str]:
        out: set[str] = set()
        for value in (self.to, self.cc, self.bcc):
            out.update(addresses(value))
        return out


def addresses(value: str) -> list[str]:
    """Lower-cased addresses in an address header (bounded: huge lists are cut, not parsed)."""
    try:
        pairs = email.utils.getaddresses([value[:MAX_ADDRESS_CHARS]])
    except Exception:
        return []
    return [addr.strip().lower() for _, addr in pairs if "@" in addr]


def _message_ids(value: str) -> list[str]:
    return [m.lower() for m in _MSGID.findall(value)]


_SNIPPET_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}


def escape_snippet(text: str) -> str:
    """Text escaped the way Gmail escapes snippets."""
    return "".join(_SNIPPET_ESCAPES.get(ch, ch) for ch in text)


def summarize(raw: bytes) -> Summary:
    """Header facts, searchable text and snippet of a message."""
    tree = build_tree(raw)
    root = dict((n.lower(), v) for n, v in reversed(tree.headers))
    msgid = _message_ids(root.get("message-id", ""))
    refs = _message_ids(root.get("references", "")) + _message_ids(root.get("in-reply-to", ""))
    summary = Summary(
        message_id=msgid[0] if msgid else "",
        references=refs,
        subject=root.get("subject", ""),
        sender=root.get("from", ""),
        to=root.get("to", ""),
        cc=root.get("cc", ""),
        bcc=root.get("bcc", ""),
        deliveredto=root.get("delivered-to", ""),
    )
    plain: list[str] = []
    html: list[str] = []
    for part in tree.walk():
        if part.attachment:
            summary.has_attachment = True
            if part.filename:
                summary.filenames.append(part.filename)
        elif part.data is not None and part.mime_type == "text/plain":
            plain.append(decode_bytes(part.data[: MAX_TEXT_CHARS * 4], part.charset))
        elif part.data is not None and part.mime_type == "text/html":
            html.append(html_text(decode_bytes(part.data[: MAX_TEXT_CHARS * 4], part.charset)))
    text = " ".join((plain or html) + (html if plain else []))
    summary.text = " ".join(text[: MAX_TEXT_CHARS * 2].split())[:MAX_TEXT_CHARS]
    body = " ".join((" ".join(plain) if plain else " ".join(html)).split())
    # Gmail sends snippets HTML-escaped ("Tom &amp; Jerry", "it&#39;s"); so does the emulator.
    summary.snippet = escape_snippet(body[:SNIPPET_CHARS])
    return summary
