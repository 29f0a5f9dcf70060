"""Where gpanel may send a browser back to: same-origin relative paths only.

Every `next`, `back` or other return-to value a request carries passes `safe_next` before it
becomes a `Location`. Browsers are lenient with what they treat as another host: `//evil`,
`/\\evil` (backslash read as a slash), `/\t/evil` (tabs and newlines are dropped before
parsing) and anything with a scheme all leave the site, so only a path that starts with one
`/`, holds no backslash and no control character, and parses without scheme or host is kept;
anything else falls back to `/` (or the caller's fallback).
"""

from __future__ import annotations

from urllib.parse import urlsplit


def safe_next(value: object, fallback: str = "/") -> str:
    """`value` if it is a same-origin relative path, else `fallback`."""
    if not isinstance(value, str) or not value.startswith("/") or value.startswith("//"):
        return fallback
    if "\\" in value or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        return fallback
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return fallback
    return value
