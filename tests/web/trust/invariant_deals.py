"""Deals of a generated organisation (`org_model.DealSpec`), written straight to the store with
`crm.deals.create_deal`, past the API's reference checks: rows as a migration of old data would
have left them, so a deal may name a primary contact, role contacts or a company that the
deal's own viewers may not open. The invariant then checks each deal like any other record."""

from __future__ import annotations

from typing import Any

from gpanel.crm.deals import create_deal
from tests.web.trust.org_model import Oracle, Seeded, deal_record


async def seed_deals(engine: Any, org: Seeded) -> list[int]:
    """Insert the example's deals; their ids, in `org.spec.deals` order."""
    ids = []
    async with engine.begin() as conn:
        for k, deal in enumerate(org.spec.deals):
            primary = org.contact_ids[deal.primary] if deal.primary is not None else None
            made = await create_deal(
                conn,
                name=f"Deal {k} of {org.company_domain}",
                stage="Proposal",
                owner_id=org.user_ids[deal.owner] if deal.owner is not None else None,
                company_id=org.company_id if deal.company else None,
                primary_contact_id=primary,
                roles=[(org.contact_ids[c], "Role") for c in sorted(deal.roles)],
            )
            ids.append(made.id)
    return ids


def borrowing_cases(org: Seeded) -> int:
    """(viewer, deal) pairs whose panel rows or thread openings would differ had the deal lent
    the mail of linked records the viewer may not open: the run checks the hole only if some."""
    strict, lending = Oracle(org), Oracle(org, lend=True)
    cases = 0
    for viewer in range(len(org.spec.users)):
        for k in range(len(org.spec.deals)):
            record = deal_record(k)
            if not strict.can_open(viewer, record):
                continue
            rows = strict.rows(viewer, record) != lending.rows(viewer, record)
            opens = any(
                strict.opens(viewer, record, c) != lending.opens(viewer, record, c)
                for c in org.copies
            )
            cases += rows or opens
    return cases
