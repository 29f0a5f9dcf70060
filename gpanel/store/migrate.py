"""Schema migrations: bring a database to the newest revision, or say which one it is at.

Alembic is synchronous, so these functions are too; async callers run them in a thread
(`await asyncio.to_thread(upgrade, url)`). They accept the same URL the app uses (async
drivers included) and derive the synchronous one. The Alembic config is built in code from the
package's `migrations/` folder, so no alembic.ini has to be found on disk.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, pool

from gpanel.store.engine import sync_url

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(database_url: str) -> Config:
    """An Alembic config for `database_url` (async or sync URL), with no ini file."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["url"] = sync_url(database_url)
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Apply every migration up to `revision` (default: the newest). Safe to run repeatedly."""
    _ensure_sqlite_dir(database_url)
    command.upgrade(alembic_config(database_url), revision)


def current(database_url: str) -> str | None:
    """The revision the database is at, or None for an empty (never migrated) database."""
    _ensure_sqlite_dir(database_url)
    engine = create_engine(sync_url(database_url), poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def head() -> str:
    """The newest revision this version of gpanel knows."""
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    revision = script.get_current_head()
    assert revision is not None
    return revision


def _ensure_sqlite_dir(database_url: str) -> None:
    # The async engine creates the data directory; Alembic's sync engine does not.
    from sqlalchemy.engine import make_url

    parsed = make_url(database_url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
