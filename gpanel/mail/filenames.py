"""Attachment file names: safe to show in a page and safe to put in a Content-Disposition header.

A sender chooses an attachment's name, so it may hold path separators (`../../etc/passwd`),
control characters, a CR LF meant to split the response header, bidi overrides that make
`invoice\u202egpj.exe` display as `invoiceexe.jpg`, or nothing at all. `display_filename`
returns a one-line name without any of those; `content_disposition` turns it into a header
value with an ASCII fallback and the exact name in RFC 5987/6266 `filename*` form.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

from gpanel.mail.headers import clean_text, decode_words

MAX_FILENAME_CHARS = 200

# Common extensions by type, for parts that come without a name. A small table rather than
# `mimetypes`, whose first call reads the system's MIME database from disk.
_EXTENSIONS = {
    "text/plain": ".txt",
    "text/html": ".html",
    "text/calendar": ".ics",
    "text/csv": ".csv",
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "application/pdf": ".pdf",
    "application/zip": ".zip",
    "message/rfc822": ".eml",
    "application/ms-tnef": ".dat",
}

_SEPARATORS = re.compile(r"[/\\:]+")
_SPACES = re.compile(r"\s+")
_ASCII_UNSAFE = re.compile(r"[^A-Za-z0-9 !#$%&\'()+,.;=@\[\]^_`{}~-]")


def display_filename(name: str, mime_type: str = "") -> str:
    """A one-line, separator-free, bounded file name; a default when nothing usable is left."""
    text = clean_text(decode_words(name[: 4 * MAX_FILENAME_CHARS]))
    text = unicodedata.normalize("NFC", text)
    text = _SEPARATORS.sub("_", text)
    text = _SPACES.sub(" ", text).strip(" .")
    if len(text) > MAX_FILENAME_CHARS:
        stem, dot, ext = text.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            text = stem[: MAX_FILENAME_CHARS - len(ext) - 1].rstrip() + "." + ext
        else:
            text = text[:MAX_FILENAME_CHARS]
    if not text:
        text = "attachment" + _EXTENSIONS.get(mime_type.lower(), ".bin")
    return text


def ascii_filename(name: str) -> str:
    """An ASCII stand-in for clients that ignore `filename*`."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    folded = _ASCII_UNSAFE.sub("_", folded).strip(" .")
    return folded or "attachment"


def content_disposition(name: str, *, inline: bool = False) -> str:
    """A Content-Disposition header value for serving a part under its (sanitised) name."""
    safe = display_filename(name)
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{ascii_filename(safe)}\"; filename*=UTF-8''{quote(safe, safe='')}"
