"""Email addresses and domains as the CRM compares them.

docs/behaviour.md, "CRM addresses": addresses are compared case-insensitively after trimming;
Gmail's dots and `+tags` are folded only when the org turns that on (`GPANEL_FOLD_GMAIL_ADDRESSES`).
Domains given as URLs (a CRM's "Website" column) are reduced to the host without `www.`.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

GMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})

# Deliberately permissive: one @, no whitespace, a dotted domain. Deliverability is Gmail's
# business; this only keeps obvious junk (names, phone numbers, "n/a") out of the address book.
_ADDRESS = re.compile(r"^[^@\s<>(),;:\"]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9-]+)+$")
_DOMAIN = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$")
MAX_ADDRESS = 320


def normalise_email(addr: str, fold_gmail: bool = False) -> str:
    """`addr` trimmed and lower-cased; with `fold_gmail`, Gmail dots and `+tag` removed.

    Folding applies only to gmail.com and googlemail.com, where Google itself ignores dots and
    delivers `name+tag@` to `name@`; googlemail.com is folded to gmail.com as Google does.
    """
    address = addr.strip().lower()
    if not fold_gmail or "@" not in address:
        return address
    local, _, domain = address.rpartition("@")
    if domain not in GMAIL_DOMAINS:
        return address
    local = local.split("+", 1)[0].replace(".", "")
    return f"{local}@gmail.com"


def folded(addr: str) -> str:
    """The match key stored beside every address for orgs that fold Gmail addresses."""
    return normalise_email(addr, fold_gmail=True)


def is_valid_email(addr: str) -> bool:
    address = addr.strip().lower()
    return len(address) <= MAX_ADDRESS and bool(_ADDRESS.match(address))


def domain_of(addr: str) -> str:
    return addr.strip().lower().rpartition("@")[2]


def normalise_domain(value: str) -> str:
    """A bare lower-case host from a domain, an address or a URL (`https://www.acme.com/x`)."""
    text = value.strip().lower()
    if "@" in text and "/" not in text:
        text = text.rpartition("@")[2]
    if "//" not in text:
        text = "//" + text
    host = urlsplit(text).hostname or ""
    host = host.rstrip(".")
    return host.removeprefix("www.")


def is_valid_domain(domain: str) -> bool:
    return len(domain) <= 255 and bool(_DOMAIN.match(domain))
