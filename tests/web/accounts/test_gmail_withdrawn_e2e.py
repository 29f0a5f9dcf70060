"""When the admin withdraws "may connect Gmail", over real HTTP on both database engines.

Reps without a mailbox are no longer offered Connect (home page, mailbox page, the connect
route refuses). A rep whose mailbox is already connected stops being read: the panel and the
thread view show nothing from it to anyone, the background jobs skip it (schedulers and the
push endpoint's lookup), the owner sees a notice saying so on the home and mailbox pages, and
the admin's mailbox list says the mailbox is not read and why. Allowing Gmail again restores it.
"""

from __future__ import annotations

from typing import Any

from gpanel.services.ops import job_state
from gpanel.services.sharing import rules as sharing
from gpanel.services.sharing.policy import Audience, Detail, Feature
from tests.support.stack import Stack, seen
from tests.web.thread_support import ALICE, BEN, PAT, World, build_world, db, mail

WITHDRAWN = "Your admin has withdrawn Gmail for your account"


def _allow(world: World, allowed: bool | None) -> None:
    async def go(engine: Any) -> None:
        await sharing.set_feature(engine, "role", "rep", Feature.CONNECT_GMAIL, allowed)

    db(world.stack, go)


def _due(world: World) -> dict[str, list[int]]:
    async def go(engine: Any) -> dict[str, list[int]]:
        return (await job_state.due(engine, world.stack.settings)).jobs

    return db(world.stack, go)


def _push_lookup(world: World) -> int | None:
    async def go(engine: Any) -> int | None:
        return await job_state.magnet_mailbox_for_address(engine, BEN)

    return db(world.stack, go)


def _panel(world: World, client: Any) -> str:
    answer = client.get(f"/records/contact/{world.contact_id}/panel")
    assert answer.status_code == 200, answer.text[:300]
    return seen(answer)


def test_withdrawing_gmail_stops_offers_and_reading(stack: Stack) -> None:
    """Withdrawn: no Connect offered, Ben's connected mailbox unread everywhere, notices to
    Ben and the admin; allowed again: everything is back."""
    world = build_world(stack)
    world.share(Audience.RECORD_ACCESS, Detail.FULL)
    raw, _ = mail(f"Pat Buyer <{PAT}>", f"Ben <{BEN}>", "Fleet renewal", "Numbers inside.")
    thread = world.insert(raw)["threadId"]

    async def magnet_on(engine: Any) -> None:
        await job_state.set_magnet_enabled(engine, world.mailbox_id, True)

    db(stack, magnet_on)
    assert "Fleet renewal" in _panel(world, world.carla)
    assert world.mailbox_id in _due(world)["magnet"]
    assert _push_lookup(world) == world.mailbox_id
    assert "Connect your Gmail" in seen(world.carla.get("/"))  # Carla has no mailbox yet

    _allow(world, False)
    carla_home = seen(world.carla.get("/"))
    assert "Connect your Gmail" not in carla_home and "/mailbox/connect" not in carla_home
    assert "Your admin has not enabled Gmail" in seen(world.carla.get("/mailbox"))
    assert world.carla.get("/mailbox/connect", follow_redirects=False).status_code == 403

    assert "Fleet renewal" not in _panel(world, world.carla)
    assert "Fleet renewal" not in _panel(world, world.ben)
    assert "Fleet renewal" not in seen(world.ben.get(world.url(thread)))
    assert "Fleet renewal" not in seen(world.carla.get(world.url(thread)))
    assert world.mailbox_id not in _due(world)["magnet"]
    assert _push_lookup(world) is None
    assert WITHDRAWN in seen(world.ben.get("/"))
    assert WITHDRAWN in seen(world.ben.get("/mailbox"))
    admin = stack.sign_in(ALICE)
    assert "Not read: Gmail is withdrawn for this person" in seen(admin.get("/admin"))

    _allow(world, None)  # back to the default: allowed
    assert "Fleet renewal" in _panel(world, world.carla)
    assert world.mailbox_id in _due(world)["magnet"]
    assert WITHDRAWN not in seen(world.ben.get("/"))
    assert "Not read" not in seen(admin.get("/admin"))
