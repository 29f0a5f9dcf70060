"""CSV import: aliases from common CRM exports, encodings, refusals before any row, row-level
errors with line/column/reason while good rows are kept, reruns that never duplicate."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from gpanel.crm import companies, contacts, deals, people
from gpanel.crm.csv.importer import ImportRefused, import_csv
from gpanel.store.tables import companies as companies_t
from gpanel.store.tables import contacts as contacts_t
from gpanel.store.tables import deals as deals_t


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


async def count(engine: AsyncEngine, table) -> int:  # type: ignore[no-untyped-def]
    async with engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(table)) or 0)


async def test_hubspot_companies_import_and_rerun(engine: AsyncEngine, tmp_path: Path) -> None:
    """HubSpot's headers map onto companies; a rerun updates the same rows; a free-mail domain
    fails only its row, with line and column."""
    async with engine.begin() as conn:
        await people.create_user(conn, email="carla@org.example", name="Carla Reyes")
    f = write_csv(
        tmp_path / "hubspot-companies.csv",
        [
            ["Record ID", "Company name", "Company Domain Name", "Company owner", "Industry"],
            ["101", "Acme Logistics", "acme.example", "Carla Reyes", "Freight"],
            ["102", "Globex", "https://www.globex.example/", "carla@org.example", ""],
            ["103", "Freemail Inc", "gmail.com", "", ""],
        ],
    )
    first = await import_csv(engine, "companies", f)
    assert (first.created, first.updated) == (2, 0)
    assert [(i.line, i.column) for i in first.failed] == [(4, "Company Domain Name")]
    assert first.unknown_columns == ["Industry"]
    again = await import_csv(engine, "companies", f)
    assert (again.created, again.updated) == (0, 2)
    assert await count(engine, companies_t) == 2
    async with engine.connect() as conn:
        globex = (await companies.list_companies(conn, domain="globex.example"))[0]
        assert globex.external_id == "102" and globex.owner_id is not None


async def test_contacts_in_cp1252_with_zoho_headers(engine: AsyncEngine, tmp_path: Path) -> None:
    """A Windows-1252 file (Excel's default) is detected and names keep their accents; an
    unknown company is created by name; a second address column is kept."""
    f = write_csv(
        tmp_path / "zoho-contacts.csv",
        [
            [
                "Contact Id",
                "First Name",
                "Last Name",
                "Email",
                "Secondary Email",
                "Account Name",
                "Title",
            ],
            [
                "z1",
                "Chloé",
                "Dubois",
                "Chloe.Dubois@Wayne.example",
                "chloe@gmail.com",
                "Wayne Hospitality",
                "Général Manager",
            ],
            ["z2", "Zoë", "Novak", "zoe@vandelay.example", "", "Vandelay", ""],
        ],
        encoding="cp1252",
    )
    report = await import_csv(engine, "contacts", f)
    assert report.encoding != "utf-8" and report.created == 2 and not report.failed
    assert report.companies_created == 2
    async with engine.connect() as conn:
        found = await contacts.find_contacts_by_emails(conn, ["chloe@gmail.com"])
    chloe = found["chloe@gmail.com"]
    assert (chloe.first_name, chloe.title) == ("Chloé", "Général Manager")
    assert chloe.emails == ("chloe.dubois@wayne.example", "chloe@gmail.com")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, "binary"),
        (b"", "empty"),
    ],
)
async def test_unreadable_files_refused(
    engine: AsyncEngine, tmp_path: Path, content: bytes, message: str
) -> None:
    """A file that is not text, or is empty, is refused with a message, and nothing is written."""
    f = tmp_path / "x.csv"
    f.write_bytes(content)
    with pytest.raises(ImportRefused, match=message):
        await import_csv(engine, "contacts", f)
    assert await count(engine, contacts_t) == 0


async def test_missing_required_column_refused_before_any_row(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    """A deals file without a stage column is refused as a whole, naming what is missing."""
    f = write_csv(tmp_path / "d.csv", [["Deal Name", "Amount"], ["A", "10"], ["B", "20"]])
    with pytest.raises(ImportRefused, match='"stage"') as refused:
        await import_csv(engine, "deals", f)
    assert "Deal Name" in str(refused.value)
    assert await count(engine, deals_t) == 0


async def test_bad_deal_rows_reported_and_good_rows_kept(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    """Bad dates, bad amounts, unknown stages and unknown contacts are reported per row with
    line and column; the good rows are imported with amounts and dates parsed."""
    async with engine.begin() as conn:
        await contacts.create_contact(conn, first_name="Maria", emails=["maria@acme.example"])
    f = write_csv(
        tmp_path / "salesforce-opps.csv",
        [
            ["Opportunity Name", "Account Name", "Stage", "Amount", "Close Date", "Contact Email"],
            ["Fleet", "Acme", "Negotiation", "$48,000.00", "25/05/2026", "maria@acme.example"],
            ["Bad date", "Acme", "Proposal", "10", "31/02/2026", ""],
            ["Bad amount", "Acme", "Proposal", "lots", "2026-05-01", ""],
            ["Bad stage", "Acme", "Won-ish", "10", "2026-05-01", ""],
            ["No contact", "Globex", "closed won", "1.234,50 €", "14 May 2026", "who@x.example"],
        ],
    )
    report = await import_csv(engine, "deals", f)
    assert report.created == 2 and report.date_order == "dmy"
    assert [(i.line, i.column) for i in report.failed] == [
        (3, "Close Date"),
        (4, "Amount"),
        (5, "Stage"),
    ]
    assert "Closed Won" in report.failed[2].reason
    assert [(i.line, i.column) for i in report.warnings] == [(6, "Contact Email")]
    async with engine.connect() as conn:
        got = {d.name: d for d in await deals.list_deals(conn)}
    assert got["Fleet"].closing_date == dt.date(2026, 5, 25)
    assert str(got["Fleet"].amount) == "48000.00" and got["Fleet"].primary_contact_id
    assert got["No contact"].stage == "Closed Won" and str(got["No contact"].amount) == "1234.50"
    rerun = await import_csv(engine, "deals", f)
    assert (rerun.created, rerun.updated) == (0, 2)
    assert await count(engine, deals_t) == 2


async def test_ambiguous_dates_need_a_date_format(engine: AsyncEngine, tmp_path: Path) -> None:
    """Dates like 03/04/2026 with nothing to tell day-first from month-first refuse the file;
    --date-format decides; a file with 04/25/2026 proves month-first by itself."""
    rows = [["Deal Name", "Stage", "Closing Date"], ["A", "Proposal", "03/04/2026"]]
    ambiguous = write_csv(tmp_path / "a.csv", rows)
    with pytest.raises(ImportRefused, match="--date-format"):
        await import_csv(engine, "deals", ambiguous)
    us = await import_csv(engine, "deals", ambiguous, date_format="mdy")
    assert us.created == 1
    proven = write_csv(tmp_path / "b.csv", [*rows, ["B", "Proposal", "04/25/2026"]])
    report = await import_csv(engine, "deals", proven)
    assert report.date_order == "mdy"
    async with engine.connect() as conn:
        a = (await deals.list_deals(conn, q="A"))[0]
    assert a.closing_date == dt.date(2026, 3, 4)


async def test_duplicate_emails_in_file_and_conflicts(engine: AsyncEngine, tmp_path: Path) -> None:
    """An address repeated in the file fails the later row (naming the first line); an address
    that belongs to another stored contact fails its row; a row without email or id fails."""
    async with engine.begin() as conn:
        await contacts.create_contact(conn, first_name="Old", emails=["taken@x.example"])
    f = write_csv(
        tmp_path / "c.csv",
        [
            ["External ID", "Name", "E-mail"],
            ["1", "Ann Lee", "ann@x.example"],
            ["2", "Ann Again", "ANN@x.example"],
            ["3", "Thief", "taken@x.example"],
            ["", "Nobody", ""],
            ["5", "Bo Yang", "not-an-email"],
            ["6", "Cy Twombly", "cy@x.example"],
        ],
    )
    report = await import_csv(engine, "contacts", f)
    assert report.created == 2
    assert [(i.line, i.column) for i in report.failed] == [
        (3, "E-mail"),
        (5, "E-mail"),
        (6, "E-mail"),
    ]
    assert "line 2" in report.failed[0].reason
    async with engine.connect() as conn:
        ann = await contacts.find_contacts_by_emails(conn, ["ann@x.example"])
    assert ann["ann@x.example"].last_name == "Lee"
    # The stored contact was updated in place when the file matches it by email.
    f2 = write_csv(tmp_path / "c2.csv", [["Email", "Title"], ["taken@x.example", "Boss"]])
    report2 = await import_csv(engine, "contacts", f2)
    assert (report2.created, report2.updated) == (0, 1)


async def test_dry_run_writes_nothing(engine: AsyncEngine, tmp_path: Path) -> None:
    """A dry run reports what it would do and leaves the database untouched."""
    f = write_csv(tmp_path / "c.csv", [["Email", "Company"], ["a@x.example", "New Co"]])
    report = await import_csv(engine, "leads", f, dry_run=True)
    assert report.created == 1 and report.companies_created == 1
    assert await count(engine, contacts_t) == 0 and await count(engine, companies_t) == 0


@pytest.mark.slow
async def test_fifty_thousand_rows_then_rerun(engine: AsyncEngine, tmp_path: Path) -> None:
    """50,000 contacts (with 50 bad rows among them): the bad rows are reported and the rest
    kept; a rerun creates nothing new. (How long it takes is bench/import_bench.py's business.)"""
    rows = [["Record ID", "First Name", "Last Name", "Email", "Company Name"]]
    for i in range(50_000):
        email = f"p{i}@co{i % 400}.example" if i % 1000 != 7 else "broken"
        rows.append([f"r{i}", f"F{i}", f"L{i}", email, f"Co {i % 400}"])
    f = write_csv(tmp_path / "big.csv", rows)
    report = await import_csv(engine, "contacts", f)
    assert report.created == 49_950 and len(report.failed) == 50
    assert report.failed[0].line == 9 and report.failed[0].column == "Email"
    rerun = await import_csv(engine, "contacts", f)
    assert (rerun.created, rerun.updated) == (0, 49_950)
    assert await count(engine, contacts_t) == 49_950
    assert await count(engine, companies_t) == 400


async def test_reimport_with_a_new_primary_contact_marks_the_old_one_changed(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    """A file that hands a deal to another contact marks the contact it took the deal from as
    changed, so its category label moves on the next incremental run, as after an API edit."""
    async with engine.begin() as conn:
        old = await contacts.create_contact(conn, first_name="Old", emails=["old@acme.example"])
        new = await contacts.create_contact(conn, first_name="New", emails=["new@acme.example"])
    header = ["Deal Name", "Stage", "Contact Email"]
    first = write_csv(tmp_path / "a.csv", [header, ["Fleet", "Proposal", "old@acme.example"]])
    assert (await import_csv(engine, "deals", first)).created == 1

    async def stamps() -> dict[int, dt.datetime]:
        async with engine.connect() as conn:
            rows = await conn.execute(select(contacts_t.c.id, contacts_t.c.updated_at))
            return {r.id: r.updated_at for r in rows}

    before = await stamps()
    again = await import_csv(engine, "deals", first)  # the same contact: nobody is marked
    assert again.updated == 1 and await stamps() == before
    second = write_csv(tmp_path / "b.csv", [header, ["Fleet", "Proposal", "new@acme.example"]])
    assert (await import_csv(engine, "deals", second)).updated == 1
    after = await stamps()
    assert after[old.id] > before[old.id] and after[new.id] == before[new.id]
    async with engine.connect() as conn:
        (deal,) = await deals.list_deals(conn)
    assert deal.primary_contact_id == new.id
