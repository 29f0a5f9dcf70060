"""Alembic's environment (`env.py`) and gpanel's schema revisions (`versions/`), applied by
`gpanel.store.migrate`."""
