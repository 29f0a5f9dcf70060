"""`gpanel import companies|contacts|leads|deals FILE.csv`: CRM exports into the store.

The file is refused as a whole, before anything is written, when it is not readable text or
lacks a required column (docs/csv-import.md lists the columns and accepted aliases). Otherwise
each row is checked on its own: a bad row is reported with its line number, column and reason
and skipped; good rows are kept. Rows are written in chunks (default 1,000), each chunk in one
transaction, so a chunk is either fully written or not at all. If the process dies mid-file,
the chunks already committed stay, the run is left marked unfinished in `import_runs`, and
running the same file again completes it: rows are matched on external id or email (see
`writers`), so a rerun updates instead of duplicating. A dry run does all of this inside a
single transaction and rolls it back.

A contact naming a company gpanel does not know creates that company (by name only); a deal
naming an unknown contact address is kept without a primary contact, with a warning.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from gpanel.crm.csv.columns import KINDS, map_headers, missing_required
from gpanel.crm.csv.parse import CellRow, load_lookups, parse_company, parse_contact, parse_deal
from gpanel.crm.csv.read import ImportRefused, decide_date_order, decode, read_rows
from gpanel.crm.csv.rows import ChunkResult, CompanyRow, ContactRow, DealRow, RowIssue
from gpanel.crm.csv.writers import CompanyResolver, write_companies, write_contacts, write_deals
from gpanel.store.tables import import_runs

__all__ = ["KINDS", "ImportRefused", "ImportReport", "RowIssue", "import_csv"]

Progress = Callable[[int, int], None]


@dataclass
class ImportReport:
    kind: str
    file_name: str
    encoding: str = ""
    rows_total: int = 0
    created: int = 0
    updated: int = 0
    companies_created: int = 0
    failed: list[RowIssue] = field(default_factory=list)
    warnings: list[RowIssue] = field(default_factory=list)
    unknown_columns: list[str] = field(default_factory=list)
    date_order: str | None = None
    dry_run: bool = False
    run_id: int | None = None

    @property
    def rows_ok(self) -> int:
        return self.created + self.updated


async def import_csv(
    engine: AsyncEngine,
    kind: str,
    path: Path,
    *,
    dry_run: bool = False,
    date_format: str = "auto",
    encoding: str | None = None,
    chunk_size: int = 1000,
    progress: Progress | None = None,
    org_domains: Iterable[str] = (),
) -> ImportReport:
    """Import `path` as `kind` records; ImportRefused if the file as a whole cannot be used.

    The import acts as an admin (it is run by an operator): rows may name any record. Rows
    giving the org's own addresses or domains (`org_domains`, users' addresses) fail."""
    if kind not in KINDS:
        raise ImportRefused(f"Unknown record type {kind!r}: use one of {', '.join(KINDS)}.")
    data = await asyncio.to_thread(path.read_bytes)
    report = ImportReport(kind, path.name, dry_run=dry_run)
    text, report.encoding = decode(data, encoding)
    header, row_iter = read_rows(text)
    mapping, report.unknown_columns = map_headers(kind, header)
    missing = missing_required(kind, mapping)
    if missing:
        raise ImportRefused(
            f"The file has no {' and no '.join(missing)} column, which a {kind} import needs. "
            f"Columns found: {', '.join(h.strip() for h in header if h.strip()) or 'none'}. "
            "See docs/csv-import.md for the accepted column names."
        )
    raw_rows = list(row_iter)
    report.rows_total = len(raw_rows)
    if kind == "deals" and "closing_date" in mapping:
        index = mapping["closing_date"]
        report.date_order = decide_date_order(
            (cells[index] for _, cells in raw_rows if index < len(cells)), date_format
        )
    async with engine.connect() as conn:
        lookups = await load_lookups(conn, org_domains)

    seen: dict[str, int] = {}
    parsed: list[CompanyRow | ContactRow | DealRow] = []
    for line, cells in raw_rows:
        row = CellRow(line, cells, mapping, header)
        record: CompanyRow | ContactRow | DealRow | None
        if kind == "companies":
            record = parse_company(row, lookups, seen)
        elif kind == "deals":
            record = parse_deal(row, lookups, seen, report.date_order or "dmy")
        else:
            record = parse_contact(row, lookups, seen)
        report.failed += row.errors
        report.warnings += row.warnings
        if record is not None:
            parsed.append(record)

    resolver = CompanyResolver()
    done = report.rows_total - len(parsed)

    async def write(conn: AsyncConnection, chunk: list[CompanyRow | ContactRow | DealRow]) -> None:
        result: ChunkResult
        if kind == "companies":
            result = await write_companies(conn, chunk)  # type: ignore[arg-type]
        elif kind == "deals":
            result = await write_deals(conn, chunk, resolver)  # type: ignore[arg-type]
        else:
            default = "lead" if kind == "leads" else "contact"
            result = await write_contacts(conn, chunk, resolver, default)  # type: ignore[arg-type]
        report.created += result.created
        report.updated += result.updated
        # Writers name canonical columns; report the file's own header instead.
        report.failed += [_label(i) for i in result.failed]
        report.warnings += [_label(i) for i in result.warnings]

    def _label(issue: RowIssue) -> RowIssue:
        index = mapping.get(issue.column)
        return (
            RowIssue(issue.line, header[index].strip(), issue.reason)
            if index is not None
            else issue
        )

    chunks = [parsed[i : i + chunk_size] for i in range(0, len(parsed), chunk_size)]
    if dry_run:
        async with engine.connect() as conn:
            await conn.begin()
            for chunk in chunks:
                await write(conn, chunk)
                done += len(chunk)
                if progress:
                    progress(done, report.rows_total)
            await conn.rollback()
    else:
        report.run_id = await _start_run(engine, kind, path.name, data)
        for chunk in chunks:
            async with engine.begin() as conn:
                await write(conn, chunk)
            done += len(chunk)
            if progress:
                progress(done, report.rows_total)
        await _finish_run(engine, report)
    report.companies_created = resolver.created
    report.failed.sort(key=lambda i: i.line)
    report.warnings.sort(key=lambda i: i.line)
    return report


async def _start_run(engine: AsyncEngine, kind: str, name: str, data: bytes) -> int:
    async with engine.begin() as conn:
        run_id = await conn.scalar(
            insert(import_runs)
            .values(
                kind=kind,
                file_name=name[:500],
                file_sha256=hashlib.sha256(data).hexdigest(),
                started_at=dt.datetime.now(dt.UTC),
                rows_ok=0,
                rows_failed=0,
                dry_run=False,
            )
            .returning(import_runs.c.id)
        )
    assert run_id is not None
    return int(run_id)


async def _finish_run(engine: AsyncEngine, report: ImportReport) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            update(import_runs)
            .where(import_runs.c.id == report.run_id)
            .values(
                finished_at=dt.datetime.now(dt.UTC),
                rows_ok=report.rows_ok,
                rows_failed=len({i.line for i in report.failed}),
            )
        )


async def unfinished_runs(engine: AsyncEngine, data: bytes) -> int:
    """How many imports of this exact file started after its last complete import and never
    finished (the process died): a rerun completes what they left."""
    digest = hashlib.sha256(data).hexdigest()
    last_done = (
        select(func.max(import_runs.c.started_at))
        .where(import_runs.c.file_sha256 == digest, import_runs.c.finished_at.is_not(None))
        .scalar_subquery()
    )
    async with engine.connect() as conn:
        count = await conn.scalar(
            select(func.count())
            .select_from(import_runs)
            .where(
                import_runs.c.file_sha256 == digest,
                import_runs.c.finished_at.is_(None),
                last_done.is_(None) | (import_runs.c.started_at > last_done),
            )
        )
    return int(count or 0)
