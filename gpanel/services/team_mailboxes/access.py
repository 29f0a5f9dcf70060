"""Who may do what with a team mailbox, read on every request (a member who leaves the team
loses access at once), and the panel's gate for its team inbox.

- members: the active people whose team is one of the mailbox's teams, and its dispatchers;
  team accounts never count;
- dispatchers: named by the admin; they assign and reassign to members;
- admins manage the mailbox (teams, dispatchers, options, disconnect) but read its mail only
  when they are members: managing is not reading.

Every read of the mailbox's mail goes through `services.panel.gate.Gate.judge`. `team_gate`
builds the gate of a member on the team inbox: the team account is the mailbox's owner, and
the member sees its threads in full, under every other rule of the gate (spam and trash,
blocked addresses, group mail, internal-only mail, private threads and labels). Anyone else
gets a gate with no owners, which shows nothing.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from gpanel.services.accounts.sessions import CurrentUser
from gpanel.services.context import AppContext
from gpanel.services.panel import inputs as panel_inputs
from gpanel.services.panel.gate import Gate
from gpanel.services.panel.rules import MailboxOwner, RecordMatch
from gpanel.services.sharing.policy import Audience, Detail, Person, Sharing
from gpanel.services.team_mailboxes import store
from gpanel.services.team_mailboxes.model import NotFound, Refused, TeamMailbox

NO_SUCH_BOX = "No such team mailbox."


@dataclass(frozen=True)
class Access:
    """A viewer on one team mailbox."""

    box: TeamMailbox
    viewer: CurrentUser
    members: frozenset[int]

    @property
    def is_member(self) -> bool:
        return self.viewer.id in self.members

    @property
    def is_dispatcher(self) -> bool:
        return self.viewer.id in self.box.dispatcher_ids and self.is_member


async def open_box(ctx: AppContext, viewer: CurrentUser, box_id: int) -> Access:
    """The viewer's access to a team mailbox they belong to; NotFound for anyone else (a
    non-member learns nothing, not even that the mailbox exists)."""
    box = await store.get_box(ctx.engine, box_id)
    if box is None:
        raise NotFound(NO_SUCH_BOX)
    members = frozenset(await store.member_ids(ctx.engine, box))
    access = Access(box, viewer, members)
    if not access.is_member:
        raise NotFound(NO_SUCH_BOX)
    return access


async def manage_box(ctx: AppContext, viewer: CurrentUser, box_id: int) -> TeamMailbox:
    """An admin's hold on a team mailbox's settings."""
    if not viewer.is_admin:
        raise Refused("Only an admin manages team mailboxes.")
    box = await store.get_box(ctx.engine, box_id)
    if box is None:
        raise NotFound(NO_SUCH_BOX)
    return box


async def boxes_of(ctx: AppContext, viewer: CurrentUser) -> list[Access]:
    """The team mailboxes the viewer belongs to, by name."""
    out = []
    for box in await store.all_boxes(ctx.engine):
        members = frozenset(await store.member_ids(ctx.engine, box))
        if viewer.id in members:
            out.append(Access(box, viewer, members))
    return out


async def team_gate(ctx: AppContext, access: Access) -> Gate:
    """The panel's gate for a member on the team inbox (no record context)."""
    viewer, box = access.viewer, access.box
    owners: tuple[MailboxOwner, ...] = ()
    if access.is_member and box.status == "connected":
        owner = Person.of(box.account_user_id, "rep", [])
        sharing = Sharing(Audience.SELECTED, Detail.FULL, frozenset({viewer.id}))
        owners = (MailboxOwner(box.mailbox_id, owner, box.name, sharing),)
    async with ctx.engine.connect() as conn:
        inputs = await panel_inputs.rule_inputs(
            conn, ctx.settings, viewer, None, 0, RecordMatch.of((), (), False), owners
        )
    return Gate(viewer, owners, (), dataclasses.replace(inputs, record=None))
