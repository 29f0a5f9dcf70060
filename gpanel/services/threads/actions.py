"""Live actions on an opened thread, applied in the owner's Gmail with `threads.modify`.

Mark read or unread, archive (remove INBOX) or move back to the inbox, star or unstar, add or
remove one of the mailbox's own labels. Only the mailbox's owner may act: these change the
owner's mailbox, and a colleague who may read a shared thread has no business filing or
starring someone else's mail (everyone else gets 403 with that reason). The label must be one
of the mailbox's user labels as `labels.list` reports them, so a forged id never reaches Gmail.

The answer of `threads.modify` (every message with its labels, and the thread's history id)
is applied to the cached thread (`threads.remember_modified`), so the page shown right after
reflects Gmail's state without reading the thread again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum

from gpanel.gmail import GmailError, NotFound
from gpanel.services.context import AppContext
from gpanel.services.threads.gate import (
    VIEW_RETRY,
    LoadedThread,
    ThreadGrant,
    ThreadNotFound,
    ThreadUnavailable,
    remember_modified,
)

log = logging.getLogger("gpanel.thread_actions")


class Action(StrEnum):
    READ = "read"
    UNREAD = "unread"
    ARCHIVE = "archive"
    INBOX = "inbox"
    STAR = "star"
    UNSTAR = "unstar"
    ADD_LABEL = "add_label"
    REMOVE_LABEL = "remove_label"


_CHANGES: dict[Action, tuple[tuple[str, ...], tuple[str, ...]]] = {
    Action.READ: ((), ("UNREAD",)),
    Action.UNREAD: (("UNREAD",), ()),
    Action.ARCHIVE: ((), ("INBOX",)),
    Action.INBOX: (("INBOX",), ()),
    Action.STAR: (("STARRED",), ()),
    Action.UNSTAR: ((), ("STARRED",)),
}

DONE_WORDS = {
    Action.READ: "Marked as read.",
    Action.UNREAD: "Marked as unread.",
    Action.ARCHIVE: "Archived.",
    Action.INBOX: "Moved to the inbox.",
    Action.STAR: "Starred.",
    Action.UNSTAR: "Star removed.",
    Action.ADD_LABEL: "Label added.",
    Action.REMOVE_LABEL: "Label removed.",
}


class ActionRefused(Exception):
    """The action cannot be done as asked; `status` and plain words for the reader."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class ActionResult:
    action: Action
    thread: LoadedThread

    @property
    def message(self) -> str:
        return DONE_WORDS[self.action]


def parse_action(value: str) -> Action:
    try:
        return Action(value)
    except ValueError:
        raise ActionRefused(400, "That is not an action gpanel knows.") from None


def changes_for(
    grant: ThreadGrant, action: Action, label_id: str | None
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if action in _CHANGES:
        return _CHANGES[action]
    own = dict(grant.thread.user_labels)
    if not label_id or label_id not in own:
        raise ActionRefused(400, "Choose one of your Gmail labels.")
    return ((label_id,), ()) if action is Action.ADD_LABEL else ((), (label_id,))


async def apply_action(
    ctx: AppContext, grant: ThreadGrant, action: Action, label_id: str | None = None
) -> ActionResult:
    """Apply `action` to the whole thread in Gmail; the owner only."""
    if not grant.viewer_is_owner:
        raise ActionRefused(403, "Only the mailbox's owner can change this thread in Gmail.")
    if not grant.mailbox.can_modify:
        raise ActionRefused(
            403,
            "gpanel may only read this mailbox. Reconnect it and allow "
            "gpanel to manage your mail to use these actions.",
        )
    add, remove = changes_for(grant, action, label_id)
    gmail = ctx.gmail.mailbox(grant.mailbox.key, retry=VIEW_RETRY)
    try:
        answer = await gmail.modify_thread(grant.thread.id, add=add, remove=remove)
    except NotFound:
        raise ThreadNotFound() from None
    except GmailError as exc:
        log.warning("thread action %s failed: %s", action.value, type(exc).__name__)
        raise ThreadUnavailable(exc.user_message) from None
    log.info("thread action %s on mailbox %s", action.value, grant.mailbox.id)
    return ActionResult(action, remember_modified(ctx, grant.mailbox.id, grant.thread, answer))
