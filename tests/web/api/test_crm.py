"""The CRM JSON API over real HTTP: sign-in required, list filters and cursor paging, create /
update / delete, 422 with field messages, 409 on conflicts, record access for reps, deal
changes visible at once, and an OpenAPI document whose references all resolve."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest

from gpanel.demo import cast
from tests.support.db import db_url, empty_db_url, engine, pg_database  # noqa: F401
from tests.web.crm_stack import ADMIN, REP_EAST, CrmStack, crm_stack, seed


@pytest.fixture
async def stack(db_url: str) -> AsyncIterator[CrmStack]:  # noqa: F811
    await seed(db_url, dt.date.today())
    with crm_stack(db_url) as running:
        yield running


async def test_signed_out_callers_get_401(stack: CrmStack) -> None:
    """Without a session the API answers 401 in the JSON error shape."""
    async with stack.client(None) as api:
        response = await api.get("/api/contacts")
    assert response.status_code == 401
    assert response.json()["error"]["status"] == 401


async def test_list_filters_and_cursor_paging(stack: CrmStack) -> None:
    """Paging with limit + cursor walks every contact exactly once; filters narrow lists."""
    async with stack.client(ADMIN) as api:
        seen: list[int] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 4, **({"cursor": cursor} if cursor else {})}
            page = (await api.get("/api/contacts", params=params)).json()
            seen += [c["id"] for c in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert len(seen) == len(set(seen)) == len(cast.PEOPLE)
        by_email = (await api.get("/api/contacts", params={"email": "YUKI@globex.example"})).json()
        assert [c["last_name"] for c in by_email["items"]] == ["Tanaka"]
        acme = (await api.get("/api/companies", params={"domain": "acme.example"})).json()
        (company,) = acme["items"]
        people = (await api.get("/api/contacts", params={"company": company["id"]})).json()
        assert {c["first_name"] for c in people["items"]} == {"Maria", "Tom"}
        won = (await api.get("/api/deals", params={"stage": "closed won"})).json()
        assert len(won["items"]) == sum(1 for d in cast.DEALS if d.stage == "Closed Won")
        bad = await api.get("/api/deals", params={"owner": "ben", "limit": 0, "cursor": "zz"})
        assert bad.status_code == 422
        assert set(bad.json()["error"]["fields"]) == {"owner", "limit"}


async def test_create_update_delete_and_field_errors(stack: CrmStack) -> None:
    """POST creates (201 + Location), invalid input is 422 naming fields, a taken domain is
    409, PATCH changes only what is sent, DELETE answers 204 and the record is gone."""
    async with stack.client(ADMIN) as api:
        made = await api.post(
            "/api/companies", json={"name": "Initrode", "domains": ["https://initrode.example"]}
        )
        assert made.status_code == 201 and made.json()["domains"] == ["initrode.example"]
        company = made.json()
        assert made.headers["location"] == f"/api/companies/{company['id']}"
        invalid = await api.post("/api/companies", json={"name": "", "colour": "red"})
        assert invalid.status_code == 422
        assert set(invalid.json()["error"]["fields"]) == {"name", "colour"}
        free = await api.post("/api/companies", json={"name": "X", "domains": ["gmail.com"]})
        assert free.status_code == 422 and "domains" in free.json()["error"]["fields"]
        taken = await api.post("/api/companies", json={"name": "Y", "domains": ["acme.example"]})
        assert taken.status_code == 409 and "domains" in taken.json()["error"]["fields"]
        deal = await api.post(
            "/api/deals",
            json={"name": "Initrode pilot", "stage": "Nope", "company_id": company["id"]},
        )
        assert deal.status_code == 422 and "Closed Won" in deal.json()["error"]["fields"]["stage"]
        bad_date = await api.post(
            "/api/deals", json={"name": "D", "stage": "Proposal", "closing_date": "31/02/2026"}
        )
        assert "closing_date" in bad_date.json()["error"]["fields"]
        patched = await api.patch(f"/api/companies/{company['id']}", json={"name": "Initrode Ltd"})
        assert patched.json()["name"] == "Initrode Ltd"
        assert patched.json()["domains"] == ["initrode.example"]
        assert (await api.delete(f"/api/companies/{company['id']}")).status_code == 204
        assert (await api.get(f"/api/companies/{company['id']}")).status_code == 404
        assert (await api.patch("/api/deals/99999", json={"name": "x"})).status_code == 404
        not_json = await api.post(
            "/api/teams", content=b"{oops", headers={"content-type": "application/json"}
        )
        assert not_json.status_code == 422


async def test_deal_change_takes_effect_at_once(stack: CrmStack) -> None:
    """Moving a contact's only deal to Closed Won shows on their page on the next request."""
    async with stack.client(ADMIN) as api:
        contact = (
            await api.get("/api/contacts", params={"email": "jonas.berg@stark-renewables.example"})
        ).json()["items"][0]
        before = await api.get(f"/contacts/{contact['id']}")
        assert "Open Deals" in before.text
        (deal,) = (await api.get("/api/deals", params={"contact": contact["id"]})).json()["items"]
        moved = await api.patch(f"/api/deals/{deal['id']}", json={"stage": "Closed Won"})
        assert moved.status_code == 200
        after = await api.get(f"/contacts/{contact['id']}")
        assert "Customers" in after.text and "Open Deals" not in after.text


async def test_reps_see_their_team_records_only(stack: CrmStack) -> None:
    """Carla (East) opens a teammate's deal but not a West rep's; lists leave those out; she
    cannot add users."""
    async with stack.client(ADMIN) as admin:
        deals = (await admin.get("/api/deals", params={"limit": 100})).json()["items"]
        users = {u["email"]: u for u in (await admin.get("/api/users")).json()["items"]}
    west = {users["dev@brightwave.example"]["id"], users["emma@brightwave.example"]["id"]}
    west_deal = next(d for d in deals if d["owner_id"] in west)
    east_deal = next(d for d in deals if d["owner_id"] == users["ben@brightwave.example"]["id"])
    async with stack.client(REP_EAST) as rep:
        assert (await rep.get(f"/api/deals/{east_deal['id']}")).status_code == 200
        assert (await rep.get(f"/api/deals/{west_deal['id']}")).status_code == 403
        listed = (await rep.get("/api/deals", params={"limit": 100})).json()["items"]
        assert {d["owner_id"] for d in listed}.isdisjoint(west)
        refused = await rep.post("/api/users", json={"email": "x@brightwave.example", "name": "X"})
        assert refused.status_code == 403


async def test_csrf_is_required_with_a_session(stack: CrmStack) -> None:
    """A cookie-authenticated write without the CSRF header is refused before any handler."""
    async with stack.client(ADMIN) as api:
        del api.headers["X-CSRF-Token"]
        refused = await api.post("/api/teams", json={"name": "North"})
    assert refused.status_code == 403


async def test_openapi_document(stack: CrmStack) -> None:
    """/api/openapi.json lists every resource's operations and every $ref resolves."""
    async with stack.client(None) as api:
        doc = (await api.get("/api/openapi.json")).json()
    assert doc["openapi"].startswith("3.1")
    for name in ("companies", "contacts", "deals", "users", "teams"):
        assert set(doc["paths"][f"/api/{name}"]) == {"get", "post"}
        assert {"get", "patch", "delete"} <= set(doc["paths"][f"/api/{name}/{{id}}"])
    schemas = doc["components"]["schemas"]
    assert {"DealIn", "DealPatch", "DealOut", "ErrorOut"} <= set(schemas)

    def refs(node: Any) -> list[str]:
        if isinstance(node, dict):
            found = [node["$ref"]] if "$ref" in node else []
            return found + [r for v in node.values() for r in refs(v)]
        if isinstance(node, list):
            return [r for v in node for r in refs(v)]
        return []

    for ref in refs(doc):
        assert ref.removeprefix("#/components/schemas/") in schemas, ref
