"""The team mailboxes' background pass (the global job `team_upkeep`, every minute on the
embedded scheduler and on procrastinate): what a read of the team inbox does as bookkeeping,
done without anyone opening it.

For each team mailbox: threads held by someone who is no longer a member go back to
unassigned and its dispatchers are told (`actions.return_leavers`, from gpanel's own rows, no
Gmail call); then, when the mailbox is connected and has a member to read it as, the first page
of its inbox is read as that member would (`inbox.read_inbox`, through the panel's gate, a
dispatcher first), at background priority in the mailbox's own quota budget: new threads get
their state and the dispatchers a "new mail" entry, overdue threads are announced once per wait.
A warm read costs one call; a full budget or a Gmail failure skips that mailbox until the next
pass (logged by ids and error type only); so does any other error, for that mailbox alone.
Returns counts per mailbox id, never mail.
"""

from __future__ import annotations

import logging

from gpanel.gmail import GmailError
from gpanel.services.accounts.sessions import CurrentUser
from gpanel.services.context import AppContext
from gpanel.services.team_mailboxes import actions, inbox, store
from gpanel.services.team_mailboxes.access import Access
from gpanel.services.team_mailboxes.model import TeamMailbox
from gpanel.services.threads.gate import load_viewer

log = logging.getLogger("gpanel.team_mailboxes")

NOBODY = CurrentUser(0, "", "", "rep", None)  # returning leavers reads no mail, as nobody


async def _reader(ctx: AppContext, box: TeamMailbox, members: frozenset[int]) -> CurrentUser:
    """The member the pass reads the inbox as: a dispatcher first, then the lowest id."""
    for user_id in sorted(box.dispatcher_ids & members) + sorted(members - box.dispatcher_ids):
        viewer = await load_viewer(ctx.engine, user_id)
        if viewer is not None:
            return viewer
    return NOBODY


async def run_upkeep(ctx: AppContext) -> dict[int, dict[str, int]]:
    """One pass over every team mailbox; returns what it did per team mailbox id."""
    out: dict[int, dict[str, int]] = {}
    for box in await store.all_boxes(ctx.engine):
        members = frozenset(await store.member_ids(ctx.engine, box))
        states = list((await store.states(ctx.engine, box.id)).values())
        returned = await actions.return_leavers(ctx, Access(box, NOBODY, members), states)
        done = {"returned": returned, "read": 0}
        out[box.id] = done
        viewer = await _reader(ctx, box, members)
        if box.status != "connected" or viewer is NOBODY:
            continue
        try:
            await inbox.read_inbox(ctx, Access(box, viewer, members), background=True)
        except GmailError as exc:  # a full budget included: the next pass tries again
            log.warning("team mailbox %s: upkeep read skipped (%s)", box.id, type(exc).__name__)
            continue
        except Exception as exc:  # one mailbox's trouble never stops the others' upkeep
            log.error("team mailbox %s: upkeep read failed (%s)", box.id, type(exc).__name__)
            continue
        done["read"] = 1
    return out
