"""MIME building blocks for the demo mailboxes: bodies, charsets, inline images, attachments.

Every message is an `email.message.EmailMessage` (never a string template). Python picks
multipart boundaries at random when it serialises, so `serialise()` sets each boundary from the
caller's seeded generator first: the same demo always produces the same bytes. The small
binary parts (a PNG logo, a one-page PDF, a CSV) are made here, deterministically, with the
standard library.
"""

from __future__ import annotations

import email.policy
import functools
import html
import random
import struct
import zlib
from dataclasses import dataclass, field
from email.headerregistry import Address, BaseHeader, HeaderRegistry
from email.message import EmailMessage

# A header value: text, or addresses the email package can store without parsing them again.
HeaderValue = str | list[Address]


class _CachedHeaderRegistry(HeaderRegistry):
    """The standard registry builds a new header class on every lookup; caching them makes
    building a few hundred messages several times faster."""

    def __init__(self) -> None:
        super().__init__()
        self._classes: dict[str, type[BaseHeader]] = {}

    def __getitem__(self, name: str) -> type[BaseHeader]:
        key = name.lower()
        if key not in self._classes:
            self._classes[key] = super().__getitem__(name)
        return self._classes[key]


@functools.cache
def _policy() -> email.policy.EmailPolicy[EmailMessage]:
    return email.policy.SMTP.clone(header_factory=_CachedHeaderRegistry())


@dataclass
class Attachment:
    filename: str
    content: bytes
    maintype: str
    subtype: str


@dataclass
class Body:
    """What a message says, and how: plain text, optional HTML, charset, extras."""

    text: str
    html: str | None = None  # None: text/plain only; "" : derive HTML from the text
    html_only: bool = False
    charset: str = "utf-8"
    inline_png: bytes | None = None  # shown in the HTML as cid:logo
    attachments: list[Attachment] = field(default_factory=list)


def tiny_png(rgb: tuple[int, int, int], size: int = 16) -> bytes:
    """A solid-colour PNG, built by hand from zlib and struct so no imaging library is needed."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    row = b"\x00" + bytes(rgb) * size  # filter byte 0, then RGB pixels
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * size, 9))
        + chunk(b"IEND", b"")
    )


def small_pdf(title: str) -> bytes:
    """A minimal one-page PDF whose page shows `title` (ASCII only)."""
    text = title.encode("ascii", "replace").replace(b"(", b"[").replace(b")", b"]")
    stream = b"BT /F1 18 Tf 72 720 Td (" + text + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += str(number).encode() + b" 0 obj\n" + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 " + str(len(objects) + 1).encode() + b"\n0000000000 65535 f \n"
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += b"trailer\n<< /Size " + str(len(objects) + 1).encode() + b" /Root 1 0 R >>\n"
    out += b"startxref\n" + str(xref).encode() + b"\n%%EOF\n"
    return bytes(out)


def csv_bytes(rows: list[list[str]]) -> bytes:
    lines = [",".join(f'"{c}"' if "," in c else c for c in row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def text_to_html(text: str, with_logo: bool = False) -> str:
    """A plain HTML rendering of a text body: paragraphs, quoted lines in a blockquote."""
    parts: list[str] = []
    quoted: list[str] = []
    for block in text.split("\n\n"):
        lines = block.split("\n")
        if all(line.startswith(">") for line in lines):
            quoted.extend(line.lstrip("> ") for line in lines)
            continue
        parts.append("<p>" + "<br>".join(html.escape(line) for line in lines) + "</p>")
    if quoted:
        inner = "<br>".join(html.escape(q) for q in quoted)
        parts.append(f'<blockquote style="border-left:2px solid #ccc;padding-left:8px">'
                     f"{inner}</blockquote>")  # fmt: skip
    if with_logo:
        parts.append('<p><img src="cid:logo" alt="logo" width="16" height="16"></p>')
    return (
        '<html><body style="font-family:Arial,sans-serif;font-size:14px">'
        + "\n".join(parts)
        + "</body></html>"
    )


def build(headers: list[tuple[str, HeaderValue]], body: Body) -> EmailMessage:
    """An EmailMessage with `headers` (in order) and `body` in the right MIME structure."""
    msg = EmailMessage(policy=_policy())
    for name, value in headers:
        msg[name] = value
    cte = "base64" if body.charset.lower() in ("shift_jis", "iso-2022-jp") else "quoted-printable"
    html_body = body.html if body.html else None
    if body.html == "":
        html_body = text_to_html(body.text, with_logo=body.inline_png is not None)
    if body.html_only and html_body is not None:
        msg.set_content(html_body, subtype="html", charset=body.charset, cte=cte)
    else:
        msg.set_content(body.text, charset=body.charset, cte=cte)
        if html_body is not None:
            msg.add_alternative(html_body, subtype="html", charset=body.charset, cte=cte)
    if body.inline_png is not None:
        html_part = msg.get_body(preferencelist=("html",))
        assert isinstance(html_part, EmailMessage)
        html_part.add_related(
            body.inline_png, "image", "png", cid="<logo>", filename="logo.png",
            disposition="inline",
        )  # fmt: skip
    for att in body.attachments:
        msg.add_attachment(att.content, att.maintype, att.subtype, filename=att.filename)
    return msg


def serialise(msg: EmailMessage, rng: random.Random) -> bytes:
    """The message as CRLF bytes, with boundaries drawn from `rng` so output is reproducible."""
    for part in msg.walk():
        if part.is_multipart():
            part.set_boundary(f"=_gpanel_{rng.getrandbits(64):016x}")
    return msg.as_bytes()
