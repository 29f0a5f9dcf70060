"""The demo's team mailbox: the shared account support@ (gpanel.demo.cast.TEAM_MAILBOXES) with
a few customer emails of the last days, from demo contacts and one new sender, so the admin
can connect it through the consent page and the team can dispatch it. Deterministic: fixed
Message-IDs, dates from `today`."""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage
from email.utils import format_datetime
from typing import TYPE_CHECKING

from gpanel.demo import cast

if TYPE_CHECKING:
    from gpanel.emulator.state import EmulatorState

# (hours before today's 09:00 UTC, sender name, sender address, subject, text)
CUSTOMER_MAIL = (
    (50, "Tom Baker", "tom.baker@acme-logistics.example", "Invoice 4471 does not match the PO",
     "Hello,\n\nthe invoice we received lists 12 licences; our order was for 10. Could you "
     "send a corrected one?\n\nTom"),
    (30, "Omar Haddad", "omar.haddad@globex.example", "Cannot log in since the update",
     "Hi support,\n\nsince yesterday's update two of our users get an error when they sign "
     "in. Can someone look?\n\nOmar"),
    (20, "Lena Fischer", "lena.fischer@newcomer.example", "Question about your pricing",
     "Good morning,\n\nwe are a team of 25 and are considering your product. Do you offer "
     "yearly plans?\n\nBest,\nLena"),
    (6, "Tom Baker", "tom.baker@acme-logistics.example", "Training session for new staff",
     "Hello again,\n\nwe hired three people; could you run a short training next week?\n\nTom"),
)  # fmt: skip


def seed_team_demo(state: EmulatorState, today: dt.date) -> None:
    """Create each demo team mailbox's account and put the customer mail in its inbox."""
    base = dt.datetime.combine(today, dt.time(9, 0), tzinfo=dt.UTC)
    for name, address in cast.TEAM_MAILBOXES:
        mailbox = state.add_user(address, name)
        for n, (hours, sender, sender_email, subject, text) in enumerate(CUSTOMER_MAIL):
            when = base - dt.timedelta(hours=hours)
            msg = EmailMessage()
            msg["From"] = f"{sender} <{sender_email}>"
            msg["To"] = f"{name} <{address}>"
            msg["Subject"] = subject
            msg["Date"] = format_datetime(when)
            msg["Message-ID"] = f"<team-demo-{n}@{sender_email.split('@')[1]}>"
            msg.set_content(text)
            mailbox.insert_raw(bytes(msg), ("INBOX", "UNREAD"), int(when.timestamp() * 1000))
