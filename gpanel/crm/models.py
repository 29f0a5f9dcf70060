"""The CRM's records as immutable values, as the query functions return them.

These are plain dataclasses: the store's rows turned into what callers need (a contact carries
its addresses, a company its domains, a deal its contact roles). The web layer has its own
pydantic models for input and output; nothing here knows about HTTP.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# The one place that spells each kind's plural: its pages' URL segment and its API collection.
_PLURALS = {
    "contact": "contacts",
    "company": "companies",
    "deal": "deals",
    "user": "users",
    "team": "teams",
}


class _Kind(StrEnum):
    """A kind of CRM row, valued by its singular noun (as the `unlinks` table stores it)."""

    @property
    def plural(self) -> str:
        """ "contacts", "companies", ...: the URL segment and the API collection name."""
        return _PLURALS[self.value]

    @property
    def heading(self) -> str:
        """ "Contacts", "Companies", ...: the title of the kind's list."""
        return self.plural.capitalize()


class RecordType(_Kind):
    """The records that have mail: contacts (and leads), companies and deals."""

    CONTACT = "contact"
    COMPANY = "company"
    DEAL = "deal"

    @classmethod
    def parse(cls, segment: str) -> RecordType:
        """The record type a URL segment names, singular or plural ("deal", "deals");
        ValueError for anything else (the web edge answers 404)."""
        for kind in cls:
            if segment in (kind.value, kind.plural):
                return kind
        raise ValueError(f"not a record type: {segment[:40]!r}")


class Directory(_Kind):
    """The people of the CRM, records without mail: users and teams."""

    USER = "user"
    TEAM = "team"


# What the records API lists, reads and changes.
Kind = RecordType | Directory


@dataclass(frozen=True)
class Team:
    id: int
    name: str


@dataclass(frozen=True)
class User:
    id: int
    email: str
    name: str
    role: str  # admin | manager | rep
    team_id: int | None
    active: bool


@dataclass(frozen=True)
class Stage:
    name: str
    position: int
    is_closed: bool
    is_won: bool


@dataclass(frozen=True)
class Company:
    id: int
    name: str
    domains: tuple[str, ...]
    owner_id: int | None
    external_id: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True)
class Contact:
    id: int
    kind: str  # contact | lead
    first_name: str
    last_name: str
    title: str
    emails: tuple[str, ...]  # the first is the primary address
    company_id: int | None
    owner_id: int | None
    external_id: str | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def primary_email(self) -> str | None:
        return self.emails[0] if self.emails else None


@dataclass(frozen=True)
class DealContact:
    contact_id: int
    role: str


@dataclass(frozen=True)
class Deal:
    id: int
    name: str
    amount: Decimal | None
    stage: str
    closing_date: dt.date | None
    owner_id: int | None
    company_id: int | None
    primary_contact_id: int | None
    external_id: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    roles: tuple[DealContact, ...] = field(default=())

    @property
    def contact_ids(self) -> tuple[int, ...]:
        """The primary contact first, then role contacts, without repeats."""
        ids = [self.primary_contact_id] if self.primary_contact_id else []
        ids += [r.contact_id for r in self.roles if r.contact_id not in ids]
        return tuple(ids)
