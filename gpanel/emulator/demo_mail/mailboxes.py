"""The deterministic demo mailboxes: one per rep of the demo cast, with 90 days of mail.

`build_demo(today)` writes the whole story as a list of deliveries (which mailbox gets which
raw message, with which labels, at which time), from a seeded generator and `today` alone, so
two runs give identical bytes. `seed_demo(state, today)` creates the reps' mailboxes and
inserts the deliveries oldest first (so replies find their parents); `demo_summary(today)`
counts them for tests and docs.

The story: threads between each rep and the contacts of their deals (replies from both sides,
plain and HTML mail), a few contacts copying a second rep (the same message, same Message-ID,
in two mailboxes, so shared-mailbox dedup shows), a lead and a contact writing from free mail,
a contact using a second address, inline `cid:` images, PDF and CSV attachments, messages in
ISO-8859-1, Shift_JIS, windows-1252 and RFC 2047 UTF-8 subjects, one message of hostile HTML
for the sanitiser, a newsletter copied to over a hundred people, internal mail between reps,
and a little spam and trash. The scenes live in `demo_mail_scenes`, the writing in
`demo_mail_story`.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gpanel.demo import cast
from gpanel.emulator.demo_mail.scenes import tell_all
from gpanel.emulator.demo_mail.story import Delivery, Story

if TYPE_CHECKING:
    from gpanel.emulator.state import EmulatorState

__all__ = ["Delivery", "DemoMail", "build_demo", "demo_summary", "seed_demo"]


@dataclass(frozen=True)
class DemoMail:
    deliveries: tuple[Delivery, ...]

    def for_mailbox(self, email: str) -> list[Delivery]:
        return [d for d in self.deliveries if d.mailbox == email.lower()]


def build_demo(today: dt.date) -> DemoMail:
    """Every delivery of the demo, oldest first, as a pure function of `today`."""
    story = Story(today)
    tell_all(story)
    ordered = sorted(story.deliveries, key=lambda d: (d.internal_date_ms, d.sequence))
    return DemoMail(tuple(ordered))


def seed_demo(state: EmulatorState, today: dt.date) -> None:
    """Create one mailbox per demo rep (with its send-as aliases) and fill it with the demo mail."""
    from gpanel.emulator.state import SendAsAlias  # state imports nothing of demo_mail

    for rep in cast.REPS:
        mailbox = state.add_user(rep.email, rep.name)
        for alias in rep.aliases:
            mailbox.aliases[alias.email.lower()] = SendAsAlias(
                alias.email, alias.name, alias.signature, alias.verified
            )
    for delivery in build_demo(today).deliveries:
        state.mailbox(delivery.mailbox).insert_raw(
            delivery.raw, delivery.label_ids, delivery.internal_date_ms
        )


def demo_summary(today: dt.date) -> dict[str, Any]:
    """Counts of what `seed_demo` inserts: per mailbox, per label, threads, shared messages."""
    deliveries = build_demo(today).deliveries
    per_message_id = Counter(d.message_id for d in deliveries)
    labels: Counter[str] = Counter()
    for d in deliveries:
        labels.update(d.label_ids)
    return {
        "mailboxes": len(cast.REPS),
        "messages": len(deliveries),
        "unique_messages": len(per_message_id),
        "shared_messages": sum(1 for n in per_message_id.values() if n > 1),
        "threads": len({d.thread_key for d in deliveries}),
        "per_mailbox": dict(sorted(Counter(d.mailbox for d in deliveries).items())),
        "labels": dict(sorted(labels.items())),
        "first_date": min(d.internal_date_ms for d in deliveries),
        "last_date": max(d.internal_date_ms for d in deliveries),
    }
