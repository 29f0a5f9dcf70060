"""The terminal side of `gpanel import`: progress, the report, and the exit status.

Progress is a tqdm bar when stderr is a terminal, and plain lines (every 10% or 5 seconds)
otherwise, so logs of scheduled imports stay readable. The report lists each failed row with
its line, column and reason (the first 50, then a count), then warnings.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import click
from tqdm import tqdm

from gpanel.crm.csv.importer import ImportRefused, ImportReport, import_csv, unfinished_runs
from gpanel.store.engine import create_engine
from gpanel.store.migrate import current, head

SHOWN = 50


class _Lines:
    """Plain progress lines for non-terminals: at most every 5 s or 10% of the file. They count
    rows checked (dry run) or processed, not "imported": some of them may fail, which the
    report after them says."""

    def __init__(self, verb: str) -> None:
        self.verb = verb
        self.last_time = 0.0
        self.last_fraction = -1.0

    def __call__(self, done: int, total: int) -> None:
        fraction = done / total if total else 1.0
        now = time.monotonic()
        if done == total or now - self.last_time >= 5 or fraction - self.last_fraction >= 0.1:
            click.echo(f"{self.verb} {done}/{total} rows ({fraction:.0%})", err=True)
            self.last_time, self.last_fraction = now, fraction


def run_import(
    database_url: str,
    kind: str,
    file: str | Path,
    *,
    dry_run: bool = False,
    date_format: str = "auto",
    encoding: str | None = None,
    org_domains: frozenset[str] = frozenset(),
) -> int:
    """Run one import from the command line; returns the process exit status. It acts as an
    admin (an operator runs it); `org_domains` are never accepted as CRM addresses."""
    path = Path(file)
    if current(database_url) != head():
        click.echo("The database schema is not up to date: run `gpanel migrate` first.", err=True)
        return 1
    try:
        report = asyncio.run(
            _run(database_url, kind, path, dry_run, date_format, encoding, org_domains)
        )
    except ImportRefused as exc:
        click.echo(f"Refused {path.name}: {exc}", err=True)
        return 1
    _print(report)
    return 2 if report.failed else 0


async def _run(
    url: str,
    kind: str,
    path: Path,
    dry_run: bool,
    date_format: str,
    encoding: str | None,
    org_domains: frozenset[str],
) -> ImportReport:
    engine = create_engine(url)
    bar: tqdm[None] | None = None
    try:
        if not dry_run and await unfinished_runs(engine, await asyncio.to_thread(path.read_bytes)):
            click.echo("An earlier import of this file did not finish; this run completes it.")
        if sys.stderr.isatty():
            desc = f"{'check' if dry_run else 'import'} {kind}"
            bar = tqdm(total=0, unit="row", desc=desc, file=sys.stderr)

            def progress(done: int, total: int) -> None:
                assert bar is not None
                bar.total = total
                bar.n = done
                bar.refresh()

            return await import_csv(
                engine,
                kind,
                path,
                dry_run=dry_run,
                date_format=date_format,
                encoding=encoding,
                org_domains=org_domains,
                progress=progress,
            )
        return await import_csv(
            engine,
            kind,
            path,
            dry_run=dry_run,
            date_format=date_format,
            encoding=encoding,
            org_domains=org_domains,
            progress=_Lines("checked" if dry_run else "processed"),
        )
    finally:
        if bar is not None:
            bar.close()
        await engine.dispose()


def _print(report: ImportReport) -> None:
    verb = "would import" if report.dry_run else "imported"
    click.echo(
        f"{report.file_name} ({report.encoding}): {report.rows_total} rows; {verb} "
        f"{report.created} new and {report.updated} updated {report.kind}"
        + (f", {report.companies_created} new companies" if report.companies_created else "")
        + f"; {len({i.line for i in report.failed})} rows failed."
    )
    if report.date_order:
        click.echo(f"Dates read as {'day/month' if report.date_order == 'dmy' else 'month/day'}.")
    if report.unknown_columns:
        click.echo("Ignored columns: " + ", ".join(report.unknown_columns))
    for title, issues in (("Failed rows", report.failed), ("Warnings", report.warnings)):
        if not issues:
            continue
        click.echo(f"{title}:")
        for issue in issues[:SHOWN]:
            click.echo(f"  line {issue.line}, {issue.column}: {issue.reason}")
        if len(issues) > SHOWN:
            click.echo(f"  ... and {len(issues) - SHOWN} more")
