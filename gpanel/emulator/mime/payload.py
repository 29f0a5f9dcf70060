"""Raw RFC 822 bytes turned into what Gmail reports about a message, never raising on bad mail.

The emulator keeps every message as the bytes it was given; this module derives the rest the way
Gmail does: the `payload` tree of `MessagePart`s (partId "" for the root, "0", "0.1", ... below;
headers with RFC 2047 words decoded; bodies base64url-encoded after transfer decoding but still
in the part's own charset; an `attachmentId` instead of `data` for attachments and very large
bodies), the `snippet`, and the header facts threading and search need (`Summary`).

Mail is hostile input. Parsing uses the `email` package's compat32 policy, whose headers are
plain strings (the structured parser of policy.default is quadratic on huge address lists and
raises on group syntax); the header block is capped; part depth and count are bounded; every
access is guarded with a raw-bytes fallback; unknown charsets fall back to UTF-8 with
replacement. Nothing here logs or raises with message content.
"""

from __future__ import annotations

import base64
import codecs
import email
import email.utils
import re
import time
from dataclasses import dataclass, field
from email.header import decode_header
from email.message import Message as EmailMessage
from email.parser import BytesHeaderParser
from email.policy import compat32
from typing import Any

MAX_HEADER_BYTES = 256 * 1024  # a header block beyond this is cut (real mail stays far below)
MAX_ADDRESS_CHARS = 64 * 1024  # address headers longer than this are only partly parsed
MAX_DEPTH = 32  # nesting of multiparts followed before a container is treated as a leaf
MAX_PARTS = 2000
MAX_TEXT_CHARS = 256 * 1024  # text kept per message for search
INLINE_BODY_LIMIT = 4 * 1024 * 1024  # larger bodies are served through attachments.get
SNIPPET_CHARS = 200
ATTACHMENT_PREFIX = "ANGjdJ"  # Gmail's attachment ids start like this; clients treat them opaque

# Charset labels Python lacks or decodes differently from mail clients (WHATWG-style supersets).
_CHARSET_ALIASES = {
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "gb2312": "gbk",
    "euc-cn": "gbk",
    "x-gbk": "gbk",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "euc-kr": "cp949",
    "big5": "big5hkscs",
    "shift_jis": "cp932",
    "x-sjis": "cp932",
    "iso-8859-9": "cp1254",
    "tis-620": "cp874",
    "utf8": "utf-8",
}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii")


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Text from bytes in a declared charset; else UTF-8, then replacement. Never raises."""
    label = (charset or "").strip().strip('"').lower()
    candidates = [_CHARSET_ALIASES.get(label, label)] if label else []
    candidates.append("utf-8")
    for name in candidates:
        try:
            codecs.lookup(name)
            return data.decode(name)
        except (LookupError, UnicodeDecodeError, ValueError):
            continue
    return data.decode("utf-8", errors="replace")


def _unescape_surrogates(text: str) -> str:
    """compat32 keeps undeclared 8-bit header bytes as surrogate escapes; read them as UTF-8."""
    if not any("\udc80" <= ch <= "\udcff" for ch in text):
        return text
    return decode_bytes(text.encode("utf-8", "surrogateescape"), "utf-8")


def decode_header_text(value: object) -> str:
    """A header value unfolded, 8-bit bytes recovered and RFC 2047 encoded words decoded."""
    try:
        text = _unescape_surrogates(str(value))
    except Exception:
        return ""
    text = re.sub(r"\r?\n(?=[ \t])", "", text)
    if "=?" not in text:
        return text
    try:
        chunks = decode_header(text)
    except Exception:
        return text
    out: list[str] = []
    for chunk, charset in chunks:
        out.append(chunk if isinstance(chunk, str) else decode_bytes(chunk, charset))
    return "".join(out)


def _cap_headers(raw: bytes) -> bytes:
    """Bound the header block: each line to MAX_ADDRESS_CHARS, the block to MAX_HEADER_BYTES.

    Cutting per line keeps the headers after one absurd line (a 16,000-address To:) readable.
    """
    ends = [i for i in (raw.find(b"\r\n\r\n"), raw.find(b"\n\n")) if i >= 0]
    end = min(ends) if ends else len(raw)
    if end <= MAX_HEADER_BYTES:
        return raw
    kept: list[bytes] = []
    total = 0
    for line in raw[:end].split(b"\n"):
        line = line[:MAX_ADDRESS_CHARS]
        if total + len(line) > MAX_HEADER_BYTES:
            break
        kept.append(line)
        total += len(line) + 1
    return b"\n".join(kept) + (raw[end:] or b"\n\n")


def parse(raw: bytes) -> EmailMessage:
    """The parsed message; on any parser failure, a text/plain message holding the raw bytes."""
    try:
        return email.message_from_bytes(_cap_headers(raw), policy=compat32)
    except Exception:
        fallback = EmailMessage()
        fallback.set_payload(raw.decode("ascii", "surrogateescape"))
        return fallback


def _header(msg: EmailMessage, name: str) -> str:
    try:
        values = msg.get_all(name) or []
        return decode_header_text(values[0]) if values else ""
    except Exception:
        return ""


def _content_type(msg: EmailMessage) -> str:
    try:
        return str(msg.get_content_type()).lower()
    except Exception:
        return "text/plain"


def _filename(msg: EmailMessage) -> str:
    try:
        name = msg.get_filename()
    except Exception:
        return ""
    return decode_header_text(name) if name else ""


def _is_attachment(msg: EmailMessage, filename: str) -> bool:
    if filename:
        return True
    try:
        return str(msg.get("Content-Disposition", "")).strip().lower().startswith("attachment")
    except Exception:
        return False


def _leaf_bytes(msg: EmailMessage) -> bytes:
    """A leaf part's body after transfer decoding, in its own charset; raw bytes on failure."""
    try:
        payload = msg.get_payload()
        if isinstance(payload, list):  # message/rfc822 and containers cut off by MAX_DEPTH
            return b"".join(p.as_bytes() for p in payload if isinstance(p, EmailMessage))
        data = msg.get_payload(decode=True)
        if isinstance(data, bytes):
            return data
        return str(payload).encode("utf-8", "surrogateescape")
    except Exception:
        try:
            return str(msg.get_payload()).encode("utf-8", "surrogateescape")
        except Exception:
            return b""


def _children(msg: EmailMessage) -> list[EmailMessage] | None:
    """The sub-parts of a multipart, or None for a leaf (message/rfc822 stays a leaf)."""
    try:
        if _content_type(msg).startswith("multipart/") and msg.is_multipart():
            payload = msg.get_payload()
            if isinstance(payload, list):
                return [p for p in payload if isinstance(p, EmailMessage)]
    except Exception:
        return None
    return None


@dataclass
class Part:
    """One node of the parsed tree, before it is rendered as Gmail's MessagePart."""

    part_id: str
    mime_type: str
    filename: str
    headers: list[tuple[str, str]]
    data: bytes | None  # None for containers
    charset: str | None
    attachment: bool
    children: list[Part] = field(default_factory=list)

    def walk(self) -> list[Part]:
        out = [self]
        for child in self.children:
            out.extend(child.walk())
        return out


def _raw_headers(msg: EmailMessage) -> list[tuple[str, str]]:
    try:
        return [(str(k), decode_header_text(v)) for k, v in msg.raw_items()]
    except Exception:
        return []


def build_tree(raw: bytes) -> Part:
    """The part tree of a message, bounded in depth and count."""
    budget = [MAX_PARTS]

    def build(msg: EmailMessage, part_id: str, depth: int) -> Part:
        budget[0] -= 1
        mime_type = _content_type(msg)
        filename = _filename(msg)
        children = _children(msg) if depth < MAX_DEPTH and budget[0] > 0 else None
        node = Part(part_id, mime_type, filename, _raw_headers(msg), None, None, False)
        if children is not None:
            for i, child in enumerate(children):
                if budget[0] <= 0:
                    break
                node.children.append(
                    build(child, f"{part_id}.{i}" if part_id else str(i), depth + 1)
                )
            return node
        node.data = _leaf_bytes(msg)
        try:
            node.charset = msg.get_content_charset()
        except Exception:
            node.charset = None
        node.attachment = _is_attachment(msg, filename) or len(node.data) > INLINE_BODY_LIMIT
        return node

    return build(parse(raw), "", 0)


def attachment_id(message_id: str, part_id: str) -> str:
    token = base64.urlsafe_b64encode(f"{message_id}/{part_id}".encode()).decode().rstrip("=")
    return ATTACHMENT_PREFIX + token


def part_of_attachment(message_id: str, att_id: str) -> str | None:
    """The partId an attachment id names, if it was made for this message."""
    if not att_id.startswith(ATTACHMENT_PREFIX):
        return None
    token = att_id[len(ATTACHMENT_PREFIX) :]
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    owner, _, part_id = text.partition("/")
    return part_id if owner == message_id else None


def payload_resource(raw: bytes, message_id: str) -> dict[str, Any]:
    """Gmail's `payload` (format=full) for a message."""

    def render(part: Part) -> dict[str, Any]:
        out: dict[str, Any] = {
            "partId": part.part_id,
            "mimeType": part.mime_type,
            "filename": part.filename,
            "headers": [{"name": n, "value": v} for n, v in part.headers],
        }
        if part.data is None:
            out["body"] = {"size": 0}
            out["parts"] = [render(c) for c in part.children]
        elif part.attachment:
            out["body"] = {
                "attachmentId": attachment_id(message_id, part.part_id),
                "size": len(part.data),
            }
        else:
            out["body"] = {"size": len(part.data)}
            if part.data:
                out["body"]["data"] = b64url(part.data)
        return out

    return render(build_tree(raw))


def metadata_payload(raw: bytes, wanted: list[str] | None) -> dict[str, Any]:
    """format=metadata: the root's mimeType and headers, filtered by `metadataHeaders`."""
    msg = parse(raw)
    headers = _raw_headers(msg)
    if wanted:
        keep = {w.lower() for w in wanted}
        headers = [(n, v) for n, v in headers if n.lower() in keep]
    return {
        "mimeType": _content_type(msg),
        "headers": [{"name": n, "value": v} for n, v in headers],
    }


def attachment_bytes(raw: bytes, message_id: str, att_id: str) -> bytes | None:
    part_id = part_of_attachment(message_id, att_id)
    if part_id is None:
        return None
    for part in build_tree(raw).walk():
        if part.part_id == part_id and part.data is not None:
            return part.data
    return None


def has_header(raw: bytes, name: str) -> bool:
    try:
        headers = BytesHeaderParser(policy=compat32).parsebytes(_cap_headers(raw))
        return headers.get(name) is not None
    except Exception:
        return False


def _newline(raw: bytes) -> bytes:
    return b"\r\n" if b"\r\n" in raw[:4096] else b"\n"


def add_missing_headers(raw: bytes, owner: str, name: str) -> bytes:
    """What Gmail adds to a sent message that lacks them: From, Date and Message-ID."""
    nl = _newline(raw)
    added: list[bytes] = []
    if not has_header(raw, "From"):
        added.append(b"From: " + email.utils.formataddr((name, owner)).encode("utf-8"))
    if not has_header(raw, "Date"):
        added.append(b"Date: " + email.utils.formatdate(time.time()).encode())
    if not has_header(raw, "Message-ID"):
        domain = owner.rpartition("@")[2] or "mail.gmail.com"
        added.append(b"Message-ID: " + email.utils.make_msgid(domain=domain).encode())
    return b"".join(line + nl for line in added) + raw


def strip_header(raw: bytes, name: str) -> bytes:
    """The message without one header (and its folded continuation lines), body untouched."""
    nl = _newline(raw)
    end = raw.find(nl + nl)
    head, body = (raw, b"") if end < 0 else (raw[:end], raw[end:])
    out: list[bytes] = []
    dropping = False
    prefix = name.lower().encode() + b":"
    for line in head.split(nl):
        if line[:1] in (b" ", b"\t"):
            if not dropping:
                out.append(line)
            continue
        dropping = line.lower().startswith(prefix)
        if not dropping:
            out.append(line)
    return nl.join(out) + body
