"""Label rules by recipient, end to end against the emulator over HTTP: mail to (To or Cc) a
rule's address gets its Gmail label, the mail already in the mailbox too; Gmail's word search
also finds lookalike addresses (support@brightwave.example.org, x-support@...), which the
re-check of the headers leaves alone; spam never gets a label; a second pass changes nothing;
new mail is labelled from the history cursor without searching again; the pass is scheduled
like the category labels; malformed and duplicate rules are refused in words."""

from __future__ import annotations

import datetime as dt

import pytest

from gpanel.jobs.registry import mailbox_job
from gpanel.services.ops import job_state
from gpanel.services.team_mailboxes import extras, recipient_rules
from gpanel.services.team_mailboxes.recipient_rules import InvalidRule
from tests.services.team_mailboxes.extras_world import TeamWorld, team_world
from tests.support.emulator import RunningEmulator

SUPPORT = "support@brightwave.example"
PARTNERS = "partners@brightwave.example"


async def rules(world: TeamWorld) -> None:
    for address, label in ((SUPPORT, "Support"), (PARTNERS, "Partners")):
        await recipient_rules.add_rule(
            world.ctx.engine, world.team_mailbox_id, address, label, created_by=None
        )


async def test_rules_label_old_and_new_mail_by_exact_recipient(
    db_url: str, emulator: RunningEmulator
) -> None:
    async with team_world(db_url, emulator) as world:
        to_support = world.add_message("Cy <cy@cust.example>", to=SUPPORT, days_ago=3)
        cc_partners = world.add_message(
            "Pat <pat@partner.example>", to="someone@else.example", cc=f"P <{PARTNERS}>"
        )
        both = world.add_message("d@cust.example", to=f"{SUPPORT}, {PARTNERS}", days_ago=1)
        lookalike = world.add_message("e@cust.example", to="support@brightwave.example.org")
        prefixed = world.add_message("f@cust.example", to="x-support@brightwave.example")
        spam = world.add_message("g@spam.example", to=SUPPORT, labels=("SPAM",))
        too_old = world.add_message("h@cust.example", to=SUPPORT, days_ago=120)
        await rules(world)

        due = await job_state.due(world.ctx.engine, world.ctx.settings)
        assert world.mailbox_id in due.jobs["team_extras"]
        report = await mailbox_job("team_extras")(world.ctx, world.mailbox_id)
        assert isinstance(report, extras.ExtrasReport) and report.status == "done", report
        assert world.label_names_of(to_support) == {"Support"}
        assert world.label_names_of(cc_partners) == {"Partners"}
        assert world.label_names_of(both) == {"Support", "Partners"}
        for untouched in (lookalike, prefixed, spam, too_old):
            assert world.label_names_of(untouched) == set()
        # Gmail's search (the emulator's, by words) does return the lookalikes: it is the
        # re-check of the headers that keeps the label off them.
        mb = world.ctx.gmail.mailbox(str(world.mailbox_id))
        hits = {h["id"] for h in await mb.list_all_message_ids(recipient_rules.rule_query(SUPPORT))}
        assert {lookalike, prefixed, to_support} <= hits
        assert report.labelled == 3 and report.backfilled_rules == 2
        assert world.user_labels() == ["Partners", "Support"]
        # The run is not due again until a labels interval has passed.
        assert (
            world.mailbox_id
            not in (await job_state.due(world.ctx.engine, world.ctx.settings)).jobs["team_extras"]
        )

        # A second pass: one history call, nothing searched, nothing modified.
        world.clear_log()
        again = await extras.run_team_extras(world.ctx, world.mailbox_id)
        assert again.status == "done" and again.labelled == 0
        assert world.methods() == ["gmail.users.history.list"]

        # New mail comes through the cursor: read once, labelled, no search.
        world.clear_log()
        fresh = world.add_message("i@cust.example", to="Team <SUPPORT@brightwave.example>")
        other = world.add_message("j@cust.example", to="sales@brightwave.example")
        third = await extras.run_team_extras(world.ctx, world.mailbox_id)
        assert third.new_messages == 2 and third.labelled == 1
        assert world.label_names_of(fresh) == {"Support"} and world.label_names_of(other) == set()
        assert "gmail.users.messages.list" not in world.methods()
        assert world.methods().count("gmail.users.messages.batchModify") == 1


async def test_a_deleted_label_is_found_or_made_again(
    db_url: str, emulator: RunningEmulator
) -> None:
    """Gmail refuses a label id that no longer exists: the pass fails in words, forgets the
    ids, and the next pass creates the label again and applies it."""
    async with team_world(db_url, emulator) as world:
        await rules(world)
        assert (await extras.run_team_extras(world.ctx, world.mailbox_id)).status == "done"
        box = world.gmail_box()
        with world.emulator.state.lock:
            support = box.labels.by_name("Support")
            box.labels.delete(support.id)
        fresh = world.add_message("k@cust.example", to=SUPPORT)
        failed = await extras.run_team_extras(world.ctx, world.mailbox_id)
        assert failed.status == "failed" and failed.reason
        state = await extras.get_state(world.ctx.engine, world.team_mailbox_id)
        assert state.last_error
        ok = await extras.run_team_extras(world.ctx, world.mailbox_id)
        assert ok.status == "done", ok
        assert world.label_names_of(fresh) == {"Support"}


async def test_rules_are_checked_and_removed(db_url: str, emulator: RunningEmulator) -> None:
    async with team_world(db_url, emulator) as world:
        engine, box = world.ctx.engine, world.team_mailbox_id
        for address, label in (
            ("not an address", "Support"),
            (SUPPORT, "  "),
            (SUPPORT, "INBOX"),
            (SUPPORT, "x" * 300),
            ('"quoted"@brightwave.example', "Support"),
        ):
            with pytest.raises(InvalidRule):
                await recipient_rules.add_rule(engine, box, address, label, created_by=None)
        rule = await recipient_rules.add_rule(
            engine, box, " Support@BrightWave.example ", "Support  desk", created_by=None
        )
        assert (rule.address, rule.label_name) == (SUPPORT, "Support desk")
        with pytest.raises(InvalidRule, match="already"):
            await recipient_rules.add_rule(engine, box, SUPPORT, "Support desk", created_by=None)
        assert await recipient_rules.remove_rule(engine, box + 1, rule.id) is False
        assert await recipient_rules.remove_rule(engine, box, rule.id) is True
        async with engine.connect() as conn:
            assert await recipient_rules.list_rules(conn, box) == []
        # Without rules the pass still runs (replies for the figures) and labels nothing.
        world.add_message("z@cust.example", to=SUPPORT)
        quiet = await extras.run_team_extras(world.ctx, world.mailbox_id)
        assert quiet.status == "done" and quiet.labelled == 0 and world.user_labels() == []
        later = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
        assert world.mailbox_id in await extras.due_mailboxes(engine, world.ctx.settings, later)
        assert world.mailbox_id not in await extras.due_mailboxes(engine, world.ctx.settings)


def test_matching_is_exact_on_to_and_cc() -> None:
    rule = recipient_rules.Rule(1, 1, SUPPORT, "Support", "L1", True)

    def message(to: str, cc: str = "", labels: tuple[str, ...] = ("INBOX",)) -> dict[str, object]:
        headers = [{"name": "To", "value": to}, {"name": "Cc", "value": cc}]
        return {"labelIds": list(labels), "payload": {"headers": headers}}

    assert recipient_rules.matching_labels(message(f"A <{SUPPORT}>"), [rule]) == {"L1"}
    assert recipient_rules.matching_labels(message("a@x.example", SUPPORT.upper()), [rule]) == {
        "L1"
    }
    assert recipient_rules.matching_labels(message(f"{SUPPORT}.org"), [rule]) == set()
    assert (
        recipient_rules.matching_labels(message(f'"{SUPPORT}" <z@evil.example>'), [rule]) == set()
    )
    assert recipient_rules.matching_labels(message(SUPPORT, labels=("TRASH",)), [rule]) == set()
    assert (
        recipient_rules.matching_labels(message(SUPPORT, labels=("INBOX", "L1")), [rule]) == set()
    )
