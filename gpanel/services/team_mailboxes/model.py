"""The values of team mailboxes and the errors their services raise (each with words to show
and the HTTP status a handler answers with)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    UNASSIGNED = "unassigned"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    TO_HANDLE = "to_handle"
    CLOSED = "closed"


OVERDUE = "overdue"  # computed, never stored
BANNER_CHOICES = (*(s.value for s in Status), OVERDUE)
DEFAULT_BANNER = ["unassigned", "assigned", "in_progress", "to_handle", OVERDUE]
STATUS_WORDS = {
    "unassigned": "Unassigned",
    "assigned": "Assigned",
    "in_progress": "In progress",
    "to_handle": "To handle",
    "closed": "Closed",
    OVERDUE: "Overdue",
}


class TeamError(Exception):
    """A refusal with words to show and the HTTP status to answer with."""

    status: int = 400

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra


class NotFound(TeamError):
    """No such team mailbox or thread for this viewer (non-members get this too: 404)."""

    status = 404


class Refused(TeamError):
    """A member asked for something only a dispatcher (or an admin) may do."""

    status = 403


class Conflict(TeamError):
    """The thread changed since the caller read it (compare-and-set lost)."""

    status = 409


class Invalid(TeamError):
    status = 400


@dataclass(frozen=True)
class TeamMailbox:
    id: int
    mailbox_id: int
    account_user_id: int
    email: str
    name: str
    send_as: str | None
    members_may_take: bool
    mark_read_on_assign: bool
    archive_on_close: bool
    lead_capture: bool
    banner_statuses: tuple[str, ...]
    response_minutes: int
    work_days: str
    work_start_hour: int
    work_end_hour: int
    status: str  # the mailbox's: connected | needs_reconnect
    team_ids: frozenset[int] = field(default_factory=frozenset)
    dispatcher_ids: frozenset[int] = field(default_factory=frozenset)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "email": self.email,
            "send_as": self.send_as,
            "status": self.status,
            "team_ids": sorted(self.team_ids),
            "dispatcher_ids": sorted(self.dispatcher_ids),
            "members_may_take": self.members_may_take,
            "mark_read_on_assign": self.mark_read_on_assign,
            "archive_on_close": self.archive_on_close,
            "lead_capture": self.lead_capture,
            "banner_statuses": list(self.banner_statuses),
            "response_minutes": self.response_minutes,
        }


@dataclass(frozen=True)
class ThreadState:
    """gpanel's record of one thread of a team mailbox: ids, status and times."""

    id: int
    team_mailbox_id: int
    thread_id: str
    status: str
    assignee_id: int | None
    version: int
    first_seen_at: dt.datetime
    assigned_at: dt.datetime | None
    first_response_at: dt.datetime | None
    closed_at: dt.datetime | None
    opened_at: dt.datetime | None
    overdue_notified_at: dt.datetime | None

    @property
    def is_new(self) -> bool:
        """The "New" badge: assigned and not yet opened by the assignee."""
        return self.assignee_id is not None and self.opened_at is None
