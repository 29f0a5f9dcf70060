"""A contact's category for the Gmail labels, and the deal that decides it.

docs/behaviour.md, "Category labels", evaluated in the org's time zone:
1. Deals Closing This Month: an open deal whose closing date is in the current calendar month;
2. else Open Deals: an open deal;
3. else Customers: a `Closed Won` deal (any won stage);
4. else none.
A contact's deals are those where it is the primary contact or has a role. "Open" and "won"
come from the stages table (`is_closed`, `is_won`), so configured stages work unchanged.
The deciding deal is returned too, so gpanel can explain a label: the earliest-closing deal
this month, the nearest-closing open deal (undated last), or the latest won deal.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from gpanel.crm.deals import get_deal
from gpanel.crm.models import Deal
from gpanel.store.tables import deal_contacts, deals, stages

_CHUNK = 500


class Category(StrEnum):
    CLOSING_THIS_MONTH = "closing_this_month"
    OPEN_DEALS = "open_deals"
    CUSTOMERS = "customers"


def org_today(timezone: str, now: dt.datetime | None = None) -> dt.date:
    """Today's date in the org's time zone (`now` defaults to the current instant)."""
    instant = now or dt.datetime.now(dt.UTC)
    return instant.astimezone(ZoneInfo(timezone)).date()


@dataclass(frozen=True)
class _Link:
    deal_id: int
    closing_date: dt.date | None
    is_closed: bool
    is_won: bool


def _decide(links: list[_Link], today: dt.date) -> tuple[Category, int] | None:
    month = (today.year, today.month)
    open_links = [x for x in links if not x.is_closed]
    this_month = [
        x
        for x in open_links
        if x.closing_date is not None and (x.closing_date.year, x.closing_date.month) == month
    ]
    if this_month:
        best = min(this_month, key=lambda x: (x.closing_date, x.deal_id))
        return Category.CLOSING_THIS_MONTH, best.deal_id
    if open_links:
        best = min(
            open_links,
            key=lambda x: (x.closing_date is None, x.closing_date or dt.date.max, x.deal_id),
        )
        return Category.OPEN_DEALS, best.deal_id
    won = [x for x in links if x.is_won]
    if won:
        best = max(won, key=lambda x: (x.closing_date or dt.date.min, x.deal_id))
        return Category.CUSTOMERS, best.deal_id
    return None


def _links_query(contact_ids: list[int] | None) -> Select[Any]:
    primary = select(
        deals.c.primary_contact_id.label("contact_id"), deals.c.id.label("deal_id")
    ).where(deals.c.primary_contact_id.is_not(None))
    roles = select(deal_contacts.c.contact_id, deal_contacts.c.deal_id)
    if contact_ids is not None:
        primary = primary.where(deals.c.primary_contact_id.in_(contact_ids))
        roles = roles.where(deal_contacts.c.contact_id.in_(contact_ids))
    link = union_all(primary, roles).subquery()
    return (
        select(
            link.c.contact_id,
            deals.c.id,
            deals.c.closing_date,
            stages.c.is_closed,
            stages.c.is_won,
        )
        .select_from(link)
        .join(deals, deals.c.id == link.c.deal_id)
        .join(stages, stages.c.name == deals.c.stage)
    )


async def contact_categories(
    conn: AsyncConnection, contact_ids: Iterable[int] | None, today: dt.date
) -> dict[int, tuple[Category, int]]:
    """Category and deciding deal id for many contacts in one query (per 500 ids), or for
    every contact when `contact_ids` is None. Contacts with no category are left out."""
    by_contact: dict[int, list[_Link]] = {}
    batches: list[list[int] | None]
    if contact_ids is None:
        batches = [None]
    else:
        ids = sorted(set(contact_ids))
        batches = [ids[i : i + _CHUNK] for i in range(0, len(ids), _CHUNK)]
    for batch in batches:
        for row in await conn.execute(_links_query(batch)):
            by_contact.setdefault(row.contact_id, []).append(
                _Link(row.id, row.closing_date, bool(row.is_closed), bool(row.is_won))
            )
    result: dict[int, tuple[Category, int]] = {}
    for contact_id, links in by_contact.items():
        verdict = _decide(links, today)
        if verdict:
            result[contact_id] = verdict
    return result


async def contact_category(
    conn: AsyncConnection, contact_id: int, today: dt.date
) -> tuple[Category | None, Deal | None]:
    """The contact's category on `today` (a date in the org's time zone) and the deal that
    decides it; (None, None) when no deal puts the contact in a category."""
    verdict = (await contact_categories(conn, [contact_id], today)).get(contact_id)
    if verdict is None:
        return None, None
    return verdict[0], await get_deal(conn, verdict[1])
