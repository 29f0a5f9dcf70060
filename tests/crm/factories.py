"""Small builders for CRM records in tests: real rows through the real query functions."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from gpanel.crm import companies, contacts, deals, people
from gpanel.crm.models import Company, Contact, Deal, User

_n = itertools.count(1)


async def user(conn: AsyncConnection, **kw: Any) -> User:
    n = next(_n)
    kw.setdefault("email", f"rep{n}@org.example")
    kw.setdefault("name", f"Rep {n}")
    return await people.create_user(conn, **kw)


async def company(conn: AsyncConnection, **kw: Any) -> Company:
    n = next(_n)
    kw.setdefault("name", f"Company {n}")
    kw.setdefault("domains", [f"c{n}.example"])
    return await companies.create_company(conn, **kw)


async def contact(conn: AsyncConnection, **kw: Any) -> Contact:
    n = next(_n)
    kw.setdefault("first_name", "Person")
    kw.setdefault("last_name", f"N{n}")
    kw.setdefault("emails", [f"p{n}@people.example"])
    return await contacts.create_contact(conn, **kw)


async def deal(conn: AsyncConnection, stage: str, closing: dt.date | None, **kw: Any) -> Deal:
    n = next(_n)
    kw.setdefault("name", f"Deal {n}")
    return await deals.create_deal(conn, stage=stage, closing_date=closing, **kw)
