"""Safe Gmail search strings (`q`) for "mail with these people or these companies".

A record's mail is every thread where one of its addresses is a sender or a recipient, or,
for a company, any address at one of its domains. `participants_query` writes that as
`{from:a to:a cc:a bcc:a from:@d.com to:@d.com ...}` (braces: any of) plus an optional
`after:<epoch seconds>`, splitting into several queries when one would grow past
`max_length`, so no search URL becomes unwieldy. Values are normalised (trimmed, lower-case)
and checked: Gmail has no escape for a double quote, so a value that needs one, or holds
spaces, braces or parentheses, is left out rather than allowed to change the query's meaning.
Gmail matches `from:` by words, not exactly, so callers still check the addresses they get.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

DEFAULT_MAX_LENGTH = 1500
_FIELDS = ("from", "to", "cc", "bcc")
# Characters that are safe unquoted in a Gmail operator value: letters, digits and the
# punctuation addresses use. Anything else (quotes, spaces, braces, parentheses, colons...)
# would be parsed as query syntax.
_ADDRESS = re.compile(r"[a-z0-9._%+'=&#$!*/?^`|~-]+@[a-z0-9-]+(\.[a-z0-9-]+)+")
_DOMAIN = re.compile(r"[a-z0-9-]+(\.[a-z0-9-]+)+")


def searchable_address(value: str) -> str | None:
    """`value` normalised for a query, or None if it cannot be searched for safely."""
    v = value.strip().lower()
    return v if _ADDRESS.fullmatch(v) else None


def searchable_domain(value: str) -> str | None:
    v = value.strip().lower().removeprefix("@")
    return v if _DOMAIN.fullmatch(v) else None


def _terms(value: str) -> str:
    return " ".join(f"{field}:{value}" for field in _FIELDS)


def _epoch(after: datetime | int | None) -> str:
    if after is None:
        return ""
    seconds = int(after.timestamp()) if isinstance(after, datetime) else int(after)
    return f" after:{seconds}"


def participants_query(
    emails: Iterable[str],
    domains: Iterable[str] = (),
    *,
    after: datetime | int | None = None,
    max_length: int = DEFAULT_MAX_LENGTH,
) -> list[str]:
    """Queries that together match every message to or from any of `emails`, or from or to
    any address at `domains`, newer than `after` (a datetime or epoch seconds).

    Returns [] when nothing searchable is given. The result is deterministic (values sorted),
    so it can key a cache.
    """
    addresses = sorted({a for a in map(searchable_address, emails) if a})
    doms = sorted({d for d in map(searchable_domain, domains) if d})
    # An address at one of the domains is already covered by the domain's terms.
    addresses = [a for a in addresses if a.rsplit("@", 1)[1] not in doms]
    groups = [_terms(d if "@" in d else "@" + d) for d in doms] + [_terms(a) for a in addresses]
    suffix = _epoch(after)
    queries: list[str] = []
    current: list[str] = []
    size = 2 + len(suffix)  # the braces and the date clause
    for group in groups:
        extra = len(group) + (1 if current else 0)
        if current and size + extra > max_length:
            queries.append("{" + " ".join(current) + "}" + suffix)
            current, size = [], 2 + len(suffix)
            extra = len(group)
        current.append(group)
        size += extra
    if current:
        queries.append("{" + " ".join(current) + "}" + suffix)
    return queries
