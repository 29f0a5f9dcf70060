"""The whole product over real HTTP, for end-to-end tests: the Google emulator and gpanel, each
on a free port of 127.0.0.1, gpanel's database on SQLite or PostgreSQL (`db_url`).

`Stack.sign_in(email)` returns an httpx client holding that person's session, having gone
through gpanel's real sign-in and the emulator's consent (answered through the control API).
The demo cast's reps (alice@, ben@, carla@, dev@, emma@brightwave.example) exist as Google
accounts with empty mailboxes. `Stack.connect(client, email)` connects their Gmail the same
way. `Stack.connect_direct(email)` connects a mailbox through the same production code without
a browser session (for set-up).
"""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, select

from gpanel.app import create_app
from gpanel.demo.cast import REPS
from gpanel.demo.settings import demo_environment
from gpanel.emulator.config import EmulatorConfig
from gpanel.services.accounts.sessions import CurrentUser
from gpanel.services.ops.demo_setup import connect_through_emulator
from gpanel.settings import Settings
from gpanel.store.engine import create_engine as create_async_engine
from gpanel.store.engine import sync_url
from gpanel.store.tables import users
from tests.support.emulator import RunningEmulator, run_emulator
from tests.support.servers import PortTaken, free_port, serve

TOKEN_KEY = Fernet.generate_key().decode()


@dataclass
class Stack:
    url: str
    emulator: RunningEmulator
    settings: Settings
    db_url: str
    env: dict[str, str] = field(default_factory=dict)

    def browser(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, follow_redirects=True)

    def queue_consent(
        self, email: str, scopes: list[str] | None = None, deny: bool = False
    ) -> None:
        body: dict[str, object] = {"email": email, "deny": deny}
        if scopes is not None:
            body["scopes"] = scopes
        self.emulator.control.post("/_emulator/oauth/next-consent", json=body).raise_for_status()

    def sign_in(self, email: str) -> httpx.Client:
        client = self.browser()
        self.queue_consent(email)
        page = client.get("/auth/google")
        assert page.status_code == 200 and page.url.path == "/", page.text[:300]
        return client

    def connect(
        self, client: httpx.Client, email: str, scopes: list[str] | None = None
    ) -> httpx.Response:
        self.queue_consent(email, scopes)
        return client.get("/mailbox/connect")  # the page's Connect button is a link

    def connect_direct(self, email: str) -> int:
        """Connect an existing gpanel user's mailbox through the production code path, with no
        browser session; returns the mailbox id."""

        async def go() -> int:
            engine = create_async_engine(self.settings.resolved_database_url)
            try:
                async with engine.connect() as conn:
                    row = (
                        await conn.execute(select(users).where(users.c.email == email.lower()))
                    ).one()
                user = CurrentUser(row.id, row.email, row.name, row.role, row.team_id)
                box = await connect_through_emulator(engine, self.settings, self.emulator.url, user)
                return box.id
            finally:
                await engine.dispose()

        return asyncio.run(go())

    def rows(self, table: Any) -> list[Any]:
        engine = create_engine(sync_url(self.db_url))
        try:
            with engine.connect() as conn:
                return list(conn.execute(select(table)).all())
        finally:
            engine.dispose()


def seen(response: httpx.Response) -> str:
    """The page's text as a reader sees it (entities such as &#39; decoded)."""
    return html.unescape(response.text)


def csrf(client: httpx.Client, path: str = "/mailbox") -> str:
    match = re.search(r'name="csrf-token" content="([^"]+)"', client.get(path).text)
    assert match, "page has no CSRF token"
    return match.group(1)


def stack_settings(
    db_url: str, emulator_url: str, **overrides: str
) -> tuple[Settings, dict[str, str]]:
    env = demo_environment(
        host="127.0.0.1",
        port=free_port(),
        emulator_port=int(emulator_url.rsplit(":", 1)[1]),
        data_dir="unused",
    )
    env["GPANEL_DATABASE_URL"] = db_url
    env["GPANEL_TOKEN_KEYS"] = TOKEN_KEY
    # Tests change mailboxes behind gpanel's back (the emulator's control API) and look at
    # once: every view asks Gmail. The window's own tests pass panel_validator_window_ms.
    env["GPANEL_PANEL_VALIDATOR_WINDOW_MS"] = "0"
    env.update({f"GPANEL_{k.upper()}": v for k, v in overrides.items()})
    return Settings.from_mapping(env), env


@contextmanager
def run_stack(
    db_url: str, config: EmulatorConfig | None = None, **overrides: str
) -> Iterator[Stack]:
    """The emulator (fresh, with `config`) and gpanel on `db_url`, both over real HTTP."""
    with run_emulator(config or EmulatorConfig()) as emu:
        for rep in REPS:  # Google accounts for the demo reps, with empty mailboxes
            emu.add_user(rep.email, rep.name)
        with ExitStack() as running:
            for _ in range(5):
                # gpanel's port is in its settings (its public URL, OAuth's redirect), so a
                # port the other test worker took in the meantime means new settings.
                settings, env = stack_settings(db_url, emu.url, **overrides)
                try:
                    url = running.enter_context(serve(create_app(settings), port=settings.port))
                    break
                except PortTaken:
                    continue
            else:
                raise RuntimeError("no free port for gpanel after 5 tries")
            yield Stack(url, emu, settings, db_url, env)


@pytest.fixture
def stack(db_url: str) -> Iterator[Stack]:
    """gpanel + a fresh emulator on each database engine."""
    with run_stack(db_url) as running:
        yield running
