"""Record pages, list pages and search render the CRM fields and related records, leave an
empty mail-panel section for the panel, carry no inline script, and refuse the signed out."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import AsyncIterator

import pytest

from tests.support.db import db_url, empty_db_url, engine, pg_database  # noqa: F401
from tests.web.crm_stack import ADMIN, CrmStack, crm_stack, seed


@pytest.fixture
async def stack(db_url: str) -> AsyncIterator[CrmStack]:  # noqa: F811
    await seed(db_url, dt.date.today())
    with crm_stack(db_url) as running:
        yield running


def text(body: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", body))


async def test_record_pages_show_fields_related_records_and_panel_slot(stack: CrmStack) -> None:
    """Contact, company and deal pages show their fields and related records; each has an
    empty mail-panel section naming the record; no page has inline script."""
    async with stack.client(ADMIN) as web:
        api = web
        maria = (
            await api.get(
                "/api/contacts", params={"email": "maria.schneider@acme-logistics.example"}
            )
        ).json()["items"][0]
        page = await web.get(f"/contacts/{maria['id']}")
        assert page.status_code == 200
        body = text(page.text)
        assert "Maria Schneider" in body and "m.schneider@acme.example" in body
        assert "Acme Logistics" in body and "Acme fleet tracking rollout" in body
        assert "Deals Closing This Month" in body
        assert f'data-record-type="contact" data-record-id="{maria["id"]}"' in page.text
        company = await web.get(f"/companies/{maria['company_id']}")
        body = text(company.text)
        assert "acme-logistics.example" in body and "Tom Baker" in body
        assert 'data-record-type="company"' in company.text
        (deal,) = (await api.get("/api/deals", params={"q": "fleet"})).json()["items"]
        deal_page = await web.get(f"/deals/{deal['id']}")
        body = text(deal_page.text)
        assert "Negotiation" in body and "48,000.00" in body and "Decision maker" in body
        for response in (page, company, deal_page):
            assert "<script>" not in response.text and "onclick" not in response.text
            assert "script-src 'self'" in response.headers["content-security-policy"]


async def test_lists_and_search(stack: CrmStack) -> None:
    """List pages list records; search finds records by name, address and domain."""
    async with stack.client(ADMIN) as web:
        contacts = text((await web.get("/contacts")).text)
        assert "Yuki Tanaka" in contacts and "Lead" in contacts
        deals = text((await web.get("/deals", params={"q": "umbrella"})).text)
        assert "Umbrella expansion" in deals and "Hooli" not in deals
        found = text((await web.get("/search", params={"q": "yuki.tanaka@gmail.com"})).text)
        assert "Yuki Tanaka" in found
        domain = text((await web.get("/search", params={"q": "hooli.example"})).text)
        assert "Hooli Retail" in domain
        none = text((await web.get("/search", params={"q": "zzzz-nothing"})).text)
        assert "No contact, company or deal matches" in none


async def test_missing_record_and_signed_out(stack: CrmStack) -> None:
    """An unknown id is a 404 page; a signed-out visitor is sent to sign in."""
    async with stack.client(ADMIN) as web:
        assert (await web.get("/deals/99999")).status_code == 404
    async with stack.client(None) as anonymous:
        response = await anonymous.get("/contacts/1")
    assert response.status_code in (302, 303, 401)
    assert "/auth/login" in response.headers.get("location", response.text)
