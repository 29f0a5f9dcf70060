"""`gpanel import companies|contacts|leads|deals FILE.csv`: CRM exports into the store.

The file is refused as a whole, before anything is written, when it is not readable text or
lacks a required column (docs/csv-import.md lists the columns and accepted aliases). Otherwise
each row is checked on its own: a bad row is reported with its line number, column and reason
and skipped; good rows are kept. Rows are written in chunks (default 1,000), each chunk in one
transaction, so a chunk is either fully written or not at all. If the process dies mid-file,
the chunks already committed stay, the run is left marked unfinished in `import_runs`, and
running the same file again completes it: rows are matched on external id or email (see
`csv_writers`), so a rerun updates instead of duplicating. A dry run does all of this inside a
single transaction and rolls it back.

A contact naming a company gpanel does not know creates that company (by name only); a deal
naming an unknown contact address is kept without a primary contact, with a warning.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from gpanel.crm.csv.columns import KINDS, map_headers, missing_required
from gpanel.crm.csv.read import (
    BadValue,
    ImportRefused,
    decide_date_order,
    decode,
    parse_amount,
    parse_date,
    read_rows,
)
from gpanel.crm.csv.writers import (
    ChunkResult,
    CompanyResolver,
    CompanyRow,
    ContactRow,
    DealRow,
    RowIssue,
    write_companies,
    write_contacts,
    write_deals,
)
from gpanel.crm.emails import is_valid_domain, is_valid_email, normalise_domain, normalise_email
from gpanel.crm.freemail import is_free_mail
from gpanel.store.tables import import_runs, stages, users

__all__ = ["KINDS", "ImportRefused", "ImportReport", "RowIssue", "import_csv"]

Progress = Callable[[int, int], None]
_SPLIT = re.compile(r"[,;\s]+")


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


@dataclass
class _Lookups:
    users_by_email: dict[str, int]
    users_by_name: dict[str, int]
    stages: dict[str, str]


class _Row:
    """One CSV row with typed accessors that record problems instead of raising."""

    def __init__(self, line: int, cells: list[str], mapping: dict[str, int], header: list[str]):
        self.line, self.cells, self.mapping, self.header = line, cells, mapping, header
        self.errors: list[RowIssue] = []
        self.warnings: list[RowIssue] = []

    def column(self, name: str) -> str:
        index = self.mapping.get(name)
        return self.header[index].strip() if index is not None else name

    def get(self, name: str) -> str | None:
        index = self.mapping.get(name)
        if index is None or index >= len(self.cells):
            return None
        return self.cells[index].strip() or None

    def error(self, name: str, reason: str) -> None:
        self.errors.append(RowIssue(self.line, self.column(name), reason))

    def warn(self, name: str, reason: str) -> None:
        self.warnings.append(RowIssue(self.line, self.column(name), reason))

    def owner(self, lookups: _Lookups) -> int | None:
        value = self.get("owner")
        if value is None:
            return None
        found = (
            lookups.users_by_email.get(normalise_email(value))
            if "@" in value
            else lookups.users_by_name.get(value.lower())
        )
        if found is None:
            self.warn("owner", f"no gpanel user {value!r}; the owner is left unchanged")
        return found


def _parse_company(row: _Row, lookups: _Lookups, seen: dict[str, int]) -> CompanyRow | None:
    name = row.get("name")
    if not name:
        row.error("name", "the company name is empty")
    domains: tuple[str, ...] | None = None
    if "domains" in row.mapping:
        found: list[str] = []
        for raw in _SPLIT.split(row.get("domains") or ""):
            domain = normalise_domain(raw) if raw else ""
            if not domain:
                continue
            if not is_valid_domain(domain):
                row.error("domains", f"{raw!r} is not a domain")
            elif is_free_mail(domain):
                row.error("domains", f"{domain} is a free-mail domain, not a company's")
            elif domain in seen:
                row.error("domains", f"{domain} is also on line {seen[domain]}")
            elif domain not in found:
                found.append(domain)
        domains = tuple(found)
        seen.update({d: row.line for d in found})
    external_id = row.get("external_id")
    key = f"ext:{external_id}" if external_id else f"name:{(name or '').lower()}"
    if name and key in seen:
        row.error("external_id" if external_id else "name", f"duplicate of line {seen[key]}")
    seen.setdefault(key, row.line)
    owner = row.owner(lookups)
    if row.errors or not name:
        return None
    return CompanyRow(row.line, name, external_id, domains, owner)


def _parse_contact(row: _Row, lookups: _Lookups, seen: dict[str, int]) -> ContactRow | None:
    emails: list[str] = []
    for name in ("email", "other_emails"):
        for raw in _SPLIT.split(row.get(name) or ""):
            address = normalise_email(raw)
            if not address:
                continue
            if not is_valid_email(address):
                row.error(name, f"{raw!r} is not an email address")
            elif address in seen:
                row.error(name, f"{address} is also on line {seen[address]}")
            elif address not in emails:
                emails.append(address)
    external_id = row.get("external_id")
    if external_id and f"ext:{external_id}" in seen:
        row.error("external_id", f"duplicate of line {seen[f'ext:{external_id}']}")
    first, last = row.get("first_name"), row.get("last_name")
    full = row.get("name")
    if full and not (first or last):
        first, _, last = full.rpartition(" ") if " " in full else ("", "", full)
    if not emails and not external_id:
        row.error("email", "a contact needs an email address or an external id")
    kind = (row.get("kind") or "").lower().rstrip("s")
    owner = row.owner(lookups)
    if row.errors:
        return None
    seen.update({e: row.line for e in emails})
    if external_id:
        seen[f"ext:{external_id}"] = row.line
    return ContactRow(
        row.line,
        tuple(emails),
        external_id,
        first or None,
        last or None,
        row.get("title"),
        kind if kind in ("contact", "lead") else None,
        row.get("company"),
        row.get("company_external_id"),
        owner,
    )


def _parse_deal(
    row: _Row, lookups: _Lookups, seen: dict[str, int], date_order: str
) -> DealRow | None:
    name = row.get("name")
    if not name:
        row.error("name", "the deal name is empty")
    stage_text = row.get("stage")
    stage = lookups.stages.get((stage_text or "").lower())
    if stage is None:
        known = ", ".join(lookups.stages.values())
        row.error("stage", f"unknown stage {stage_text or ''!r} (known: {known})")
    amount = closing = None
    try:
        amount = parse_amount(row.get("amount") or "") if row.get("amount") else None
    except BadValue as exc:
        row.error("amount", str(exc))
    try:
        value = row.get("closing_date")
        closing = parse_date(value, date_order) if value else None
    except BadValue as exc:
        row.error("closing_date", str(exc))
    contact = normalise_email(row.get("contact_email") or "") or None
    if contact and not is_valid_email(contact):
        row.warn("contact_email", f"{contact!r} is not an email address; ignored")
        contact = None
    external_id = row.get("external_id")
    company = row.get("company")
    key = f"ext:{external_id}" if external_id else f"{(name or '').lower()}|{company or ''}"
    if name and key in seen:
        row.error("external_id" if external_id else "name", f"duplicate of line {seen[key]}")
    seen.setdefault(key, row.line)
    owner = row.owner(lookups)
    if row.errors or not name or stage is None:
        return None
    return DealRow(
        row.line,
        name,
        stage,
        external_id,
        amount,
        closing,
        owner,
        company,
        row.get("company_external_id"),
        contact,
    )


async def _lookups(conn: AsyncConnection) -> _Lookups:
    by_email: dict[str, int] = {}
    by_name: dict[str, int] = {}
    for uid, email, name in await conn.execute(select(users.c.id, users.c.email, users.c.name)):
        by_email[email] = uid
        by_name.setdefault(name.lower(), uid)
    names = (await conn.scalars(select(stages.c.name).order_by(stages.c.position))).all()
    return _Lookups(by_email, by_name, {n.lower(): n for n in names})


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
) -> ImportReport:
    """Import `path` as `kind` records; ImportRefused if the file as a whole cannot be used."""
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
        lookups = await _lookups(conn)

    seen: dict[str, int] = {}
    parsed: list[CompanyRow | ContactRow | DealRow] = []
    for line, cells in raw_rows:
        row = _Row(line, cells, mapping, header)
        record: CompanyRow | ContactRow | DealRow | None
        if kind == "companies":
            record = _parse_company(row, lookups, seen)
        elif kind == "deals":
            record = _parse_deal(row, lookups, seen, report.date_order or "dmy")
        else:
            record = _parse_contact(row, lookups, seen)
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
