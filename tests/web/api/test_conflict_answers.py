"""Create-conflict answers reveal nothing the actor may not see, over real HTTP: a 409 for an
address, domain or external id held by a record the rep may not open says only that it is
taken (no id, no name); held by one they may open, it names that record's id."""

from __future__ import annotations

import datetime as dt
import json
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


async def _by_owner(stack: CrmStack) -> dict[str, Any]:
    async with stack.client(ADMIN) as admin:
        users = {u["email"]: u["id"] for u in (await admin.get("/api/users")).json()["items"]}
        contacts = (await admin.get("/api/contacts", params={"limit": 200})).json()["items"]
        companies = (await admin.get("/api/companies", params={"limit": 200})).json()["items"]
    west, east = {users[e] for e in WEST}, users["ben@brightwave.example"]
    return {
        "west_contact": next(c for c in contacts if c["owner_id"] in west and c["emails"]),
        "east_contact": next(c for c in contacts if c["owner_id"] == east and c["emails"]),
        "west_company": next(c for c in companies if c["owner_id"] in west and c["domains"]),
        "east_company": next(c for c in companies if c["owner_id"] == east and c["domains"]),
    }


def _says(answer: Any) -> str:
    return json.dumps(answer.json())


async def test_conflict_with_a_hidden_record_names_nothing(stack: CrmStack) -> None:
    """Carla (East) claims a West contact's address and a West company's domain: 409 with
    the field named, but neither the holder's id nor its name appears in the answer."""
    r = await _by_owner(stack)
    hidden, firm = r["west_contact"], r["west_company"]
    async with stack.client(REP_EAST) as rep:
        taken = await rep.post(
            "/api/contacts", json={"first_name": "Probe", "emails": [hidden["emails"][0]]}
        )
        assert taken.status_code == 409 and "emails" in taken.json()["error"]["fields"]
        text = _says(taken)
        assert f"contact {hidden['id']}" not in text and f"({hidden['id']})" not in text
        assert hidden["last_name"] not in text and hidden["first_name"] not in text
        taken = await rep.post("/api/companies", json={"name": "P", "domains": firm["domains"]})
        assert taken.status_code == 409 and "domains" in taken.json()["error"]["fields"]
        text = _says(taken)
        assert f"company {firm['id']}" not in text and firm["name"] not in text


async def test_conflict_with_an_open_record_names_it(stack: CrmStack) -> None:
    """The same probes against East records (which Carla may open), and by the admin against
    West ones, name the holder's id."""
    r = await _by_owner(stack)
    mine, firm = r["east_contact"], r["east_company"]
    async with stack.client(REP_EAST) as rep:
        taken = await rep.post("/api/contacts", json={"first_name": "P", "emails": mine["emails"]})
        assert taken.status_code == 409
        assert f"(contact {mine['id']})" in taken.json()["error"]["fields"]["emails"]
        taken = await rep.post("/api/companies", json={"name": "P", "domains": firm["domains"]})
        assert f"(company {firm['id']})" in taken.json()["error"]["fields"]["domains"]
    async with stack.client(ADMIN) as admin:
        west = r["west_contact"]
        taken = await admin.post(
            "/api/contacts", json={"first_name": "P", "emails": west["emails"]}
        )
        assert f"(contact {west['id']})" in taken.json()["error"]["fields"]["emails"]
