"""Which CSV columns the importer understands: our canonical names and the aliases that common
CRM exports use (Zoho, HubSpot, Salesforce, Pipedrive). docs/csv-import.md lists the same
table for people; a test keeps the two in step.

Headers are matched after lower-casing and collapsing spaces, `_`, `-` and `.`, so
"E-mail", "e_mail" and "E Mail" are one header.
"""

from __future__ import annotations

import re

KINDS = ("companies", "contacts", "leads", "deals")

COMPANY_COLUMNS: dict[str, tuple[str, ...]] = {
    "external_id": (
        "external id",
        "id",
        "record id",
        "company id",
        "account id",
        "organization id",
        "company record id",
    ),
    "name": (
        "name",
        "company name",
        "account name",
        "company",
        "organization name",
        "organization",
        "account",
    ),
    "domains": (
        "domains",
        "domain",
        "company domain name",
        "company domain",
        "website",
        "web site",
        "website url",
        "domain name",
    ),
    "owner": (
        "owner email",
        "owner",
        "company owner",
        "account owner",
        "record owner",
        "account owner email",
        "company owner email",
        "owner name",
    ),
}

CONTACT_COLUMNS: dict[str, tuple[str, ...]] = {
    "external_id": ("external id", "id", "record id", "contact id", "lead id", "person id"),
    "first_name": ("first name", "firstname", "given name"),
    "last_name": ("last name", "lastname", "surname", "family name"),
    "name": ("name", "full name", "contact name", "person name", "lead name"),
    "email": (
        "email",
        "email address",
        "e mail",
        "e mail address",
        "primary email",
        "work email",
        "email work",
        "contact email",
    ),
    "other_emails": (
        "other emails",
        "secondary email",
        "other email",
        "email 2",
        "additional email addresses",
        "email home",
        "email other",
        "personal email",
    ),
    "title": ("title", "job title", "designation", "position"),
    "company": (
        "company",
        "company name",
        "account name",
        "organization",
        "organization name",
        "associated company",
        "account",
    ),
    "company_external_id": ("company external id", "company id", "account id", "organization id"),
    "owner": (
        "owner email",
        "owner",
        "contact owner",
        "lead owner",
        "record owner",
        "contact owner email",
        "owner name",
    ),
    "kind": ("kind", "type", "record type", "contact type"),
}

DEAL_COLUMNS: dict[str, tuple[str, ...]] = {
    "external_id": ("external id", "id", "record id", "deal id", "opportunity id"),
    "name": ("name", "deal name", "opportunity name", "deal title", "title", "deal"),
    "amount": (
        "amount",
        "deal value",
        "value",
        "opportunity amount",
        "deal amount",
        "expected revenue amount",
    ),
    "stage": ("stage", "deal stage", "opportunity stage", "pipeline stage", "status"),
    "closing_date": (
        "closing date",
        "close date",
        "expected close date",
        "expected closing date",
        "closed date",
        "close date expected",
    ),
    "owner": (
        "owner email",
        "owner",
        "deal owner",
        "opportunity owner",
        "record owner",
        "deal owner email",
        "owner name",
    ),
    "company": (
        "company",
        "company name",
        "account name",
        "organization",
        "organization name",
        "associated company",
        "account",
    ),
    "company_external_id": ("company external id", "company id", "account id", "organization id"),
    "contact_email": (
        "contact email",
        "primary contact email",
        "email",
        "person email",
        "contact e mail",
        "contact email address",
        "email address",
    ),
}

# At least one column of each group must be present, or the file is refused before any row.
REQUIRED: dict[str, tuple[tuple[str, ...], ...]] = {
    "companies": (("name",),),
    "contacts": (("email", "first_name", "last_name", "name"),),
    "leads": (("email", "first_name", "last_name", "name"),),
    "deals": (("name",), ("stage",)),
}


def columns_for(kind: str) -> dict[str, tuple[str, ...]]:
    if kind == "companies":
        return COMPANY_COLUMNS
    if kind in ("contacts", "leads"):
        return CONTACT_COLUMNS
    if kind == "deals":
        return DEAL_COLUMNS
    raise ValueError(f"unknown import kind {kind!r}; expected one of {', '.join(KINDS)}")


# Pipedrive prefixes headers with the record they describe ("Person - Name",
# "Organization - Name"). The file's own record prefix is dropped; another record's prefix
# stays as a word, so "Organization - Name" in a people file reads as "organization name".
_OWN_PREFIXES = {
    "companies": ("organization", "company", "account"),
    "contacts": ("person", "contact"),
    "leads": ("lead", "person"),
    "deals": ("deal", "opportunity"),
}
_SEPARATORS = re.compile(r"[\s_\-.]+")


def header_key(header: str, kind: str | None = None) -> str:
    text = header.strip().lstrip("\ufeff").lower()
    prefix, dash, rest = text.partition(" - ")
    if dash and kind and prefix.strip() in _OWN_PREFIXES[kind]:
        text = rest
    return _SEPARATORS.sub(" ", text).strip()


def map_headers(kind: str, headers: list[str]) -> tuple[dict[str, int], list[str]]:
    """Canonical column -> index in the file, and the headers that were not understood.

    The canonical name itself always matches; when several headers alias one column, the
    first wins.
    """
    table = columns_for(kind)
    lookup: dict[str, str] = {}
    for canonical, aliases in table.items():
        for alias in (canonical.replace("_", " "), *aliases):
            lookup.setdefault(header_key(alias), canonical)
    mapping: dict[str, int] = {}
    unknown: list[str] = []
    for index, header in enumerate(headers):
        found = lookup.get(header_key(header, kind))
        if found is None:
            if header.strip():
                unknown.append(header.strip())
        else:
            mapping.setdefault(found, index)
    return mapping, unknown


def missing_required(kind: str, mapping: dict[str, int]) -> list[str]:
    """A message per required group with no column in the file (empty: all present)."""
    missing = []
    for group in REQUIRED[kind]:
        if not any(name in mapping for name in group):
            names = " or ".join(f'"{n}"' for n in group)
            missing.append(names)
    return missing
