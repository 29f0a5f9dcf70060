"""A gpanel + emulator stack where new mail arrives only by the emulator's signed Gmail push
(polling is an hour), and the steps a rep clicks to get there: sign in through the consent
page, connect Gmail, turn MailMagnet on. `signed_push_stack` is the stack on a given database,
its push signed as any service account (the push's OIDC test); `push_stack` the same on a
fresh SQLite file, for the browser tests of live pages (the open record page's "1 new email",
the bell's menu)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from gpanel.emulator.config import EmulatorConfig
from gpanel.store.migrate import upgrade
from tests.support.browser import consent_in_page
from tests.support.servers import free_port
from tests.support.stack import Stack, run_stack

if TYPE_CHECKING:
    from playwright.sync_api import Page

AUDIENCE = "https://gpanel.example/push/gmail"
ACCOUNT = "gmail-push@our-project.iam.gserviceaccount.com"


@contextmanager
def push_stack(tmp_path: Path) -> Iterator[Stack]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'gpanel.db'}"
    upgrade(url)
    with signed_push_stack(url) as running:
        yield running


@contextmanager
def signed_push_stack(
    db_url: str, *, pusher: str = ACCOUNT, auto_consent: bool = False
) -> Iterator[Stack]:
    """gpanel expects pushes signed as `ACCOUNT` for `AUDIENCE`; the emulator signs them as
    `pusher`."""
    # The emulator must know where to push before gpanel starts, so gpanel's port is chosen
    # here rather than by run_stack.
    port = free_port()
    config = EmulatorConfig(
        push_endpoint=f"http://127.0.0.1:{port}/push/gmail",
        push_audience=AUDIENCE,
        push_service_account=pusher,
        auto_consent=auto_consent,
    )
    with run_stack(
        db_url,
        config,
        port=str(port),
        base_url=f"http://127.0.0.1:{port}",
        pubsub_topic="projects/demo/topics/gmail",
        pubsub_audience=AUDIENCE,
        pubsub_service_account=ACCOUNT,
        magnet_poll_seconds="3600",  # only the push can bring the mail in time
    ) as running:
        yield running


def connect_and_switch_on(stack: Stack, page: Page, email: str) -> None:
    """Sign in as `email`, connect Gmail and turn MailMagnet on, through the pages."""
    page.goto(stack.url + "/auth/login")
    page.click("text=Sign in with Google")
    consent_in_page(page, email)
    page.wait_for_url(stack.url + "/")
    page.goto(stack.url + "/mailbox")
    page.click("a:has-text('Connect Gmail')")
    consent_in_page(page, email)
    page.wait_for_url("**/mailbox?notice=connected")
    page.goto(stack.url + "/notifications")
    page.click("button:has-text('Turn on MailMagnet')")
    page.wait_for_url("**/notifications?notice=on")
