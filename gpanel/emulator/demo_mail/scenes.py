"""The scenes of the demo mail, in a fixed order: deal threads first, then the special cases.

Each scene draws from the story's seeded generator in turn, so changing one scene shifts the
details (not the shape) of the scenes after it. The special cases are written on purpose, one
by one, so every behaviour gpanel must show in the demo has at least one example: dedup across
mailboxes, free mail, attachments, an inline image, odd charsets, hostile HTML, group mail,
internal-only threads, spam and trash.
"""

from __future__ import annotations

from gpanel.demo import cast
from gpanel.emulator.demo_mail import text
from gpanel.emulator.demo_mail.parts import Attachment, Body, csv_bytes, small_pdf, tiny_png
from gpanel.emulator.demo_mail.story import Options, Party, Story, person_party, rep_party

NEWSLETTER = Party("Freight & Fleet Weekly", "news@freightfleet-weekly.example")
SUBSCRIBERS = Party("Freight & Fleet Weekly readers", "readers@freightfleet-weekly.example")
_READER_DOMAINS = ("example.com", "example.net", "example.org", "mail.example", "fleet.example")


def _rep(key: str) -> Party:
    return rep_party(cast.rep(key))


def _person(key: str, address: int = 0) -> Party:
    return person_party(cast.person(key), address)


def _ctx(deal: cast.Deal | None = None, company: str = "") -> dict[str, str]:
    if deal is None:
        return {"deal": "the rollout", "company": company or "your team", "amount": "$10,000"}
    return {
        "deal": deal.name,
        "company": cast.company(deal.company).name,
        "amount": f"${deal.amount:,}",
    }


def deal_threads(story: Story) -> None:
    """Two or three threads per deal with its primary contact and contact roles."""
    for deal in cast.DEALS:
        rep = _rep(deal.owner)
        primary = _person(deal.primary_contact)
        roles = [_person(key) for key, _ in deal.roles]
        ctx = _ctx(deal)
        for j, subject in enumerate(text.SUBJECTS[deal.stage]):
            contacts = [primary, *roles] if j == 0 else [*roles[:1], primary]
            story.conversation(
                f"deal:{deal.key}:{j}", rep, contacts, subject.format(**ctx),
                days_ago=story.rng.randint(3, 86), length=story.rng.randint(2, 6), ctx=ctx,
                rep_first=story.rng.random() < 0.6,
                options=Options(trash=deal.stage == cast.CLOSED_LOST and j == 1),
            )  # fmt: skip


def shared_threads(story: Story) -> None:
    """Contacts copying a second rep: one message, one Message-ID, two mailboxes."""
    for contact, owner, second, subject in (
        ("sofia", "dev", "alice", "Budget sign-off for the expansion"),
        ("priya", "ben", "carla", "Store pilot: regional rollout"),
        ("lena", "emma", "dev", "Security review for the new seats"),
    ):
        company = cast.company(cast.person(contact).company or "")
        story.conversation(
            f"shared:{contact}", _rep(owner), [_person(contact)], subject,
            days_ago=story.rng.randint(5, 40), length=3, ctx=_ctx(company=company.name),
            rep_first=False, cc_reps=(_rep(second),),
        )  # fmt: skip


def free_mail_threads(story: Story) -> None:
    """A lead on free mail, a contact's personal address, a second company address."""
    sam, dev = _person("sam"), _rep("dev")
    story.conversation(
        "lead:sam:0",
        dev,
        [sam],
        "Looking for fleet tracking for my business",
        days_ago=60,
        length=4,
        ctx=_ctx(company="your business"),
        rep_first=False,
    )
    story.conversation(
        "lead:sam:1",
        dev,
        [sam],
        "Pricing for 15 vans",
        days_ago=12,
        length=3,
        ctx=_ctx(company="your business"),
        rep_first=True,
    )
    story.conversation(
        "free:yuki",
        _rep("ben"),
        [_person("yuki", 1)],
        "Quick one from my phone",
        days_ago=20,
        length=2,
        ctx=_ctx(company="Globex"),
        rep_first=False,
    )
    story.conversation(
        "alias:maria",
        _rep("carla"),
        [_person("maria", 1)],
        "Delivery addresses for the pilot",
        days_ago=33,
        length=2,
        ctx=_ctx(company="Acme"),
        rep_first=False,
    )
    story.conversation(
        "nodeal:nina",
        _rep("ben"),
        [_person("nina")],
        "Room for Thursday",
        days_ago=9,
        length=2,
        ctx=_ctx(company="Globex"),
        rep_first=False,
    )


def attachment_threads(story: Story) -> None:
    """A PDF proposal, a CSV reply, an inline logo, HTML-only mail and hostile HTML."""
    carla, maria = _rep("carla"), _person("maria")
    subject = "Acme fleet proposal"
    when = story.day(26, carla)
    pdf = Attachment("Acme-fleet-proposal.pdf", small_pdf("Acme fleet proposal"),
                     "application", "pdf")  # fmt: skip
    first = story.send(
        "attach:acme", carla, [maria], [_person("tom")], subject, when,
        Body("Hi Maria,\n\nPlease find our proposal attached.\n\nCarla Reyes\nBrightwave",
             html="", attachments=[pdf]),
    )  # fmt: skip
    rows = [["vehicle", "plate", "depot"]] + [
        [f"Truck {n}", f"AC-{1000 + n * 7}", story.rng.choice(("Hamburg", "Berlin, Mitte"))]
        for n in range(1, 13)
    ]
    csv = Attachment("fleet-vehicles.csv", csv_bytes(rows), "text", "csv")
    story.send(
        "attach:acme", maria, [carla], [_person("tom")], "Re: " + subject, story.later(when),
        Body("Hi Carla,\n\nThanks. Here is the list of vehicles for the pilot.\n\nMaria",
             attachments=[csv]),
        parent=first,
    )  # fmt: skip

    lena, emma = _person("lena"), _rep("emma")
    note = story.send(
        "inline:lena", lena, [emma], [], "Our new office", story.day(17, lena),
        Body("Hi Emma,\n\nWe have moved. The new address is in my signature.\n\nLena Fischer\n"
             "Initech Software, 12 Harbour Street", html="", inline_png=tiny_png((0, 102, 204))),
    )  # fmt: skip
    if note is not None:
        story.send("inline:lena", emma, [lena], [], "Re: Our new office", story.later(note.when),
                   Body("Thanks Lena, noted!\n\nEmma"), parent=note)  # fmt: skip

    ana, alice = _person("ana"), _rep("alice")
    story.send(
        "htmlonly:ana", ana, [alice], [], "Thank you from Soylent", story.day(40, ana),
        Body("", html="<html><body><h2>Thank you!</h2><p>The cold chain project went live "
             "on time. <b>Great work</b> from your team.</p><p>Ana Lima<br>CEO, Soylent Foods"
             "</p></body></html>", html_only=True),
    )  # fmt: skip
    jonas = _person("jonas")
    story.send(
        "hostile:jonas", jonas, [carla], [], "Site visit photos", story.day(7, jonas),
        Body("Hi Carla, photos from the site visit are in the HTML version of this mail.\n\n"
             "Jonas", html=text.HOSTILE_HTML),
        options=Options(important=1.0),
    )  # fmt: skip


def charset_threads(story: Story) -> None:
    """ISO-8859-1, Shift_JIS, windows-1252 and UTF-8 (RFC 2047 subject) mail, with replies."""
    for key, (charset, subject, words) in sorted(text.CHARSET_MAIL.items()):
        person = cast.person(key)
        contact, rep = _person(key), _rep(person.owner)
        sent = story.send(
            f"charset:{key}", contact, [rep], [], subject, story.day(story.rng.randint(4, 50),
            contact), Body(words, charset=charset),
        )  # fmt: skip
        if sent is not None:
            reply = f"Hi {contact.first},\n\nThank you, I will come back to you shortly.\n\n"
            story.send(f"charset:{key}", rep, [contact], [], "Re: " + subject,
                       story.later(sent.when), Body(reply + rep.name), parent=sent)  # fmt: skip


def internal_threads(story: Story) -> None:
    """Mail among reps only (gpanel hides these from customer records)."""
    reps = [rep_party(r) for r in cast.REPS]
    deal = story.rng.choice(cast.DEALS)
    for n, subject_pattern in enumerate(text.INTERNAL_SUBJECTS):
        people = story.rng.sample(reps, story.rng.randint(2, 3))
        subject = subject_pattern.format(weekday=story.rng.choice(text.WEEKDAYS), deal=deal.name)
        when = story.day(story.rng.randint(2, 80), people[0])
        parent = None
        for i in range(story.rng.randint(2, 4)):
            sender = people[i % len(people)]
            others = [p for p in people if p != sender]
            line = story.rng.choice(text.INTERNAL_LINES).format(
                other=others[0].first, deal=deal.name
            )
            body = f"Hi {others[0].first},\n\n{line}\n\n{sender.first}"
            sent = story.send(
                f"internal:{n}", sender, others[:1], others[1:],
                subject if parent is None else "Re: " + subject, when, Body(body), parent,
                Options(trash=subject_pattern == "Team lunch", important=0.0),
            )  # fmt: skip
            if sent is None:
                break
            parent, when = sent, story.later(when)


def newsletters(story: Story) -> None:
    """A fortnightly newsletter with List-Unsubscribe, copied to more than 100 people."""
    readers = [
        Party("", f"reader{n:03d}@{_READER_DOMAINS[n % len(_READER_DOMAINS)]}")
        for n in range(1, 106)
    ]
    cc = [*readers, _rep("carla"), _rep("ben"), _person("maria"), _person("tom")]
    for issue, topic in enumerate(text.NEWSLETTER_TOPICS):
        html = (
            "<html><body><h1>Freight &amp; Fleet Weekly</h1>"
            f"<h2>{topic}</h2><p>This issue: the numbers, the people and the tools.</p>"
            '<p><img src="https://cdn.freightfleet-weekly.example/banner.png" alt="banner"></p>'
            '<p><a href="https://freightfleet-weekly.example/u/abc">Unsubscribe</a></p>'
            "</body></html>"
        )
        story.send(
            "newsletter", NEWSLETTER, [SUBSCRIBERS], cc, f"Freight & Fleet Weekly: {topic}",
            story.day(4 + 14 * issue, NEWSLETTER),
            Body(f"Freight & Fleet Weekly\n\n{topic}\n\nUnsubscribe: "
                 "https://freightfleet-weekly.example/u/abc", html=html),
            options=Options(category="CATEGORY_PROMOTIONS", important=0.0, extra_headers=[
                ("List-Id", "Freight & Fleet Weekly <weekly.freightfleet-weekly.example>"),
                ("List-Unsubscribe", "<mailto:unsubscribe@freightfleet-weekly.example>, "
                                     "<https://freightfleet-weekly.example/u/abc>"),
                ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
                ("Precedence", "bulk"),
            ]),
        )  # fmt: skip


def spam(story: Story) -> None:
    for n, (subject, words) in enumerate(text.SPAM):
        target = rep_party(cast.REPS[n % len(cast.REPS)])
        sender = Party("Special Offers", f"offers{n}@promo-{n}.example")
        story.send(
            f"spam:{n}", sender, [target], [], subject, story.day(story.rng.randint(2, 60), sender),
            Body(words), options=Options(labels=("SPAM", "UNREAD")),
        )  # fmt: skip


def tell_all(story: Story) -> None:
    for scene in (
        deal_threads,
        shared_threads,
        free_mail_threads,
        attachment_threads,
        charset_threads,
        internal_threads,
        newsletters,
        spam,
    ):
        scene(story)
