"""The importer's parsed rows and per-row findings, passed from parsing to the writers.

A parsed row holds typed values, or None for "the file says nothing here" (no column, or an
empty cell), which the writers turn into "leave the stored value as it is".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True)
class RowIssue:
    line: int
    column: str
    reason: str


@dataclass
class CompanyRow:
    line: int
    name: str
    external_id: str | None = None
    domains: tuple[str, ...] | None = None  # None: the file has no domain column
    owner_id: int | None = None


@dataclass
class ContactRow:
    line: int
    emails: tuple[str, ...]
    external_id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    title: str | None = None
    kind: str | None = None
    company_name: str | None = None
    company_external_id: str | None = None
    owner_id: int | None = None


@dataclass
class DealRow:
    line: int
    name: str
    stage: str
    external_id: str | None = None
    amount: Decimal | None = None
    closing_date: dt.date | None = None
    owner_id: int | None = None
    company_name: str | None = None
    company_external_id: str | None = None
    contact_email: str | None = None


@dataclass
class ChunkResult:
    created: int = 0
    updated: int = 0
    failed: list[RowIssue] = field(default_factory=list)
    warnings: list[RowIssue] = field(default_factory=list)
