from tests.support.db import db_url, empty_db_url, engine, pg_database

__all__ = ["db_url", "empty_db_url", "engine", "pg_database"]
