"""Reading a `format=full` Gmail message resource into what the thread view shows.

Gmail has already split the MIME tree into `payload` parts (partId, mimeType, filename,
headers, body {size, data, attachmentId}, parts) and undone the transfer encoding; what is left
to us is the mail client's judgement: which part is the body, in which charset, which parts are
attachments and which are inline images. The walk is iterative-free but bounded (depth and part
count), decodes body bytes only up to `max_body_bytes`, and never raises: any value of any type
in the resource gives a `MessageView`, at worst an empty one.

Body choice follows common clients: in `multipart/alternative` the last HTML-bearing child gives
the HTML and the last text-bearing child the plain text; `multipart/related` shows its root
(the `start` part, else the first) and offers the rest as `cid:` targets; `multipart/mixed`
and unknown multiparts show their inline text parts one after another; `message/rfc822` parts
are listed as attachments, never opened in place.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime
from email.message import Message
from types import MappingProxyType
from typing import Any
from urllib.parse import unquote

from gpanel.mail.charsets import decode_bytes
from gpanel.mail.filenames import content_disposition, display_filename
from gpanel.mail.headers import MAX_HEADER_CHARS, MessageHeaders, header_values, read_headers
from gpanel.mail.sanitize import text_to_html

DEFAULT_MAX_BODY_BYTES = 2 * 1024 * 1024
MAX_PARTS = 1_000
MAX_DEPTH = 32

_PART_HEADERS = ("content-type", "content-disposition", "content-id")


@dataclass(frozen=True, slots=True)
class BodyText:
    """A body as text (`text_body`) or as unsanitised HTML (`html_body`).

    `truncated` says the source was longer than the limit; `size` is the source's byte size.
    `exact` says every byte decoded in a charset without replacement characters.
    """

    text: str
    part_ids: tuple[str, ...]
    size: int
    truncated: bool
    exact: bool


@dataclass(frozen=True, slots=True)
class Attachment:
    part_id: str
    filename: str  # display-safe, never empty
    mime_type: str
    size: int
    attachment_id: str | None  # fetch with messages.attachments.get
    data: bytes | None = field(default=None, repr=False)  # when Gmail sent the bytes inline
    content_id: str = ""  # normalised: no angle brackets, lower case
    inline: bool = False  # Content-Disposition inline, or a multipart/related resource
    is_message: bool = False  # an attached message/rfc822

    @property
    def content_disposition(self) -> str:
        """The header value to serve this part with (always `attachment`: download, never
        render, since a part's own type is the sender's claim)."""
        return content_disposition(self.filename)


@dataclass(frozen=True, slots=True)
class MessageView:
    id: str
    thread_id: str
    label_ids: tuple[str, ...]
    internal_date: datetime | None
    snippet: str
    headers: MessageHeaders
    text_body: BodyText | None
    html_body: BodyText | None
    attachments: tuple[Attachment, ...]
    inline_parts: Mapping[str, Attachment]  # by normalised Content-ID
    structure_truncated: bool  # the MIME tree went beyond MAX_PARTS or MAX_DEPTH

    def part_for_cid(self, url: str) -> Attachment | None:
        """The part a `cid:` URL (or bare Content-ID) points at, if this message has it."""
        value = url[4:] if url[:4].lower() == "cid:" else url
        return self.inline_parts.get(normalize_content_id(unquote(value)))


def normalize_content_id(value: str) -> str:
    return value.strip().strip("<>").strip().lower()


@dataclass(slots=True)
class _Piece:
    part_id: str
    data: str  # base64url, still encoded: decoded only as far as the size limit needs
    charset: str
    size: int


@dataclass(slots=True)
class _Found:
    """What one subtree contributes: text pieces, HTML segments (html or text), attachments."""

    text: list[_Piece] = field(default_factory=list)
    html: list[tuple[bool, _Piece]] = field(default_factory=list)  # (is_html, piece)
    attachments: list[Attachment] = field(default_factory=list)

    def extend(self, other: _Found) -> None:
        self.text += other.text
        self.html += other.html
        self.attachments += other.attachments


@dataclass(slots=True)
class _Budget:
    parts: int = 0
    truncated: bool = False


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _int(value: Any) -> int:
    try:
        return max(0, int(value))
    except (TypeError, ValueError, OverflowError):
        return 0


def _params(headers: dict[str, str]) -> Message:
    """A legacy `Message` holding only the part's content headers, for its RFC 2231-aware
    parameter parsing (charset, name, filename, start)."""
    message = Message()
    for name in _PART_HEADERS:
        if name not in headers:
            continue
        with suppress(Exception):  # A header the legacy API refuses is treated as absent.
            message[name] = headers[name][:MAX_HEADER_CHARS]
    return message


def _param(message: Message, name: str, header: str) -> str:
    try:
        value = message.get_param(name, header=header)
    except Exception:
        return ""
    if isinstance(value, tuple):  # RFC 2231: (charset, language, value)
        try:
            return str(value[2].encode("raw-unicode-escape"), value[0] or "us-ascii")
        except (LookupError, UnicodeError):
            return str(value[2])
    return value if isinstance(value, str) else ""


def _b64(data: str, limit: int | None = None) -> bytes:
    """Decode Gmail's base64url, tolerating missing padding and stray characters."""
    if limit is not None:
        data = data[: ((limit + 2) // 3) * 4]
    try:
        return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))
    except (binascii.Error, ValueError):
        cut = len(data) - len(data) % 4
        try:
            return base64.urlsafe_b64decode(data[:cut])
        except (binascii.Error, ValueError):
            return b""


class _Walker:
    def __init__(self) -> None:
        self.budget = _Budget()
        self.inline: dict[str, Attachment] = {}

    def walk(self, part: Any, depth: int) -> _Found:
        found = _Found()
        if not isinstance(part, Mapping):
            return found
        self.budget.parts += 1
        if self.budget.parts > MAX_PARTS or depth > MAX_DEPTH:
            self.budget.truncated = True
            return found
        mime = _str(part.get("mimeType")).strip().lower() or "text/plain"
        headers = header_values(part.get("headers"), _PART_HEADERS)
        children = part.get("parts")
        if mime.startswith("multipart/") and not isinstance(children, list):
            # A multipart whose boundary never appears arrives as one leaf: its text is all
            # the reader can get, so show it as plain text, as mail clients do.
            mime = "text/plain"
        if mime.startswith("multipart/"):
            kids = children if isinstance(children, list) else []
            if mime == "multipart/alternative":
                return self._alternative(kids, depth)
            if mime == "multipart/related":
                return self._related(kids, _param(_params(headers), "start", "content-type"), depth)
            for child in kids:
                found.extend(self.walk(child, depth + 1))
            return found
        return self._leaf(part, mime, headers)

    def _alternative(self, kids: list[Any], depth: int) -> _Found:
        results = [self.walk(child, depth + 1) for child in kids]
        found = _Found()
        with_html = [r for r in results if any(is_html for is_html, _ in r.html)]
        with_text = [r for r in results if r.text]
        chosen_html = with_html[-1] if with_html else (with_text[-1] if with_text else None)
        chosen_text = with_text[-1] if with_text else None
        if chosen_text is not None:
            found.text = chosen_text.text
            found.attachments += chosen_text.attachments
        if chosen_html is not None:
            found.html = chosen_html.html
            if chosen_html is not chosen_text:
                found.attachments += chosen_html.attachments
        if chosen_html is None and chosen_text is None:
            for result in results:
                found.attachments += result.attachments
        return found

    def _related(self, kids: list[Any], start: str, depth: int) -> _Found:
        results = [self.walk(child, depth + 1) for child in kids]
        root_index = 0
        if start:
            for index, child in enumerate(kids):
                if not isinstance(child, Mapping):
                    continue
                cid = header_values(child.get("headers"), ("content-id",)).get("content-id", "")
                if cid and normalize_content_id(cid) == normalize_content_id(start):
                    root_index = index
                    break
        if results and not (results[root_index].text or results[root_index].html):
            # Some senders (MHTML archives) put resources before the document: show the first
            # child that has a body rather than nothing.
            with_body = [i for i, r in enumerate(results) if r.text or r.html]
            root_index = with_body[0] if with_body else root_index
        found = _Found()
        for index, result in enumerate(results):
            if index == root_index:
                found.extend(result)
            else:
                # Resources of the root document: cid targets, listed but marked inline.
                found.attachments += result.attachments
                for piece in result.text:
                    found.attachments.append(self._text_as_attachment(piece, "text/plain"))
        return found

    def _text_as_attachment(self, piece: _Piece, mime: str) -> Attachment:
        return Attachment(
            piece.part_id,
            display_filename("", mime),
            mime,
            piece.size,
            None,
            _b64(piece.data),
            inline=True,
        )

    def _leaf(self, part: Mapping[str, Any], mime: str, headers: dict[str, str]) -> _Found:
        found = _Found()
        params = _params(headers)
        body = part.get("body")
        if not isinstance(body, Mapping):
            body = {}
        data = _str(body.get("data"))
        attachment_id = _str(body.get("attachmentId")) or None
        size = _int(body.get("size")) or (len(data) * 3 // 4)
        part_id = _str(part.get("partId"))
        disposition = headers.get("content-disposition", "").split(";", 1)[0].strip().lower()
        raw_name = (
            _str(part.get("filename"))
            or _param(params, "filename", "content-disposition")
            or _param(params, "name", "content-type")
        )
        is_body_type = mime in ("text/plain", "text/html")
        if is_body_type and disposition != "attachment" and (data or not attachment_id):
            piece = _Piece(part_id, data, _param(params, "charset", "content-type"), size)
            if mime == "text/html":
                found.html.append((True, piece))
            else:
                found.text.append(piece)
                found.html.append((False, piece))
            if not raw_name:
                return found
        content_id = normalize_content_id(headers.get("content-id", ""))
        attachment = Attachment(
            part_id=part_id,
            filename=display_filename(raw_name, mime)
            if raw_name or mime != "message/rfc822"
            else "forwarded-message.eml",
            mime_type=mime,
            size=size,
            attachment_id=attachment_id,
            data=_b64(data) if data and not attachment_id else None,
            content_id=content_id,
            inline=disposition == "inline" or bool(content_id),
            is_message=mime == "message/rfc822",
        )
        found.attachments.append(attachment)
        if content_id and content_id not in self.inline:
            self.inline[content_id] = attachment
        return found


def _assemble(pieces: list[tuple[bool, _Piece]], max_bytes: int) -> BodyText | None:
    """Decode pieces in order up to `max_bytes` of source. A piece flagged False is plain text
    inside an HTML body: it is escaped and linkified so the sanitiser sees one document."""
    if not pieces:
        return None
    remaining = max_bytes
    out: list[str] = []
    truncated = False
    exact = True
    size = 0
    for is_html, piece in pieces:
        raw = _b64(piece.data, remaining + 1)
        size += max(piece.size, len(raw))
        if remaining <= 0:
            truncated = True
            continue
        cut = len(raw) > remaining
        decoded = decode_bytes(raw[:remaining], piece.charset, partial=cut)
        remaining -= min(len(raw), remaining)
        truncated = truncated or cut
        exact = exact and decoded.exact
        out.append(decoded.text if is_html else text_to_html(decoded.text))
    part_ids = tuple(dict.fromkeys(p.part_id for _, p in pieces))
    return BodyText("\n".join(out), part_ids, size, truncated, exact)


def read_message(
    msg: Mapping[str, Any], *, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
) -> MessageView:
    """A `format=full` message resource as a `MessageView`; never raises."""
    summary = read_headers(msg)
    walker = _Walker()
    payload = msg.get("payload") if isinstance(msg, Mapping) else None
    found = walker.walk(payload, 0)
    # The text body is kept as decoded: its pieces are flagged "raw" (True) so none is escaped.
    text_body = _assemble([(True, p) for p in found.text], max_body_bytes)
    html_body = (
        _assemble(found.html, max_body_bytes) if any(is_html for is_html, _ in found.html) else None
    )
    return MessageView(
        id=summary.id,
        thread_id=summary.thread_id,
        label_ids=summary.label_ids,
        internal_date=summary.internal_date,
        snippet=summary.snippet,
        headers=summary.headers,
        text_body=text_body,
        html_body=html_body,
        attachments=tuple(found.attachments),
        inline_parts=MappingProxyType(walker.inline),
        structure_truncated=walker.budget.truncated,
    )
