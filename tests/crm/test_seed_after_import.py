"""The demo seeder runs again on data people have edited since: after a CSV import moved a demo
address to another contact (and gave a demo contact another external id), seeding again raises
nothing, never takes the address back, never duplicates a record, and still refreshes deals.

This is what `gpanel demo` does at every start: before, it crashed with
`Conflict: emails: tom.baker@... already belongs to contact 2`."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from gpanel.crm import contacts
from gpanel.crm.csv.importer import import_csv
from gpanel.crm.seed import seed_demo_crm
from gpanel.demo import cast
from gpanel.store.tables import companies, deals
from gpanel.store.tables import contacts as contacts_t

TODAY = dt.date(2026, 5, 14)
TOM = "tom.baker@acme-logistics.example"


def _csv(path: Path, rows: list[list[str]]) -> Path:
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    path.write_text(buf.getvalue())
    return path


async def _count(engine: AsyncEngine, table) -> int:  # type: ignore[no-untyped-def]
    async with engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(table)) or 0)


async def test_seed_again_after_an_import_moved_a_demo_address(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    """Seed, import CSVs that give Tom a new address and his old one to Maria, seed again: no
    exception, Tom's old address stays where the import put it, no new contact, deal dates
    still move."""
    async with engine.begin() as conn:
        await seed_demo_crm(conn, TODAY)
    people_before = await _count(engine, contacts_t)
    header = ["External ID", "First name", "Last name", "Email"]
    for name, row in (
        ("tom.csv", ["demo:tom", "Tom", "Baker", "tom@baker-consulting.example"]),
        ("maria.csv", ["demo:maria", "Maria", "Schneider", TOM]),
    ):
        report = await import_csv(engine, "contacts", _csv(tmp_path / name, [header, row]))
        assert report.rows_ok == 1, report
    async with engine.connect() as conn:
        holder = (await contacts.find_contacts_by_emails(conn, [TOM]))[TOM]
    assert holder.external_id == "demo:maria"

    later = dt.date(2026, 9, 2)
    async with engine.begin() as conn:
        result = await seed_demo_crm(conn, later)  # raised Conflict before the fix
    assert result.contacts == len(cast.PEOPLE)
    assert await _count(engine, contacts_t) == people_before
    assert await _count(engine, companies) == len(cast.COMPANIES)
    async with engine.connect() as conn:
        still = (await contacts.find_contacts_by_emails(conn, [TOM]))[TOM]
        assert still.id == holder.id  # the edit wins: the seeder does not take it back
        closing = await conn.scalar(
            select(deals.c.closing_date).where(deals.c.external_id == "demo:acme-fleet")
        )
    assert closing == cast.DEALS[0].closing_date(later)


async def test_seed_again_after_an_import_renamed_a_demo_contacts_external_id(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    """A demo contact whose external id an import replaced is found by its address and left
    as the import made it; seeding creates no second Tom Baker."""
    async with engine.begin() as conn:
        await seed_demo_crm(conn, TODAY)
    people_before = await _count(engine, contacts_t)
    async with engine.begin() as conn:
        (tom,) = await contacts.list_contacts(conn, external_id="demo:tom")
        await contacts.update_contact(conn, tom.id, {"external_id": "crm-77"})
    async with engine.begin() as conn:
        await seed_demo_crm(conn, TODAY)
    assert await _count(engine, contacts_t) == people_before
    async with engine.connect() as conn:
        again = await contacts.get_contact(conn, tom.id)
    assert again is not None and again.external_id == "crm-77" and TOM in again.emails
