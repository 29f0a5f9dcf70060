"""A gpanel server over real HTTP on a migrated database seeded with the demo CRM, and signed-in
API clients for its users (sessions opened by the real accounts service, no Google needed)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass

import httpx

from gpanel.app import create_app
from gpanel.crm.seed import seed_demo_crm
from gpanel.demo.settings import demo_environment
from gpanel.services.accounts.sessions import sign_in
from gpanel.settings import Settings
from gpanel.store.engine import create_engine
from gpanel.web.guard.session import SESSION_COOKIE, SessionCodec
from tests.support.servers import free_port, serve

ADMIN = "alice@brightwave.example"
REP_EAST = "carla@brightwave.example"


@dataclass
class CrmStack:
    url: str
    settings: Settings
    db_url: str

    @asynccontextmanager
    async def client(self, email: str | None) -> AsyncIterator[httpx.AsyncClient]:
        """An HTTP client signed in as `email` (None: signed out), sending the CSRF header."""
        headers: dict[str, str] = {}
        cookies: dict[str, str] = {}
        if email:
            engine = create_engine(self.db_url)
            try:
                _, session_id = await sign_in(engine, self.settings, email, email)
            finally:
                await engine.dispose()
            codec = SessionCodec(self.settings.secret_key.get_secret_value())
            cookies[SESSION_COOKIE] = codec.dumps(session_id)
            headers["X-CSRF-Token"] = codec.csrf_token(session_id)
        async with httpx.AsyncClient(
            base_url=self.url, headers=headers, cookies=cookies, timeout=30
        ) as client:
            yield client


async def seed(db_url: str, today: dt.date) -> None:
    engine = create_engine(db_url)
    try:
        async with engine.begin() as conn:
            await seed_demo_crm(conn, today)
    finally:
        await engine.dispose()


@contextmanager
def crm_stack(db_url: str) -> Iterator[CrmStack]:
    env = demo_environment(
        host="127.0.0.1", port=free_port(), emulator_port=free_port(), data_dir="unused"
    )
    env["GPANEL_DATABASE_URL"] = db_url
    env["GPANEL_PANEL_VALIDATOR_WINDOW_MS"] = "0"  # as tests/support/stack.py
    settings = Settings.from_mapping(env)
    with serve(create_app(settings), port=settings.port) as url:
        yield CrmStack(url, settings, db_url)
