"""The record lists name each record's company and owner: on /contacts Pat's row links to
Acme and Olga's row names Ben as owner; on /deals a deal's row names its company; on
/companies the owner column is there. Over real HTTP with the emulator's sign-in."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gpanel.crm.deals import create_deal
from gpanel.store.migrate import upgrade
from gpanel.store.tables import users
from tests.support.stack import run_stack, seen
from tests.web.thread_support import BEN, World, build_world, db


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'gpanel.db'}"
    upgrade(url)
    with run_stack(url) as stack:
        yield build_world(stack)


def _row(page: str, text: str) -> str:
    found = [r for r in re.findall(r"<tr>.*?</tr>", page, re.S) if text in r]
    assert len(found) == 1, (text, found)
    return found[0]


def test_lists_show_company_and_owner_columns(world: World) -> None:
    """Company and owner columns hold the right names for each row."""

    async def seed(engine: Any) -> None:
        async with engine.begin() as conn:
            await create_deal(
                conn,
                name="Fleet renewal",
                stage="Proposal",
                company_id=world.company_id,
                owner_id=world.user_ids[BEN],
            )

    db(world.stack, seed)
    (ben_name,) = [r.name for r in world.stack.rows(users) if r.email == BEN]
    contacts = seen(world.ben.get("/contacts"))
    assert 'data-sort="company">Company</a></th>' in contacts
    assert 'data-sort="owner">Owner</a></th>' in contacts
    pat = _row(contacts, "Pat Buyer")
    assert f'href="/companies/{world.company_id}">Acme</a>' in pat
    olga = _row(contacts, "Olga Other")
    assert f'<td class="owner">{ben_name}</td>' in olga
    deals = seen(world.ben.get("/deals"))
    fleet = _row(deals, "Fleet renewal")
    assert ">Acme</a>" in fleet and f'<td class="owner">{ben_name}</td>' in fleet
    assert 'data-sort="owner">Owner</a></th>' in seen(world.ben.get("/companies"))
