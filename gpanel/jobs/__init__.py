"""The background jobs' schedulers: `embedded` (asyncio tasks in the web process) and `queue`
(procrastinate on PostgreSQL, run by `worker`); both run `registry`'s jobs through `runner`,
and `lifespan` starts the configured one beside the web process's handlers.
"""
