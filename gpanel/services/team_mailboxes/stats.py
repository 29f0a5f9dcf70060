"""The figures of a team mailbox: first-response and resolution times, per member and per week.

Computed when asked, from gpanel's own records only: `team_threads` (a thread's arrival,
`first_seen_at`, which the team inbox takes from Gmail's own message times when it first lists
the thread) and the append-only `team_thread_events`. No Gmail call, nothing of the mail: the
figures are durations and counts.

- **First response**: from a thread's arrival to its first `replied` event (a reply sent from
  the team mailbox through gpanel, or in Gmail itself as the background pass records it),
  credited to the member who replied (for a reply from Gmail, the assignee), in the week of
  the reply.
- **Resolution**: from arrival to the thread's last close, for threads closed now (a reopened
  thread is not resolved), credited to the assignee at the close (else whoever closed it), in
  the week of the close.
- Each figure is a count, a median and a 90th percentile (nearest rank) in seconds; weeks begin
  on Monday in the org's time zone (`Settings.org_timezone`); only the last `weeks` weeks count.

`summarise`, `percentile` and `figures_from` are pure; `team_figures` reads the rows (one
query) for a member already let in by `access.open_box`.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from gpanel.services.context import AppContext
from gpanel.services.team_mailboxes import store
from gpanel.services.team_mailboxes.access import Access
from gpanel.store.tables import team_thread_events, team_threads
from gpanel.store.times import aware

DEFAULT_WEEKS = 12
MAX_WEEKS = 104


@dataclass(frozen=True)
class Summary:
    count: int = 0
    median_seconds: float | None = None
    p90_seconds: float | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "median_seconds": self.median_seconds,
            "p90_seconds": self.p90_seconds,
        }


@dataclass(frozen=True)
class Sample:
    member_id: int | None
    at: dt.datetime  # when it happened (the reply, the close)
    seconds: float


@dataclass(frozen=True)
class Line:
    """One row of the figures: a member or a week (or everyone), both measures."""

    key: str  # the member's id or the week's Monday (ISO date), "all" for the total
    label: str
    response: Summary
    resolution: Summary

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "first_response": self.response.as_json(),
            "resolution": self.resolution.as_json(),
        }


@dataclass(frozen=True)
class Figures:
    team_mailbox_id: int
    since: dt.date  # the first Monday counted
    weeks: int
    total: Line
    members: list[Line] = field(default_factory=list)
    by_week: list[Line] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "team_mailbox_id": self.team_mailbox_id,
            "since": self.since.isoformat(),
            "weeks": self.weeks,
            "total": self.total.as_json(),
            "members": [m.as_json() for m in self.members],
            "by_week": [w.as_json() for w in self.by_week],
        }


def percentile(values: Sequence[float], p: float) -> float | None:
    """The nearest-rank percentile of `values` (None for none): the smallest value with at
    least p% of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def summarise(values: Sequence[float]) -> Summary:
    if not values:
        return Summary()
    return Summary(len(values), float(statistics.median(values)), percentile(values, 90))


def week_of(at: dt.datetime, zone: ZoneInfo) -> dt.date:
    """The Monday of `at`'s week in the org's zone."""
    day = at.astimezone(zone).date()
    return day - dt.timedelta(days=day.weekday())


def samples_of(
    threads: Mapping[int, tuple[dt.datetime, str]], events: Iterable[Any]
) -> tuple[list[Sample], list[Sample]]:
    """First-response and resolution samples from thread arrivals and statuses (`threads`: id
    -> (arrival, current status)) and their events in time order (rows with `team_thread_id`,
    `kind`, `actor_id`, `assignee_id`, `status`, `at`)."""
    responded: set[int] = set()
    closes: dict[int, Sample] = {}
    responses: list[Sample] = []
    for e in events:
        thread = threads.get(e.team_thread_id)
        if thread is None:
            continue
        arrived, _status = thread
        at = aware(e.at) or arrived
        seconds = max(0.0, (at - arrived).total_seconds())
        if e.kind == "replied" and e.team_thread_id not in responded:
            responded.add(e.team_thread_id)
            # A reply written in Gmail itself has no actor: the assignee of the moment.
            responses.append(Sample(e.actor_id or e.assignee_id, at, seconds))
        elif e.kind == "status" and e.status == "closed":
            closes[e.team_thread_id] = Sample(e.assignee_id or e.actor_id, at, seconds)
    resolutions = [s for tid, s in closes.items() if threads[tid][1] == "closed"]
    return responses, resolutions


def figures_from(
    team_mailbox_id: int,
    responses: Sequence[Sample],
    resolutions: Sequence[Sample],
    names: Mapping[int, str],
    *,
    zone: ZoneInfo,
    since: dt.date,
    weeks: int,
) -> Figures:
    """Group the samples of the counted weeks by member and by week (pure)."""

    def counted(samples: Sequence[Sample]) -> list[Sample]:
        return [s for s in samples if week_of(s.at, zone) >= since]

    resp, reso = counted(responses), counted(resolutions)

    def line(key: str, label: str, r: list[Sample], c: list[Sample]) -> Line:
        return Line(
            key, label, summarise([s.seconds for s in r]), summarise([s.seconds for s in c])
        )

    members = sorted(
        {s.member_id for s in [*resp, *reso]},
        key=lambda m: (m is None, names.get(m or 0, ""), m or 0),
    )
    member_lines = [
        line(
            str(m) if m is not None else "",
            names.get(m, f"user {m}") if m is not None else "(nobody)",
            [s for s in resp if s.member_id == m],
            [s for s in reso if s.member_id == m],
        )
        for m in members
    ]
    week_lines = []
    for n in range(weeks):
        monday = since + dt.timedelta(weeks=n)
        week_lines.append(
            line(
                monday.isoformat(),
                f"Week of {monday:%d %b %Y}",
                [s for s in resp if week_of(s.at, zone) == monday],
                [s for s in reso if week_of(s.at, zone) == monday],
            )
        )
    total = line("all", "Everyone", resp, reso)
    return Figures(team_mailbox_id, since, weeks, total, member_lines, week_lines)


async def team_figures(
    ctx: AppContext, access: Access, *, weeks: int = DEFAULT_WEEKS, now: dt.datetime | None = None
) -> Figures:
    """The figures of the member's team mailbox over the last `weeks` weeks (this one included)."""
    weeks = max(1, min(MAX_WEEKS, weeks))
    zone = ZoneInfo(ctx.settings.org_timezone)
    since = week_of(now or store.now_utc(), zone) - dt.timedelta(weeks=weeks - 1)
    box_id = access.box.id
    async with ctx.engine.connect() as conn:
        rows = (
            await conn.execute(
                select(
                    team_threads.c.id, team_threads.c.first_seen_at, team_threads.c.status
                ).where(team_threads.c.team_mailbox_id == box_id)
            )
        ).all()
        events = (
            await conn.execute(
                select(team_thread_events)
                .where(
                    team_thread_events.c.team_mailbox_id == box_id,
                    team_thread_events.c.kind.in_(("replied", "status")),
                )
                .order_by(team_thread_events.c.at, team_thread_events.c.id)
            )
        ).all()
    threads = {int(r.id): (aware(r.first_seen_at) or store.now_utc(), str(r.status)) for r in rows}
    responses, resolutions = samples_of(threads, events)
    ids = {s.member_id for s in [*responses, *resolutions] if s.member_id is not None}
    names = await store.people(ctx.engine, ids)
    return figures_from(box_id, responses, resolutions, names, zone=zone, since=since, weeks=weeks)
