"""CSV import at scale: 50,000 contacts (50 of them bad rows), first import and a rerun.

Writes a HubSpot-style contacts export to a temporary directory, migrates a fresh database
(a SQLite file, or a throwaway schema on PostgreSQL with `--postgres URL`), then times
`gpanel.crm.csv.importer.import_csv` twice: the first import (creates) and the same file again
(updates only, nothing duplicated). Prints rows per second and what each run reported. Run from
the repository root:

    .venv/bin/python bench/import_bench.py [--rows 50000] [--postgres postgresql://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from gpanel.crm.csv.importer import import_csv
from gpanel.store.engine import create_engine
from gpanel.store.migrate import upgrade
from gpanel.store.tables import contacts
from tests.support.db import drop_pg_schema, fresh_pg_schema


def write_file(path: Path, rows: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["Record ID", "First Name", "Last Name", "Email", "Company Name"])
        for i in range(rows):
            email = f"p{i}@co{i % 400}.example" if i % 1000 != 7 else "broken"
            writer.writerow([f"r{i}", f"F{i}", f"L{i}", email, f"Co {i % 400}"])


async def timed_imports(url: str, path: Path) -> list[tuple[str, float, str]]:
    engine = create_engine(url)
    results = []
    try:
        for name in ("first import", "rerun"):
            started = time.perf_counter()
            report = await import_csv(engine, "contacts", path)
            elapsed = time.perf_counter() - started
            results.append(
                (
                    name,
                    elapsed,
                    f"created {report.created}, updated "
                    f"{report.updated}, failed rows {len(report.failed)}",
                )
            )
        async with engine.connect() as conn:
            total = await conn.scalar(select(func.count()).select_from(contacts))
        results.append(("contacts stored", 0.0, str(total)))
    finally:
        await engine.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--postgres", help="libpq URL of a PostgreSQL server to run on")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "contacts.csv"
        write_file(path, args.rows)
        schema = None
        if args.postgres:
            base = make_url(args.postgres).set(drivername="postgresql+psycopg")
            schema, url = fresh_pg_schema(base.render_as_string(hide_password=False))
        else:
            url = f"sqlite+aiosqlite:///{tmp}/bench.db"
        try:
            upgrade(url)
            results = asyncio.run(timed_imports(url, path))
        finally:
            if schema:
                drop_pg_schema(args.postgres, schema)
    engine_name = "PostgreSQL" if args.postgres else "SQLite"
    print(f"{args.rows:,} contact rows on {engine_name}")
    for name, seconds, detail in results:
        rate = f"{seconds:6.1f} s  {args.rows / seconds:8,.0f} rows/s" if seconds else " " * 24
        print(f"  {name:<16} {rate}  {detail}")


if __name__ == "__main__":
    main()
