"""Alembic's environment for gpanel: run migrations on the URL `gpanel.store.migrate` passes.

There is no alembic.ini: `migrate.py` builds the Alembic config in code and puts the
synchronous database URL in `config.attributes["url"]` (not in the ini options, where a `%`
in a password would be read as interpolation). SQLite runs in batch mode, because it can
alter a table only by copying it.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from gpanel.store.tables import metadata

config = context.config


def run_migrations() -> None:
    url: str = config.attributes["url"]
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=metadata,
                render_as_batch=connection.dialect.name == "sqlite",
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("gpanel runs migrations online only: use `gpanel migrate`.")
run_migrations()
