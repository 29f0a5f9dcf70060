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


class RecordType(StrEnum):
    CONTACT = "contact"
    COMPANY = "company"
    DEAL = "deal"


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
