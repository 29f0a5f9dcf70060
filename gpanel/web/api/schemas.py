"""The JSON API's request and response models for CRM records (pydantic).

Input models forbid unknown fields, so a typo is a 422 naming the field rather than a silent
no-op. PATCH models have every field optional and only the fields sent are applied
(`model_dump(exclude_unset=True)`). The same models generate the OpenAPI document.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Name = Field(min_length=1, max_length=200)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CompanyIn(_In):
    name: str = Name
    domains: list[str] = Field(default_factory=list, max_length=50)
    owner_id: int | None = None
    external_id: str | None = Field(None, max_length=200)


class CompanyPatch(_In):
    name: str | None = Field(None, min_length=1, max_length=200)
    domains: list[str] | None = Field(None, max_length=50)
    owner_id: int | None = None
    external_id: str | None = Field(None, max_length=200)


class ContactIn(_In):
    first_name: str = Field("", max_length=200)
    last_name: str = Field("", max_length=200)
    emails: list[str] = Field(default_factory=list, max_length=50)
    kind: Literal["contact", "lead"] = "contact"
    title: str = Field("", max_length=200)
    company_id: int | None = None
    owner_id: int | None = None
    external_id: str | None = Field(None, max_length=200)


class ContactPatch(_In):
    first_name: str | None = Field(None, max_length=200)
    last_name: str | None = Field(None, max_length=200)
    emails: list[str] | None = Field(None, max_length=50)
    kind: Literal["contact", "lead"] | None = None
    title: str | None = Field(None, max_length=200)
    company_id: int | None = None
    owner_id: int | None = None
    external_id: str | None = Field(None, max_length=200)


class DealRole(_In):
    contact_id: int
    role: str = Field("", max_length=200)


class DealIn(_In):
    name: str = Name
    stage: str = Field(min_length=1, max_length=100)
    amount: Decimal | None = Field(None, max_digits=16, decimal_places=2)
    closing_date: dt.date | None = None
    owner_id: int | None = None
    company_id: int | None = None
    primary_contact_id: int | None = None
    roles: list[DealRole] = Field(default_factory=list, max_length=100)
    external_id: str | None = Field(None, max_length=200)


class DealPatch(_In):
    name: str | None = Field(None, min_length=1, max_length=200)
    stage: str | None = Field(None, min_length=1, max_length=100)
    amount: Decimal | None = Field(None, max_digits=16, decimal_places=2)
    closing_date: dt.date | None = None
    owner_id: int | None = None
    company_id: int | None = None
    primary_contact_id: int | None = None
    roles: list[DealRole] | None = Field(None, max_length=100)
    external_id: str | None = Field(None, max_length=200)


class UserIn(_In):
    email: str = Field(min_length=3, max_length=320)
    name: str = Name
    role: Literal["admin", "manager", "rep"] = "rep"
    team_id: int | None = None
    active: bool = True


class UserPatch(_In):
    email: str | None = Field(None, min_length=3, max_length=320)
    name: str | None = Field(None, min_length=1, max_length=200)
    role: Literal["admin", "manager", "rep"] | None = None
    team_id: int | None = None
    active: bool | None = None


class TeamIn(_In):
    name: str = Name


class TeamPatch(_In):
    name: str | None = Field(None, min_length=1, max_length=200)


# --- Responses ----------------------------------------------------------------------------------


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class CompanyOut(_Out):
    id: int
    name: str
    domains: list[str]
    owner_id: int | None
    external_id: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


class ContactOut(_Out):
    id: int
    kind: str
    first_name: str
    last_name: str
    title: str
    emails: list[str]
    company_id: int | None
    owner_id: int | None
    external_id: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


class DealRoleOut(_Out):
    contact_id: int
    role: str


class DealOut(_Out):
    id: int
    name: str
    amount: Decimal | None
    stage: str
    closing_date: dt.date | None
    owner_id: int | None
    company_id: int | None
    primary_contact_id: int | None
    roles: list[DealRoleOut]
    external_id: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


class UserOut(_Out):
    id: int
    email: str
    name: str
    role: str
    team_id: int | None
    active: bool


class TeamOut(_Out):
    id: int
    name: str


class ErrorBody(BaseModel):
    status: int
    title: str
    detail: str
    fields: dict[str, str] | None = None


class ErrorOut(BaseModel):
    error: ErrorBody
