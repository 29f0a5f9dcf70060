"""The `gpanel` command: serve, demo, emulator, worker, migrate, import, doctor.

Each subcommand reads settings once, then calls into the package; nothing here holds logic
that a test would want to reach without a terminal.
"""

from __future__ import annotations

import sys

import click

from gpanel.logs import configure_logging
from gpanel.settings import Settings, SettingsError


def load_settings(**overrides: str) -> Settings:
    """Settings from the environment and .env, with command-line overrides on top."""
    import os

    env = dict(os.environ)
    env.update({f"GPANEL_{k.upper()}": v for k, v in overrides.items() if v is not None})
    try:
        from dotenv import dotenv_values

        merged = {**dotenv_values(".env"), **env}
        return Settings.from_mapping(merged)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


def setup_logging(level: str) -> None:
    configure_logging(level)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """gpanel: your Gmail threads on every CRM record, live.

    \b
    Quick start (no Google account needed):
      gpanel demo            run everything locally with a built-in Google emulator
    In production:
      gpanel migrate         create or upgrade the database schema
      gpanel serve           run the web app (settings from the environment or .env)
      gpanel worker          run background jobs from the PostgreSQL task queue
    """


@main.command()
@click.option("--host", default=None, help="Interface to listen on (default from settings).")
@click.option("--port", default=None, type=int, help="Port to listen on (default from settings).")
def serve(host: str | None, port: int | None) -> None:
    """Run the gpanel web app."""
    import uvicorn

    from gpanel.app import create_app

    settings = load_settings()
    setup_logging(settings.log_level)
    uvicorn.run(
        create_app(settings),
        host=host or settings.host,
        port=port or settings.port,
        log_level=settings.log_level.lower(),
        proxy_headers=True,
    )


@main.command()
@click.option(
    "--database-url", default=None, help="Migrate this database instead of the configured one."
)
@click.option("--revision", default="head", show_default=True, help="Target revision.")
def migrate(database_url: str | None, revision: str) -> None:
    """Create or upgrade the database schema (safe to run on every deploy)."""
    from gpanel.store import migrate as store_migrate

    settings = load_settings(database_url=database_url) if database_url else load_settings()
    setup_logging(settings.log_level)
    url = settings.resolved_database_url
    before = store_migrate.current(url)
    store_migrate.upgrade(url, revision)
    after = store_migrate.current(url)
    if before == after:
        click.echo(f"Database already at revision {after}; nothing to do.")
    else:
        click.echo(f"Database migrated from {before or 'empty'} to {after}.")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, help="gpanel's port.")
@click.option(
    "--emulator-port", default=8025, show_default=True, help="The Google emulator's port."
)
@click.option(
    "--data-dir",
    default="var/demo",
    show_default=True,
    help="Where the demo keeps its SQLite database.",
)
@click.option("--fresh", is_flag=True, help="Start from an empty demo database.")
@click.option(
    "--latency-ms",
    default=0.0,
    show_default=True,
    help="Add this much latency to every emulated Gmail request.",
)
def demo(
    host: str, port: int, emulator_port: int, data_dir: str, fresh: bool, latency_ms: float
) -> None:
    """Run gpanel with a built-in Google emulator and demo data. No Google account needed."""
    import asyncio
    import contextlib
    from pathlib import Path

    from gpanel.demo_server import DemoPlan, run

    setup_logging("INFO")
    plan = DemoPlan(
        host=host,
        port=port,
        emulator_port=emulator_port,
        data_dir=Path(data_dir),
        fresh=fresh,
        latency_ms=latency_ms,
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run(plan))


@main.command("import")
@click.argument("kind", type=click.Choice(["companies", "contacts", "leads", "deals"]))
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check every row and report, but write nothing.")
@click.option(
    "--date-format",
    type=click.Choice(["auto", "dmy", "mdy"]),
    default="auto",
    show_default=True,
    help="How to read dates like 03/04/2026: day first (dmy), month first (mdy), or decided "
    "from the file's unambiguous dates (auto).",
)
@click.option("--encoding", default=None, help="Force the file's text encoding (e.g. cp1252).")
@click.option("--database-url", default=None, help="Import into this database instead.")
def import_(
    kind: str,
    file: str,
    dry_run: bool,
    date_format: str,
    encoding: str | None,
    database_url: str | None,
) -> None:
    """Import CRM records from a CSV export (see docs/csv-import.md for the columns).

    \b
    Bad rows are listed with line, column and reason; good rows are imported. Running the same
    file again updates the same records (matched on external id or email), never duplicates.
    Exit status: 0 all rows imported, 2 some rows failed, 1 the file was refused.
    """
    from gpanel.crm.csv.cli import run_import

    settings = load_settings(database_url=database_url) if database_url else load_settings()
    setup_logging(settings.log_level)
    code = run_import(
        settings.resolved_database_url,
        kind,
        file,
        dry_run=dry_run,
        date_format=date_format,
        encoding=encoding,
        org_domains=settings.own_domains,
    )
    sys.exit(code)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8025, show_default=True, type=int, help="Port to listen on.")
@click.option("--seed", type=click.Choice(["demo"]), default=None, help="Seed demo mailboxes.")
@click.option(
    "--latency-ms",
    default=0.0,
    show_default=True,
    type=float,
    help="Latency added to every Gmail API request.",
)
def emulator(host: str, port: int, seed: str | None, latency_ms: float) -> None:
    """Run the Google emulator (Gmail API subset + OAuth) standalone, for tests and demos."""
    import uvicorn

    from gpanel.emulator.app import create_emulator
    from gpanel.emulator.config import EmulatorConfig

    config = EmulatorConfig(base_url=f"http://{host}:{port}", seed=seed, latency_ms=latency_ms)
    setup_logging("INFO")
    uvicorn.run(create_emulator(config), host=host, port=port, log_level="info")


@main.command()
@click.option(
    "--rotate-keys",
    is_flag=True,
    help="Re-encrypt stored tokens under the first key of GPANEL_TOKEN_KEYS.",
)
@click.option(
    "--demo",
    "demo_mode",
    is_flag=True,
    help="Check a running `gpanel demo` (its settings, database and emulator) instead.",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="With --demo: its host.")
@click.option("--port", default=8000, show_default=True, help="With --demo: gpanel's port.")
@click.option(
    "--emulator-port", default=8025, show_default=True, help="With --demo: the emulator's port."
)
@click.option(
    "--data-dir", default="var/demo", show_default=True, help="With --demo: its data directory."
)
def doctor(
    rotate_keys: bool, demo_mode: bool, host: str, port: int, emulator_port: int, data_dir: str
) -> None:
    """Check settings, the database and every connected mailbox, in plain words.

    With --demo, check a running `gpanel demo` started with the same --host, --port,
    --emulator-port and --data-dir: the demo's own settings (not .env), its database, that
    gpanel answers, and every demo mailbox through the demo's Google emulator.
    """
    import asyncio
    from pathlib import Path

    from gpanel.services.context import open_context
    from gpanel.services.ops.doctor import run_doctor

    if demo_mode:
        from gpanel.demo_server import DemoPlan

        plan = DemoPlan(host=host, port=port, emulator_port=emulator_port, data_dir=Path(data_dir))
        if not (plan.data_dir / "gpanel.db").exists():
            raise click.ClickException(
                f"No demo database in {plan.data_dir}: start `gpanel demo` first "
                "(with the same --data-dir)."
            )
        settings = plan.settings
    else:
        settings = load_settings()
    setup_logging("WARNING")

    async def go() -> tuple[list[str], bool]:
        async with open_context(settings) as ctx:
            return await run_doctor(ctx, rotate_keys=rotate_keys, check_app=demo_mode)

    lines, ok = asyncio.run(go())
    for line in lines:
        click.echo(line)
    raise SystemExit(0 if ok else 1)


@main.command()
@click.option(
    "--concurrency", default=10, show_default=True, type=int, help="Jobs this worker runs at once."
)
@click.option("--name", default=None, help="A name for this worker in logs and the queue.")
def worker(concurrency: int, name: str | None) -> None:
    """Run background jobs (MailMagnet, labels) from the PostgreSQL task queue.

    \b
    Needs GPANEL_QUEUE=procrastinate and a PostgreSQL GPANEL_DATABASE_URL; run as many as
    you like. The web app then only queues work; workers share one Gmail budget per mailbox.
    """
    import asyncio

    from gpanel.jobs.worker import work
    from gpanel.services.context import open_context
    from gpanel.settings import Queue

    settings = load_settings()
    setup_logging(settings.log_level)
    if settings.queue is not Queue.PROCRASTINATE or not settings.resolved_database_url.startswith(
        "postgresql"
    ):
        raise click.ClickException(
            "gpanel worker needs GPANEL_QUEUE=procrastinate and a PostgreSQL "
            "GPANEL_DATABASE_URL. With the default GPANEL_QUEUE=embedded, `gpanel serve` runs "
            "the background jobs itself and no worker is needed."
        )

    async def go() -> None:
        async with open_context(settings) as ctx:
            await work(ctx, concurrency=concurrency, name=name)

    asyncio.run(go())


if __name__ == "__main__":
    main()
