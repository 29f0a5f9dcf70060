"""The database: engine (SQLite or PostgreSQL), Core tables, Alembic migrations, upserts."""
