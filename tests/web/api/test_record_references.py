"""Records cannot grant what their author lacks, over real HTTP: a rep creating or changing a
deal or contact through the JSON API may point it only at records they may open (primary
contact, role contacts, company); anything else is 422 naming each refused field, and nothing
is written. A missing id gets the same answer as a hidden one. References a record already
holds may stay; an admin may reference anything."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.support.db import db_url, empty_db_url, engine, pg_database  # noqa: F401
from tests.web.crm_stack import ADMIN, REP_EAST, CrmStack, crm_stack, seed

WEST = ("dev@brightwave.example", "emma@brightwave.example")


@pytest.fixture
async def stack(db_url: str) -> AsyncIterator[CrmStack]:  # noqa: F811
    await seed(db_url, dt.date.today())
    with crm_stack(db_url) as running:
        yield running


async def _records(stack: CrmStack) -> dict[str, Any]:
    """One West-owned and one East-owned contact and company, as the admin sees them."""
    async with stack.client(ADMIN) as admin:
        users = {u["email"]: u["id"] for u in (await admin.get("/api/users")).json()["items"]}
        contacts = (await admin.get("/api/contacts", params={"limit": 200})).json()["items"]
        companies = (await admin.get("/api/companies", params={"limit": 200})).json()["items"]
        deals = (await admin.get("/api/deals", params={"limit": 200})).json()["items"]
    west = {users[e] for e in WEST}
    east = users["ben@brightwave.example"]
    return {
        "west_contact": next(c["id"] for c in contacts if c["owner_id"] in west),
        "east_contact": next(c["id"] for c in contacts if c["owner_id"] == east),
        "west_company": next(c["id"] for c in companies if c["owner_id"] in west),
        "east_company": next(c["id"] for c in companies if c["owner_id"] == east),
        "west_deal": next(d for d in deals if d["owner_id"] in west),
    }


async def test_rep_cannot_reference_records_they_may_not_open(stack: CrmStack) -> None:
    """Carla (East) cannot make a deal whose primary contact, role contact or company is a
    West rep's, nor a contact at a West company; each refused field is named, the hidden
    records themselves answer 403, and no deal or contact was created."""
    r = await _records(stack)
    async with stack.client(REP_EAST) as rep:
        assert (await rep.get(f"/api/contacts/{r['west_contact']}")).status_code == 403
        refused = await rep.post(
            "/api/deals",
            json={
                "name": "Borrowed access",
                "stage": "Proposal",
                "primary_contact_id": r["west_contact"],
                "roles": [
                    {"contact_id": r["east_contact"], "role": "Champion"},
                    {"contact_id": r["west_contact"], "role": "Buyer"},
                ],
                "company_id": r["west_company"],
            },
        )
        assert refused.status_code == 422, refused.text
        fields = refused.json()["error"]["fields"]
        assert set(fields) == {"primary_contact_id", "roles.1.contact_id", "company_id"}
        assert "you can open" in fields["primary_contact_id"]
        contact = await rep.post(
            "/api/contacts",
            json={
                "first_name": "Borrowed",
                "emails": ["borrowed@new-co.example"],
                "company_id": r["west_company"],
            },
        )
        assert contact.status_code == 422 and set(contact.json()["error"]["fields"]) == {
            "company_id"
        }
        missing = await rep.post(
            "/api/deals", json={"name": "Ghost", "stage": "Proposal", "primary_contact_id": 999999}
        )
        assert missing.status_code == 422
        assert missing.json()["error"]["fields"]["primary_contact_id"].startswith(
            "is not a contact you can open"
        )
        mine = await rep.get("/api/deals", params={"q": "Borrowed", "limit": 200})
        assert mine.json()["items"] == []
        assert (await rep.get("/api/contacts", params={"q": "Borrowed"})).json()["items"] == []


async def test_rep_cannot_change_a_record_to_reference_hidden_ones(stack: CrmStack) -> None:
    """Carla's own deal: pointing it (PATCH) at a West contact, role or company is refused and
    leaves the deal as it was; references to records she may open are accepted, and a change
    of stage keeps the references the deal already had."""
    r = await _records(stack)
    async with stack.client(REP_EAST) as rep:
        made = await rep.post(
            "/api/deals",
            json={
                "name": "Carla's own",
                "stage": "Proposal",
                "primary_contact_id": r["east_contact"],
                "company_id": r["east_company"],
            },
        )
        assert made.status_code == 201, made.text
        deal = made.json()
        for change, field in (
            ({"primary_contact_id": r["west_contact"]}, "primary_contact_id"),
            ({"roles": [{"contact_id": r["west_contact"], "role": "x"}]}, "roles.0.contact_id"),
            ({"company_id": r["west_company"]}, "company_id"),
        ):
            refused = await rep.patch(f"/api/deals/{deal['id']}", json=change)
            assert refused.status_code == 422, refused.text
            assert set(refused.json()["error"]["fields"]) == {field}
        after = (await rep.get(f"/api/deals/{deal['id']}")).json()
        assert after["primary_contact_id"] == r["east_contact"]
        assert after["company_id"] == r["east_company"] and after["roles"] == []
        moved = await rep.patch(f"/api/deals/{deal['id']}", json={"stage": "Negotiation"})
        assert moved.status_code == 200, moved.text


async def test_admin_may_reference_any_record(stack: CrmStack) -> None:
    """The admin opens every record, so any reference is accepted from them."""
    r = await _records(stack)
    async with stack.client(ADMIN) as admin:
        made = await admin.post(
            "/api/deals",
            json={
                "name": "Admin mix",
                "stage": "Proposal",
                "primary_contact_id": r["west_contact"],
                "roles": [{"contact_id": r["east_contact"], "role": "Champion"}],
                "company_id": r["east_company"],
            },
        )
        assert made.status_code == 201, made.text
