"""The demo's story: who writes to whom, when, and which mailbox keeps which copy.

`Story.tell()` walks the cast (`gpanel.demo.cast`) and writes threads with a generator seeded
by a constant, so only `today` moves the dates. `Story.send()` is the one place a message is
built (headers, threading, body) and delivered: the sender's rep mailbox keeps it as SENT,
every rep among the recipients gets it in INBOX, with UNREAD, STARRED, IMPORTANT, archiving,
SPAM or TRASH decided here. Messages that would fall on or after `today` are not written.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.utils import format_datetime

from gpanel.demo import cast
from gpanel.emulator.demo_mail import text
from gpanel.emulator.demo_mail.parts import Body, HeaderValue, build, serialise

SEED = "gpanel-demo-mail-v1"
DAYS = 90
ORG = cast.ORG_DOMAIN

# Fixed UTC offsets (hours) so Date headers show senders in their own time zones.
TEAM_OFFSETS = {"East": -5.0, "West": -8.0}
CONTACT_OFFSETS = {
    "yuki": 9.0, "kenji": 9.0, "raj": 5.5, "omar": 4.0, "priya": -8.0, "ana": -3.0,
    "zoe": -5.0, "sofia": 0.0, "sam": 0.0,
}  # fmt: skip


@dataclass(frozen=True)
class Party:
    name: str
    email: str
    offset_hours: float = 1.0
    rep: bool = False

    @property
    def first(self) -> str:
        return self.name.split(" ")[0]

    def address(self) -> Address:
        return Address(self.name, addr_spec=self.email)


@dataclass(frozen=True)
class Delivery:
    mailbox: str  # the rep's address, lower case
    raw: bytes
    label_ids: tuple[str, ...]
    internal_date_ms: int
    message_id: str
    thread_key: str
    sequence: int  # order of writing, to break ties between equal dates


@dataclass
class Sent:
    """A written message, as later replies need it."""

    message_id: str
    references: list[str]
    subject: str
    when: dt.datetime
    sender: Party
    text: str


@dataclass
class Options:
    """How one message is filed, beyond the defaults."""

    labels: tuple[str, ...] | None = None  # exact labels for every recipient copy
    trash: bool = False
    category: str = "CATEGORY_PERSONAL"
    important: float = 0.3  # chance a recipient copy is marked IMPORTANT
    extra_headers: list[tuple[str, str]] = field(default_factory=list)


def rep_party(rep: cast.Rep) -> Party:
    return Party(rep.name, rep.email, TEAM_OFFSETS.get(rep.team, -5.0), rep=True)


def person_party(person: cast.Person, address: int = 0) -> Party:
    return Party(person.name, person.emails[address], CONTACT_OFFSETS.get(person.key, 1.0))


class Story:
    def __init__(self, today: dt.date) -> None:
        self.rng = random.Random(SEED)
        self.end = dt.datetime.combine(today, dt.time(0), dt.UTC)
        self.start = self.end - dt.timedelta(days=DAYS)
        self.deliveries: list[Delivery] = []
        self._sequence = 0
        self._reps = {r.email.lower() for r in cast.REPS}

    # --- time ---------------------------------------------------------------------------------
    def day(self, days_ago: int, party: Party) -> dt.datetime:
        """A working-hours moment `days_ago` days before today, in the sender's time zone."""
        local = self.end - dt.timedelta(days=days_ago)
        minutes = self.rng.randint(8 * 60, 18 * 60)
        return local + dt.timedelta(minutes=minutes - party.offset_hours * 60)

    def later(self, when: dt.datetime) -> dt.datetime:
        return when + dt.timedelta(minutes=self.rng.choice((35, 90, 240, 600, 1500, 2900)))

    # --- writing -------------------------------------------------------------------------------
    def send(
        self,
        key: str,
        sender: Party,
        to: list[Party],
        cc: list[Party],
        subject: str,
        when: dt.datetime,
        body: Body,
        parent: Sent | None = None,
        options: Options | None = None,
    ) -> Sent | None:
        """Build one message and deliver it; None if it would fall on or after today."""
        if when >= self.end or when < self.start:
            return None
        options = options or Options()
        self._sequence += 1
        domain = sender.email.split("@")[1]
        message_id = f"<{self._sequence:04d}.{self.rng.getrandbits(48):012x}@{domain}>"
        references = [*parent.references, parent.message_id] if parent else []
        zone = dt.timezone(dt.timedelta(hours=sender.offset_hours))
        # Address objects, not strings: the email package then skips re-parsing them, which
        # is most of the cost of a newsletter with a hundred recipients.
        headers: list[tuple[str, HeaderValue]] = [
            ("From", [sender.address()]),
            ("To", [p.address() for p in to]),
        ]
        if cc:
            headers.append(("Cc", [p.address() for p in cc]))
        headers += [
            ("Subject", subject),
            ("Date", format_datetime(when.astimezone(zone))),
            ("Message-ID", message_id),
        ]
        if parent is not None:
            headers += [("In-Reply-To", parent.message_id), ("References", " ".join(references))]
        headers += options.extra_headers
        raw = serialise(build(headers, body), self.rng)
        self._deliver(key, raw, message_id, when, sender, to + cc, options)
        return Sent(message_id, references, subject, when, sender, body.text)

    def _deliver(
        self,
        key: str,
        raw: bytes,
        message_id: str,
        when: dt.datetime,
        sender: Party,
        recipients: list[Party],
        options: Options,
    ) -> None:
        ms = int(when.timestamp() * 1000)
        recent = self.end - when < dt.timedelta(days=4)
        owners = {p.email.lower() for p in recipients} & self._reps
        for mailbox in sorted(owners | ({sender.email.lower()} & self._reps)):
            labels: list[str]
            if options.labels is not None:
                labels = list(options.labels)
            elif mailbox == sender.email.lower():
                labels = ["SENT"]
            else:
                labels = ["INBOX", options.category]
                if recent or self.rng.random() < 0.12:
                    labels.append("UNREAD")
                if self.rng.random() < options.important:
                    labels.append("IMPORTANT")
                old = not recent and self.end - when > dt.timedelta(days=30)
                if old and self.rng.random() < 0.35:
                    labels.remove("INBOX")  # archived long ago
            if self.rng.random() < 0.06 and "SPAM" not in labels:
                labels.append("STARRED")
            if options.trash:
                labels = [label for label in labels if label != "INBOX"] + ["TRASH"]
            self.deliveries.append(
                Delivery(mailbox, raw, tuple(labels), ms, message_id, key, self._sequence)
            )

    # --- bodies --------------------------------------------------------------------------------
    def words(self, pool: tuple[str, ...], ctx: dict[str, str]) -> str:
        return self.rng.choice(pool).format(**ctx)

    def letter(self, sender: Party, reader: Party, ctx: dict[str, str], parent: Sent | None) -> str:
        ctx = {**ctx, "weekday": self.rng.choice(text.WEEKDAYS)}
        if sender.rep:
            pools = (text.REP_OPENERS, text.REP_MIDDLES, text.REP_CLOSERS)
        else:
            pools = (text.CUSTOMER_OPENERS, text.CUSTOMER_MIDDLES, text.CUSTOMER_CLOSERS)
        opener, middle, closer = (self.words(pool, ctx) for pool in pools)
        letter = f"Hi {reader.first},\n\n{opener} {middle}\n\n{closer}\n\n{sender.name}"
        if sender.rep:
            letter += f"\n{cast.ORG_NAME}"
        if parent is not None:
            stamp = format_datetime(parent.when)
            quoted = "\n".join("> " + line if line else ">" for line in parent.text.split("\n"))
            letter += f"\n\nOn {stamp}, {parent.sender.name} wrote:\n{quoted}"
        return letter

    def body(self, sender: Party, reader: Party, ctx: dict[str, str], parent: Sent | None) -> Body:
        letter = self.letter(sender, reader, ctx, parent)
        # About half the mail is HTML with a text alternative, the rest plain text.
        return Body(letter, html="" if self.rng.random() < 0.5 else None)

    # --- threads -------------------------------------------------------------------------------
    def conversation(
        self,
        key: str,
        rep: Party,
        contacts: list[Party],
        subject: str,
        days_ago: int,
        length: int,
        ctx: dict[str, str],
        rep_first: bool = True,
        cc_reps: tuple[Party, ...] = (),
        options: Options | None = None,
    ) -> list[Sent]:
        """A back-and-forth between a rep and contacts; replies keep the thread together."""
        sent: list[Sent] = []
        parent: Sent | None = None
        when = self.day(days_ago, rep if rep_first else contacts[0])
        for i in range(length):
            from_rep = (i % 2 == 0) == rep_first
            contact = contacts[0] if i < 2 else self.rng.choice(contacts)
            sender = rep if from_rep else contact
            others = [p for p in (rep, *contacts) if p != sender]
            reader = contact if from_rep else rep
            to = [reader]
            cc = [p for p in others if p != reader] + list(cc_reps)
            subj = subject if parent is None else "Re: " + subject
            msg = self.send(
                key, sender, to, cc, subj, when, self.body(sender, reader, ctx, parent), parent,
                options,
            )  # fmt: skip
            if msg is None:
                break
            sent.append(msg)
            parent = msg
            when = self.later(when)
        return sent
