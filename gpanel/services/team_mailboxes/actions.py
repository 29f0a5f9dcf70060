"""What members and dispatchers do to a thread of a team mailbox: assign (and take), change
its status, open it, reply; and what happens when a member leaves the team.

Every change is one transaction: a compare-and-set on `team_threads.version`, the event and
the bell entries. Of two concurrent changes of one thread one wins; the other raises
`Conflict` naming who holds the thread, and writes nothing. A caller that passes the version
it saw (the team inbox page and the API's `version`) also loses when anything changed since.
Gmail side effects (mark read when assigned, archive on close) follow the commit, through the
gmail client and its quota budget; their failure does not undo the assignment.
"""

from __future__ import annotations

import logging

from gpanel.gmail import GmailError, Priority
from gpanel.services.context import AppContext
from gpanel.services.team_mailboxes import store
from gpanel.services.team_mailboxes.access import Access
from gpanel.services.team_mailboxes.model import (
    Conflict,
    Invalid,
    NotFound,
    Refused,
    Status,
    TeamMailbox,
    ThreadState,
)

log = logging.getLogger("gpanel.team_mailboxes")

NO_SUCH_THREAD = "No such thread in this team mailbox."


async def _state(ctx: AppContext, access: Access, thread_id: str) -> ThreadState:
    state = await store.get_state(ctx.engine, access.box.id, thread_id)
    if state is None:
        raise NotFound(NO_SUCH_THREAD)
    return state


async def _conflict(ctx: AppContext, box: TeamMailbox, thread_id: str) -> Conflict:
    now = await store.get_state(ctx.engine, box.id, thread_id)
    holder = now.assignee_id if now else None
    names = await store.people(ctx.engine, [holder] if holder else [])
    who = names.get(holder or 0)
    words = (
        f"Someone changed this thread first: {who} holds it now."
        if who
        else "Someone changed this thread first; it is unassigned now."
    )
    return Conflict(
        words,
        assignee_id=holder,
        assignee_name=who,
        status=now.status if now else None,
        version=now.version if now else None,
    )


def _check_version(state: ThreadState, version: int | None) -> None:
    if version is not None and version != state.version:
        raise Conflict("")  # replaced by the caller with who holds it


async def _modify(ctx: AppContext, box: TeamMailbox, thread_id: str, remove: list[str]) -> None:
    try:
        mb = ctx.gmail.mailbox(str(box.mailbox_id), priority=Priority.INTERACTIVE)
        await mb.modify_thread(thread_id, remove=remove)
    except GmailError as exc:
        log.warning("team mailbox %s: modify failed (%s)", box.id, type(exc).__name__)


async def assign(
    ctx: AppContext,
    access: Access,
    thread_id: str,
    user_id: int | None,
    *,
    version: int | None = None,
) -> ThreadState:
    """Give the thread to `user_id` (None: back to unassigned). Dispatchers assign anyone of
    the mailbox; a member may take an unassigned thread when the mailbox allows it."""
    box, viewer = access.box, access.viewer
    state = await _state(ctx, access, thread_id)
    if user_id is not None and user_id not in access.members:
        raise Invalid("That person is not a member of this team mailbox.", field="user_id")
    if not access.is_dispatcher:
        taking = user_id == viewer.id and state.assignee_id is None
        if not (taking and box.members_may_take):
            raise Refused(
                "Only a dispatcher assigns threads."
                + ("" if box.members_may_take else " This mailbox does not let members take one.")
            )
    try:
        _check_version(state, version)
    except Conflict:
        raise await _conflict(ctx, box, thread_id) from None
    now = store.now_utc()
    if user_id is None:
        values: dict[str, object] = {"assignee_id": None, "status": "unassigned", "opened_at": None}
    else:
        status = state.status
        if status in ("unassigned", "closed") or state.assignee_id != user_id:
            status = "assigned"
        values = {
            "assignee_id": user_id,
            "status": status,
            "assigned_at": now,
            "opened_at": None if state.assignee_id != user_id else state.opened_at,
            "closed_at": None,
        }
    async with ctx.engine.begin() as conn:
        if not await store.compare_and_set(conn, state, values):
            won = False
        else:
            won = True
            kind = "assigned" if user_id is not None else "unassigned"
            await store.add_event(
                conn,
                state,
                kind,
                actor_id=viewer.id,
                assignee_id=user_id,
                status=str(values["status"]),
            )
            if user_id is not None and user_id != state.assignee_id:
                await store.notify(conn, state, "assigned", [user_id], viewer.id)
            if state.assignee_id is not None and state.assignee_id != user_id:
                await store.notify(conn, state, "reassigned", [state.assignee_id], viewer.id)
    if not won:
        raise await _conflict(ctx, box, thread_id)
    if user_id is not None and box.mark_read_on_assign:
        await _modify(ctx, box, thread_id, ["UNREAD"])
    got = await store.get_state(ctx.engine, box.id, thread_id)
    assert got is not None
    return got


async def set_status(
    ctx: AppContext,
    access: Access,
    thread_id: str,
    status: str,
    *,
    version: int | None = None,
) -> ThreadState:
    """Move a thread through the statuses: its assignee or a dispatcher."""
    box, viewer = access.box, access.viewer
    try:
        wanted = Status(status)
    except ValueError:
        raise Invalid(
            "status must be one of: assigned, in_progress, to_handle, closed.", field="status"
        ) from None
    if wanted is Status.UNASSIGNED:
        raise Invalid("To unassign a thread, assign it to nobody.", field="status")
    state = await _state(ctx, access, thread_id)
    if state.assignee_id != viewer.id and not access.is_dispatcher:
        raise Refused("Only the thread's assignee or a dispatcher changes its status.")
    if state.assignee_id is None and wanted is not Status.CLOSED:
        raise Invalid("Assign the thread first.", field="status")
    try:
        _check_version(state, version)
    except Conflict:
        raise await _conflict(ctx, box, thread_id) from None
    now = store.now_utc()
    values: dict[str, object] = {"status": wanted.value}
    values["closed_at"] = now if wanted is Status.CLOSED else None
    async with ctx.engine.begin() as conn:
        won = await store.compare_and_set(conn, state, values)
        if won:
            await store.add_event(
                conn,
                state,
                "status",
                actor_id=viewer.id,
                assignee_id=state.assignee_id,
                status=wanted.value,
            )
    if not won:
        raise await _conflict(ctx, box, thread_id)
    if wanted is Status.CLOSED and box.archive_on_close:
        await _modify(ctx, box, thread_id, ["INBOX"])
    got = await store.get_state(ctx.engine, box.id, thread_id)
    assert got is not None
    return got


async def opened(ctx: AppContext, access: Access, thread_id: str) -> None:
    """The assignee opened the thread: the "New" badge goes (once per assignment)."""
    state = await store.get_state(ctx.engine, access.box.id, thread_id)
    if state is None or state.assignee_id != access.viewer.id or state.opened_at is not None:
        return
    async with ctx.engine.begin() as conn:
        if await store.compare_and_set(conn, state, {"opened_at": store.now_utc()}):
            await store.add_event(
                conn, state, "opened", actor_id=access.viewer.id, assignee_id=state.assignee_id
            )


async def replied(ctx: AppContext, access: Access, thread_id: str) -> None:
    """A member's reply left from the team mailbox: the event names them; the first reply
    after assignment is the thread's first response."""
    state = await store.get_state(ctx.engine, access.box.id, thread_id)
    if state is None:
        return
    for _ in range(3):  # a concurrent change bumps the version: read again and retry
        async with ctx.engine.begin() as conn:
            values: dict[str, object] = {}
            if state.first_response_at is None and state.assigned_at is not None:
                values["first_response_at"] = store.now_utc()
            if await store.compare_and_set(conn, state, values):
                await store.add_event(
                    conn,
                    state,
                    "replied",
                    actor_id=access.viewer.id,
                    assignee_id=state.assignee_id,
                    status=state.status,
                )
                return
        fresh = await store.get_state(ctx.engine, access.box.id, thread_id)
        if fresh is None:
            return
        state = fresh


async def return_leavers(ctx: AppContext, access: Access, states: list[ThreadState]) -> int:
    """Threads held by someone no longer a member go back to unassigned; the dispatchers are
    told through the bell. Run on every read of the mailbox, so it happens on the next look
    at the mailbox by anyone (access itself is lost at once: membership is read each time)."""
    box = access.box
    moved = 0
    for state in states:
        if state.assignee_id is None or state.assignee_id in access.members:
            continue
        if state.status == Status.CLOSED:
            continue
        async with ctx.engine.begin() as conn:
            values: dict[str, object] = {
                "assignee_id": None,
                "status": "unassigned",
                "opened_at": None,
            }
            if await store.compare_and_set(conn, state, values):
                moved += 1
                await store.add_event(conn, state, "unassigned", actor_id=None, status="unassigned")
                await store.notify(conn, state, "returned", box.dispatcher_ids, None)
    return moved


async def get(ctx: AppContext, access: Access, thread_id: str) -> ThreadState:
    """The thread's state, for a member (NotFound if gpanel never listed it)."""
    return await _state(ctx, access, thread_id)


async def names(ctx: AppContext, access: Access) -> dict[int, str]:
    """The members of the mailbox by id (the assignee picker), by name."""
    found = await store.people(ctx.engine, access.members)
    return dict(sorted(found.items(), key=lambda kv: kv[1].casefold()))
