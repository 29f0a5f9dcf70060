"""Label runs against the emulator over HTTP: labels found again (not duplicated) after a
restart, on a case-different name, and when two runs create them at once (409); a stale
history id resyncs with a full pass; a revoked token fails the run with a recorded error;
preview changes nothing; explain says why."""

from __future__ import annotations

import asyncio
import datetime as dt

from gpanel.crm import contacts, deals
from gpanel.services.accounts import mailboxes
from gpanel.services.labels import state as labels_state
from gpanel.services.labels.explain import Why, explain_contact, explain_message
from gpanel.services.labels.plan import label_names
from gpanel.services.labels.preview import preview
from gpanel.services.labels.run import ensure_labels, run_labels
from tests.services.labels.world import World, enable, label_world
from tests.support.emulator import RunningEmulator


async def seed(world: World) -> tuple[int, str, str]:
    today = dt.datetime.now(dt.UTC).date()
    async with world.ctx.engine.begin() as conn:
        person = await contacts.create_contact(
            conn, first_name="Cy", last_name="Customer", emails=["cy@cust.example"]
        )
        await deals.create_deal(
            conn,
            name="Won it",
            stage="Closed Won",
            closing_date=today - dt.timedelta(days=90),
            primary_contact_id=person.id,
        )
    recent = world.add_message("cy@cust.example", days_ago=2)
    old = world.add_message("cy@cust.example", days_ago=45)
    return person.id, recent, old


def user_labels(world: World) -> list[str]:
    return sorted(x.name for x in world.gmail_box().labels.all() if x.type == "user")


async def test_labels_are_found_again_not_duplicated(
    db_url: str, emulator: RunningEmulator
) -> None:
    """A label that already exists (another case) is reused; after a "restart" (label ids
    forgotten) the same labels are found; two concurrent creations end with one label each."""
    async with label_world(db_url, emulator) as world:
        existing = world.user_label("crm/customers")
        await seed(world)
        await enable(world)
        assert (await run_labels(world.ctx, world.mailbox_id)).status == "done"
        job = await labels_state.get(world.ctx.engine, world.mailbox_id)
        assert job.label_ids[max(job.label_ids)] and existing in job.label_ids.values()
        await labels_state.forget_label_ids(world.ctx.engine, job)
        await labels_state.set_enabled(
            world.ctx.engine, world.mailbox_id, dt.datetime.now(dt.UTC) - dt.timedelta(days=30)
        )
        assert (await run_labels(world.ctx, world.mailbox_id)).status == "done"
        again = await labels_state.get(world.ctx.engine, world.mailbox_id)
        assert again.label_ids == job.label_ids
        assert user_labels(world) == [
            "CRM/Deals Closing This Month",
            "CRM/Open Deals",
            "crm/customers",
        ]

    async with label_world(db_url, emulator) as fresh:
        mb = fresh.ctx.gmail.mailbox(str(fresh.mailbox_id))
        names = label_names(fresh.ctx.settings.label_names)
        first, second = await asyncio.gather(
            ensure_labels(mb, names, {}), ensure_labels(mb, names, {})
        )
        assert first == second
        assert len(user_labels(fresh)) == 3


async def test_stale_history_resyncs_within_the_window(
    db_url: str, emulator: RunningEmulator
) -> None:
    """A 404 on history.list turns the run into a full pass; old mail stays untouched."""
    async with label_world(db_url, emulator) as world:
        _, recent, old = await seed(world)
        await enable(world)
        await run_labels(world.ctx, world.mailbox_id)
        world.add_message("cy@cust.example", days_ago=0)
        emulator.control.post(
            "/_emulator/faults",
            json={
                "user": world.email,
                "method": "gmail.users.history.list",
                "kind": "stale_history",
            },
        ).raise_for_status()
        report = await run_labels(world.ctx, world.mailbox_id)
        assert (report.kind, report.reason) == ("full", "Gmail's change history expired")
        assert report.modified == 1
        cust = world.gmail_box().labels.by_name("CRM/Customers").id
        assert cust in world.labels_of(recent) and cust not in world.labels_of(old)


async def test_revoked_token_fails_the_run_with_a_recorded_error(
    db_url: str, emulator: RunningEmulator
) -> None:
    """Google refusing the refresh token marks the run failed, records why on the job and the
    mailbox, and raises nothing."""
    async with label_world(db_url, emulator) as world:
        await seed(world)
        await enable(world)
        emulator.control.post(
            "/_emulator/oauth/revoke-user", json={"email": world.email}
        ).raise_for_status()
        world.ctx.tokens.forget(str(world.mailbox_id))
        report = await run_labels(world.ctx, world.mailbox_id)
        assert report.status == "failed" and "reconnect" in report.reason
        job = await labels_state.get(world.ctx.engine, world.mailbox_id)
        assert job.last_error and job.last_error.startswith("Category labels: ")
        assert job.history_id is None
        box = await mailboxes.get(world.ctx.engine, world.mailbox_id)
        assert box is not None and box.status == "needs_reconnect"
        skipped = await run_labels(world.ctx, world.mailbox_id)
        assert skipped.status == "skipped"


async def test_preview_changes_nothing_and_explain_says_why(
    db_url: str, emulator: RunningEmulator
) -> None:
    """Preview counts the move and creates no label; explain covers labelled, outside the
    window, not a contact, no deal, and labels disabled."""
    async with label_world(db_url, emulator) as world:
        person, recent, old = await seed(world)
        stranger = world.add_message("who@else.example", days_ago=1)
        async with world.ctx.engine.begin() as conn:
            dealless = await contacts.create_contact(
                conn, first_name="No", last_name="Deal", emails=["no@deal.example"]
            )
        mb = world.ctx.gmail.mailbox(str(world.mailbox_id))
        before = [(m.id, list(m.label_ids)) for m in world.gmail_box().messages.values()]
        shown = await preview(world.ctx, mb, world.mailbox_id)
        assert [(x.name, x.arriving) for x in shown.labels] == [
            ("CRM/Deals Closing This Month", 0),
            ("CRM/Open Deals", 0),
            ("CRM/Customers", 1),
        ]
        assert shown.leave_inbox == 1 and shown.labels[2].samples == (recent,)
        assert [(c.contact_id, c.messages, c.changing) for c in shown.contacts] == [(person, 1, 1)]
        assert [(m.id, list(m.label_ids)) for m in world.gmail_box().messages.values()] == before
        assert user_labels(world) == []

        off = await explain_contact(world.ctx, world.mailbox_id, person)
        assert off is not None and off.why is Why.LABELS_DISABLED and off.deal is not None
        await enable(world)
        on = await explain_message(world.ctx, mb, world.mailbox_id, recent)
        assert on.why is Why.LABELLED and on.deal is not None and on.deal.name == "Won it"
        assert (
            await explain_message(world.ctx, mb, world.mailbox_id, old)
        ).why is Why.OUTSIDE_WINDOW
        assert (
            await explain_message(world.ctx, mb, world.mailbox_id, stranger)
        ).why is Why.NOT_A_CONTACT
        none = await explain_contact(world.ctx, world.mailbox_id, dealless.id)
        assert none is not None and none.why is Why.NO_DEAL
